//! JSON Schemas of column values, in the three places a value appears: in a
//! response (what the executor encodes), in a write body (what
//! `Value::from_json` and the write planner accept) and in a filter value of the
//! query string (what `Value::from_text` accepts). Each schema states exactly
//! the grammar the server enforces, so a client (or a fuzzer) that keeps to the
//! document is accepted, and one that leaves it is refused.
//!
//! Dates and datetimes are sent as the database stores them: `YYYY-MM-DD` and
//! `YYYY-MM-DDTHH:MM:SS`, the database's local time without an offset (see
//! `docs/openapi.md`). JSON Schema's `date-time` format requires an offset, so
//! datetimes carry a `pattern` instead.

use databuilder_engine::catalog::{Column, ColumnKind};
use databuilder_engine::value::DECIMAL_NUMBER_BOUND;
use serde_json::{Value as J, json};

/// A calendar date `YYYY-MM-DD`, leap years included (what chrono's `%Y-%m-%d` accepts for 4-digit years).
pub const DATE: &str = concat!(
    r"(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    r"|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
);
const HM: &str = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]";
const S: &str = r":[0-5][0-9]";

/// The wire format of a datetime in a response: local time, no offset.
pub fn datetime_out() -> String {
    format!("^{DATE}T{HM}{S}$")
}

/// A date-time as `parse_datetime` accepts it: RFC 3339 with an offset, or a
/// local time with `T` or a space, seconds and fractions optional, or a bare date.
fn datetime_in() -> String {
    format!("{DATE}(?:[T ]{HM}(?:{S}(?:\\.[0-9]{{1,9}})?)?)?|{DATE}[Tt ]{HM}{S}(?:\\.[0-9]{{1,9}})?(?:[Zz]|[+-]{HM})")
}

/// Base64 with canonical padding and zero trailing bits (the STANDARD engine).
const BASE64: &str = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?";
const INT: &str = r"[+-]?[0-9]{1,18}";
const DECIMAL: &str = r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,10})?";
const FLOAT: &str = r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,15})?(?:[eE][+-]?[0-9]{1,2})?";

/// The text grammar of one value of `kind` (unanchored), `None` for free text.
pub fn text_grammar(kind: ColumnKind) -> Option<String> {
    match kind {
        ColumnKind::Int => Some(INT.into()),
        ColumnKind::Bool => Some("true|false|1|0".into()),
        ColumnKind::Decimal { .. } => Some(DECIMAL.into()),
        ColumnKind::Float => Some(FLOAT.into()),
        ColumnKind::Date => Some(DATE.into()),
        ColumnKind::DateTime => Some(datetime_in()),
        ColumnKind::Binary => Some(BASE64.into()),
        ColumnKind::Text | ColumnKind::Time | ColumnKind::Json => None,
    }
}

fn nullable(mut s: J, nullable: bool) -> J {
    if nullable && let Some(any) = s.get_mut("anyOf").and_then(J::as_array_mut) {
        any.push(json!({"type": "null"}));
        return s;
    }
    if nullable {
        let ty = s["type"].clone();
        s["type"] = match ty {
            J::String(t) => json!([t, "null"]),
            J::Array(mut a) => {
                a.push(json!("null"));
                J::Array(a)
            }
            other => other,
        };
    }
    s
}

/// A value as the server sends it. Every column may be null in a response
/// (MySQL zero dates become null; a nullable column is null).
pub fn response(c: &Column) -> J {
    let s = match c.kind {
        ColumnKind::Int => json!({"type": "integer"}),
        ColumnKind::Bool => json!({"type": ["boolean", "integer"]}),
        ColumnKind::Float => json!({"type": "number"}),
        ColumnKind::Decimal { .. } => {
            json!({"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$", "description": "exact decimal, as stored"})
        }
        ColumnKind::Date => json!({"type": "string", "format": "date", "pattern": format!("^{DATE}$")}),
        ColumnKind::DateTime => json!({"type": "string", "pattern": datetime_out(),
            "description": "local time of the database, without offset: YYYY-MM-DDTHH:MM:SS"}),
        ColumnKind::Binary => json!({"type": "string", "contentEncoding": "base64"}),
        ColumnKind::Text | ColumnKind::Time | ColumnKind::Json => json!({"type": "string"}),
    };
    let mut s = nullable(s, true);
    s["x-sql-type"] = json!(c.sql_type);
    s
}

