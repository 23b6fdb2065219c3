//! One audit record: what the request logger hands over ([`AuditRecord`]) and
//! the form it is stored and hashed in ([`Entry`]): text clipped to the column
//! widths, times to the second, so written and re-read records hash alike.

use chrono::{NaiveDateTime, Timelike};
use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::{Row, as_i64};
use databuilder_engine::value::{Value, parse_datetime};
use serde_json::Value as J;

/// Column widths (characters), as declared in the DDL.
const W_REQUEST_ID: usize = 32;
const W_CLIENT_IP: usize = 45;
const W_METHOD: usize = 10;
const W_PATH: usize = 2048;
const W_STAGE: usize = 16;

/// Every column, in [`KINDS`] order (`columns!()` spelled out).
pub(super) const NAMES: [&str; 13] = [
    "id",
    "request_id",
    "token_id",
    "client_ip",
    "method",
    "path",
    "status",
    "stage",
    "duration_ms",
    "response_bytes",
    "created_at",
    "prev_hash",
    "hash",
];
pub(super) const KINDS: [Option<ColumnKind>; 13] = [
    Some(ColumnKind::Int),
    Some(ColumnKind::Text),
    Some(ColumnKind::Int),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
    Some(ColumnKind::Int),
    Some(ColumnKind::Text),
    Some(ColumnKind::Int),
    Some(ColumnKind::Int),
    Some(ColumnKind::DateTime),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
];

/// One request, as the request logger saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// The request id (also sent as a response header).
    pub request_id: String,
    /// The authenticated token, when the auth gate got that far.
    pub token_id: Option<i64>,
    /// The client IP (from the socket, or `X-Forwarded-For` behind a trusted proxy).
    pub client_ip: String,
    pub method: String,
    /// The path with its query already redacted by [`redact_path`](super::redact_path).
    pub path: String,
    pub status: u16,
    /// The stage that rejected the request (`shield`, `cors`, `auth`, `rate`,
    /// `scope`), or `None` when the handler answered.
    pub stage: Option<&'static str>,
    pub duration_ms: u64,
    pub response_bytes: u64,
    /// When the request started (UTC); stored to the second.
    pub created_at: NaiveDateTime,
}

/// A record as stored: text clipped to its column width, times to the second,
/// numbers as the database holds them. Written and re-read records hash alike.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub(super) request_id: String,
    pub(super) token_id: Option<i64>,
    pub(super) client_ip: String,
    pub(super) method: String,
    pub(super) path: String,
    pub(super) status: i64,
    pub(super) stage: Option<String>,
    pub(super) duration_ms: i64,
    pub(super) response_bytes: i64,
    pub(super) created_at: NaiveDateTime,
}

/// At most `max` characters of `s`, without NUL (PostgreSQL refuses it in text).
fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|&c| c != '\0').take(max).collect()
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Entry {
    pub(super) fn from_record(r: &AuditRecord) -> Entry {
        Entry {
            request_id: clip(&r.request_id, W_REQUEST_ID),
            token_id: r.token_id,
            client_ip: clip(&r.client_ip, W_CLIENT_IP),
            method: clip(&r.method, W_METHOD),
            path: clip(&r.path, W_PATH),
            status: i64::from(r.status),
            stage: r.stage.map(|s| clip(s, W_STAGE)),
            duration_ms: saturating_i64(r.duration_ms),
            response_bytes: saturating_i64(r.response_bytes),
            created_at: r.created_at.with_nanosecond(0).unwrap_or(r.created_at),
        }
    }

    /// A row selected with `columns!()`: its id, entry, prev_hash and hash.
    pub(super) fn from_row(r: &Row) -> Option<(i64, Entry, String, String)> {
        let text = |i: usize| r.get(i).and_then(J::as_str).map(str::to_string);
        let int = |i: usize| r.get(i).and_then(as_i64);
        let entry = Entry {
            request_id: text(1)?,
            token_id: int(2),
            client_ip: text(3)?,
            method: text(4)?,
            path: text(5)?,
            status: int(6)?,
            stage: text(7),
            duration_ms: int(8)?,
            response_bytes: int(9)?,
            created_at: parse_datetime(&text(10)?).ok()?,
        };
        Some((int(0)?, entry, text(11)?, text(12)?))
    }

    /// The bound values of one row, in [`NAMES`] order.
    pub(super) fn params(&self, id: i64, prev_hash: &str, hash: &str) -> Vec<Value> {
        let text = |s: &str| Value::Text(s.to_string());
        vec![
            Value::Int(id),
            text(&self.request_id),
            self.token_id.map_or(Value::Null, Value::Int),
            text(&self.client_ip),
            text(&self.method),
            text(&self.path),
            Value::Int(self.status),
            self.stage.as_deref().map_or(Value::Null, text),
            Value::Int(self.duration_ms),
            Value::Int(self.response_bytes),
            Value::DateTime(self.created_at),
            text(prev_hash),
            text(hash),
        ]
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::now;

    pub(crate) fn entry() -> Entry {
        Entry::from_record(&AuditRecord {
            request_id: "r1".into(),
            token_id: Some(7),
            client_ip: "10.0.0.1".into(),
            method: "GET".into(),
            path: "/api/x?token=REDACTED".into(),
            status: 200,
            stage: None,
            duration_ms: 12,
            response_bytes: 345,
            created_at: parse_datetime("2024-05-01T10:11:12.345").unwrap(),
        })
    }

    #[test]
    fn clips_to_column_widths() {
        let long = AuditRecord { path: "é".repeat(3000), request_id: "x\0y".into(), ..entry_record() };
        let e = Entry::from_record(&long);
        assert_eq!(e.path.chars().count(), W_PATH);
        assert_eq!(e.request_id, "xy");
        assert_eq!(entry().created_at.nanosecond(), 0, "stored to the second");
    }

    fn entry_record() -> AuditRecord {
        AuditRecord {
            request_id: String::new(),
            token_id: None,
            client_ip: String::new(),
            method: "GET".into(),
            path: "/".into(),
            status: 200,
            stage: None,
            duration_ms: 0,
            response_bytes: 0,
            created_at: now(),
        }
    }
}
