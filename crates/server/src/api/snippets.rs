//! `POST /snippets`: runnable code for one API request, in cURL, JavaScript
//! (fetch), PHP (curl) and Python (requests). The one place snippets are made:
//! the Explorer shows what this answers, tools and tests call it directly.
//!
//! Every snippet reads the token from `DATABUILDER_TOKEN` and never embeds it.
//! When the calling token signs its requests (SPEC §6.3), the snippet carries
//! the signing code, with the secret from `DATABUILDER_HMAC_SECRET`. The query
//! string is re-encoded canonically (only `A-Z a-z 0-9 - . _ ~` literal), so no
//! client library re-quotes it and the signed QUERY is the one sent.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Value as J, json};

use crate::app_state::Shared;
use crate::problem::Problem;
use crate::routes::BASE;
use crate::store::tokens;

mod render;

/// Characters kept literal in a query string: RFC 3986 unreserved.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    body: Option<J>,
}

/// One request, validated and normalized: what every snippet sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    /// `scheme://host[:port]`.
    pub origin: String,
    /// The full path, from `/api/…`.
    pub path: String,
    /// Canonical query string, without `?` (may be empty).
    pub query: String,
    /// Exact body bytes (compact JSON), empty when there is none.
    pub body: String,
}

/// The four snippets of one call.
#[derive(Debug, Clone)]
pub struct Snippets {
    pub curl: String,
    pub javascript: String,
    pub php: String,
    pub python: String,
}

/// Re-encode a raw query string: decoded pair by pair, then percent-encoded
/// with only unreserved characters literal (a space is `%20`).
pub fn canonical_query(raw: &str) -> String {
    form_urlencoded::parse(raw.trim_start_matches('?').as_bytes())
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(&k, QUERY_SET), utf8_percent_encode(&v, QUERY_SET)))
        .collect::<Vec<_>>()
        .join("&")
}

fn valid_path(p: &str) -> bool {
    p.starts_with('/')
        && p.len() <= 2048
        && !p.split('/').any(|s| s == ".." || s == ".")
        && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b))
}

fn valid_host(h: &str) -> bool {
    !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

impl Call {
    /// Validate the request body of `POST /snippets`.
    fn from_input(input: Input, origin: String) -> Result<Call, Problem> {
        let method = input.method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(Problem::bad_param("method", "must be one of GET, POST, PUT, PATCH, DELETE"));
        }
        let rel = input.path.strip_prefix(BASE).unwrap_or(&input.path);
        if !valid_path(rel) || rel.contains("//") {
            return Err(Problem::bad_param(
                "path",
                "must be an API path like `/invoices/5`: `/` then letters, digits, `-._~%/`",
            ));
        }
        if input.query.len() > 4096 {
            return Err(Problem::bad_param("query", "longer than 4096 bytes"));
        }
        let body = match input.body {
            None | Some(J::Null) => String::new(),
            Some(_) if method == "GET" => return Err(Problem::bad_param("body", "a GET request has no body")),
            Some(b) => serde_json::to_string(&b).unwrap_or_default(),
        };
        Ok(Call { method, origin, path: format!("{BASE}{rel}"), query: canonical_query(&input.query), body })
    }

    /// The URL as sent.
    pub fn url(&self) -> String {
        if self.query.is_empty() {
            format!("{}{}", self.origin, self.path)
        } else {
            format!("{}{}?{}", self.origin, self.path, self.query)
        }
    }
}

/// Every snippet of a call; `signed` adds the HMAC signing code.
pub fn generate(call: &Call, signed: bool) -> Snippets {
    Snippets {
        curl: render::curl(call, signed),
        javascript: render::javascript(call, signed),
        php: render::php(call, signed),
        python: render::python(call, signed),
    }
}

/// `scheme://host` of the server as the caller reached it.
fn origin(app: &Shared, headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).filter(|h| valid_host(h));
    let scheme = if app.config.security.https { "https" } else { "http" };
    format!("{scheme}://{}", host.unwrap_or("127.0.0.1:8080"))
}

/// Whether the calling token must sign (its record holds an HMAC secret).
async fn caller_signs(app: &Shared, headers: &HeaderMap) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    match bearer {
        Some(t) => matches!(app.token(&tokens::hash(&t)).await, Ok(Some(entry)) if entry.record.hmac_secret.is_some()),
        None => false,
    }
}

/// `POST /snippets` with `{method, path, query, body}`.
pub async fn snippets(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Result<Json<J>, Problem> {
    let input: Input = serde_json::from_slice(&body).map_err(|e| Problem::bad_param("body", e.to_string()))?;
    let call = Call::from_input(input, origin(&app, &headers))?;
    let signed = caller_signs(&app, &headers).await;
    let s = generate(&call, signed);
    Ok(Json(json!({
        "data": {
            "curl": s.curl, "javascript": s.javascript, "php": s.php, "python": s.python,
            "signed": signed, "url": call.url(),
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_canonical() {
        assert_eq!(canonical_query("filter[status]=2&sort=-total"), "filter%5Bstatus%5D=2&sort=-total");
        assert_eq!(
            canonical_query("filter%5Bname.like%5D=O%27Brien+%26+co"),
            "filter%5Bname.like%5D=O%27Brien%20%26%20co"
        );
        assert_eq!(canonical_query("cursor"), "cursor=");
        assert_eq!(canonical_query("?a=~x"), "a=~x");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn paths_and_hosts_are_checked() {
        assert!(valid_path("/invoices/5"));
        assert!(valid_path("/views/client-invoices"));
        assert!(!valid_path("/a/../admin"));
        assert!(!valid_path("/a b"));
        assert!(!valid_path("/a'b"));
        assert!(!valid_path("invoices"));
        assert!(valid_host("127.0.0.1:8080"));
        assert!(valid_host("[::1]:80"));
        assert!(!valid_host("evil.com/x"));
        assert!(!valid_host("a'b"));
    }

    #[test]
    fn calls_are_validated() {
        let input =
            |m: &str, p: &str, b: Option<J>| Input { method: m.into(), path: p.into(), query: String::new(), body: b };
        let o = || "http://h".to_string();
        assert!(Call::from_input(input("TRACE", "/x", None), o()).is_err());
        assert!(Call::from_input(input("GET", "/x", Some(json!({"a": 1}))), o()).is_err());
        let c = Call::from_input(input("post", "/api/data_builder/v1/x", Some(json!({"a": 1}))), o()).unwrap();
        assert_eq!(
            (c.method.as_str(), c.path.as_str(), c.body.as_str()),
            ("POST", "/api/data_builder/v1/x", r#"{"a":1}"#)
        );
        assert_eq!(c.url(), "http://h/api/data_builder/v1/x");
    }
}