/// The range of an integer SQL type, as the database enforces it.
fn int_range(sql_type: &str) -> (i64, i64) {
    let t = sql_type.to_ascii_lowercase();
    let unsigned = t.contains("unsigned");
    let (lo, hi): (i64, i64) = if t.starts_with("tinyint") {
        (-128, 127)
    } else if t.starts_with("smallint") || t.starts_with("int2") {
        (-32768, 32767)
    } else if t.starts_with("mediumint") {
        (-8388608, 8388607)
    } else if t.starts_with("int(") || t == "int" || t.starts_with("int ") || t == "integer" && !t.is_empty() {
        (i32::MIN as i64, i32::MAX as i64)
    } else {
        (i64::MIN, i64::MAX)
    };
    if unsigned { (0, if hi == i64::MAX { hi } else { hi * 2 + 1 }) } else { (lo, hi) }
}

/// A value in a write body (JSON): what `Value::from_json` and the planner accept.
pub fn write(c: &Column, sqlite: bool) -> J {
    let pattern = |kind| format!("^(?:{})$", text_grammar(kind).unwrap_or_default());
    let s = match c.kind {
        ColumnKind::Int => {
            // SQLite's INTEGER holds any 64-bit value; MySQL and PostgreSQL enforce the declared width.
            let (lo, hi) = if sqlite { (i64::MIN, i64::MAX) } else { int_range(&c.sql_type) };
            json!({"type": ["integer", "boolean", "string"], "minimum": lo, "maximum": hi, "pattern": pattern(c.kind)})
        }
        ColumnKind::Bool => json!({"enum": [true, false, 0, 1, "true", "false", "1", "0"]}),
        ColumnKind::Text => text_write(c.max_len),
        ColumnKind::Time => json!({"type": ["string", "number"]}),
        ColumnKind::Json => json!({}),
        ColumnKind::Decimal { .. } => json!({"type": ["string", "number"], "pattern": pattern(c.kind),
            "minimum": -DECIMAL_NUMBER_BOUND, "maximum": DECIMAL_NUMBER_BOUND}),
        ColumnKind::Float => json!({"type": ["string", "number"], "pattern": pattern(c.kind)}),
        kind => json!({"type": "string", "pattern": pattern(kind)}),
    };
    let mut s = match (c.nullable, c.kind) {
        (_, ColumnKind::Json) => s,
        (true, ColumnKind::Bool) => json!({"enum": [true, false, 0, 1, "true", "false", "1", "0", null]}),
        (n, _) => nullable(s, n),
    };
    s["x-sql-type"] = json!(c.sql_type);
    s
}

/// The longest text of a JSON number (`-2.2250738585072014e-308`): a number
/// or boolean written to a text column is stored as its JSON text.
const LONGEST_NUMBER: usize = 24;

/// A text column takes strings, and numbers and booleans as their JSON text;
/// with a declared length shorter than any number's text, only what surely fits.
fn text_write(max_len: Option<usize>) -> J {
    match max_len {
        None => json!({"type": ["string", "number", "boolean"]}),
        Some(n) if n >= LONGEST_NUMBER => json!({"type": ["string", "number", "boolean"], "maxLength": n}),
        Some(n) => {
            let mut any = vec![json!({"type": "string", "maxLength": n})];
            if n >= 5 {
                any.push(json!({"type": "boolean"}));
            }
            let hi = 10i64.pow(n.min(18) as u32) - 1;
            let lo = if n >= 2 { -(10i64.pow((n - 1).min(18) as u32) - 1) } else { 0 };
            any.push(json!({"type": "integer", "minimum": lo, "maximum": hi}));
            json!({"anyOf": any})
        }
    }
}

/// The value of a scalar filter operator (`eq ne gt gte lt lte`).
pub fn filter_scalar(kind: ColumnKind) -> J {
    match text_grammar(kind) {
        Some(g) => json!({"type": "string", "pattern": format!("^(?:{g})$")}),
        None => json!({"type": "string"}),
    }
}

/// The value of `in`/`not_in` (1 to 1000 comma-separated values) or `between` (two).
pub fn filter_list(kind: ColumnKind, between: bool) -> J {
    let g = text_grammar(kind).unwrap_or_else(|| "[^,]*".into());
    let tail = if between { "{1}" } else { "{0,999}" };
    json!({"type": "string", "pattern": format!("^(?:{g})(?:,(?:{g})){tail}$")})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_widths() {
        assert_eq!(int_range("int(11)"), (i32::MIN as i64, i32::MAX as i64));
        assert_eq!(int_range("tinyint(1)"), (-128, 127));
        assert_eq!(int_range("int unsigned"), (0, u32::MAX as i64));
        assert_eq!(int_range("bigint(20)"), (i64::MIN, i64::MAX));
    }
}
