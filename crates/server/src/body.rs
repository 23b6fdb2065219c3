//! Request bodies of writes: JSON (object or array), form-urlencoded and
//! multipart, read with a hard size limit and a JSON depth check that runs on
//! the bytes before any tree is built.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value as J};

use crate::problem::Problem;

/// Most rows in one POST.
pub const MAX_BATCH: usize = 1000;
/// Deepest JSON nesting accepted (SPEC §6.1: `{}` is 1).
pub const MAX_JSON_DEPTH: usize = 10;

/// Read the whole body, refusing more than `limit` bytes (chunked bodies too,
/// counted while reading) and bodies slower than `deadline` in total.
pub async fn read(body: Body, limit: usize, deadline: std::time::Duration) -> Result<Bytes, Problem> {
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(_)) => Err(too_large(limit)),
        Err(_) => Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "body-timeout",
            "Request timeout",
            "the body arrived too slowly",
        )),
    }
}

pub fn too_large(limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
        format!("the body exceeds {limit} bytes"),
    )
}

/// The depth of the deepest container, counted without parsing (strings skipped).
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parsed rows, and whether the body was an array (a batch).
pub async fn rows(headers: &HeaderMap, bytes: Bytes) -> Result<(Vec<Map<String, J>>, bool), Problem> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "" => json_rows(&bytes),
        m if m.ends_with("+json") => json_rows(&bytes),
        "application/x-www-form-urlencoded" => Ok((vec![form(&bytes)], false)),
        "multipart/form-data" => Ok((vec![multipart(ct, bytes).await?], false)),
        _ => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send application/json, application/x-www-form-urlencoded or multipart/form-data",
        )),
    }
}

fn bad_body(detail: impl Into<String>) -> Problem {
    Problem::bad_param("body", detail)
}

fn json_rows(bytes: &[u8]) -> Result<(Vec<Map<String, J>>, bool), Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad_body("the body is empty"));
    }
    if json_depth(bytes) > MAX_JSON_DEPTH {
        return Err(bad_body(format!("JSON nested deeper than {MAX_JSON_DEPTH} levels")));
    }
    let v: J = serde_json::from_slice(bytes)
        .map_err(|e| bad_body(format!("invalid JSON at line {} column {}", e.line(), e.column())))?;
    match v {
        J::Object(m) => Ok((vec![m], false)),
        J::Array(items) => {
            if items.is_empty() {
                return Err(bad_body("the array is empty"));
            }
            if items.len() > MAX_BATCH {
                return Err(bad_body(format!("at most {MAX_BATCH} rows per request")));
            }
            let rows = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    J::Object(m) => Ok(m),
                    _ => Err(bad_body(format!("element {i} is not an object"))),
                })
                .collect::<Result<_, _>>()?;
            Ok((rows, true))
        }
        _ => Err(bad_body("expected a JSON object or an array of objects")),
    }
}

fn form(bytes: &[u8]) -> Map<String, J> {
    form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), J::String(v.into_owned()))).collect()
}

async fn multipart(content_type: &str, bytes: Bytes) -> Result<Map<String, J>, Problem> {
    use base64::Engine as _;
    let boundary = multer::parse_boundary(content_type).map_err(|_| bad_body("multipart body without a boundary"))?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut out = Map::new();
    while let Some(field) = mp.next_field().await.map_err(|_| bad_body("malformed multipart body"))? {
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let data = field.bytes().await.map_err(|_| bad_body("malformed multipart body"))?;
        let value = match (is_file, String::from_utf8(data.to_vec())) {
            (false, Ok(s)) => s,
            _ => base64::engine::general_purpose::STANDARD.encode(&data),
        };
        out.insert(name, J::String(value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_containers_not_strings() {
        assert_eq!(json_depth(b"{}"), 1);
        assert_eq!(json_depth(br#"{"a":{}}"#), 2);
        assert_eq!(json_depth(br#"{"a":"{{{{[[[["}"#), 1);
        assert_eq!(json_depth(br#"{"a":"\"{"}"#), 1);
        assert_eq!(json_depth(b"[[[[[[[[[[[]]]]]]]]]]]"), 11);
    }
}
