//! The RFC 9457 problem schema and the error statuses of each kind of
//! operation, as `crate::problem` and the security pipeline answer them. Every
//! operation lists every status it can answer, all with the same schema.

use serde_json::{Map, Value as J, json};

/// Statuses any API route can answer before its handler runs: the shield
/// (400 query too long, 429 per-IP throttle, 503 load shedding and deadline),
/// the auth gate (401), the scope verifier (403) and the token's rate limit (429).
pub const PIPELINE: &[u16] = &[400, 401, 403, 429, 503];

fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad parameter or body: the `errors` member names it",
        401 => "Missing, malformed, unknown, expired or unsigned token",
        403 => "The token may not do this",
        404 => "No such row, view, report or group",
        408 => "The body arrived too slowly",
        409 => {
            "Conflict: a unique value exists, a row is referenced, or an Idempotency-Key was reused with another body"
        }
        412 => "If-Match: the row changed since that ETag",
        413 => "The body exceeds the size limit",
        415 => "Unsupported Content-Type",
        422 => "Validation failed: `errors` maps each field to its messages",
        429 => "Rate limit reached (token or client address)",
        503 => "Overloaded, timed out, or the database is unavailable",
        _ => "Problem",
    }
}

/// The `Problem` component schema.
pub fn schema() -> J {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status", "detail", "instance", "request_id"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "request_id": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
    })
}

/// Add a problem response for each status.
pub fn add(responses: &mut Map<String, J>, statuses: &[u16]) {
    for s in statuses {
        responses.insert(
            s.to_string(),
            json!({"description": title(*s), "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
        );
    }
}

/// A responses object: the successes given, then the pipeline's problems and `extra`.
pub fn responses(ok: J, extra: &[u16]) -> J {
    let mut r = ok.as_object().cloned().unwrap_or_default();
    let mut all: Vec<u16> = PIPELINE.iter().chain(extra).copied().collect();
    all.sort_unstable();
    all.dedup();
    add(&mut r, &all);
    J::Object(r)
}
