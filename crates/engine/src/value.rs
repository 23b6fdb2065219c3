//! A typed SQL value: what the planner binds and what writes carry. Values are
//! always bound as parameters, never spliced into SQL text.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// One bindable value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Exact decimal (money). Bound as a decimal on MySQL/PostgreSQL.
    Decimal(Decimal),
    Text(String),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Bytes(Vec<u8>),
}

use base64::Engine as _;
use chrono::{DateTime, NaiveTime};

use crate::catalog::ColumnKind;

impl Value {
    /// Type a text value (query string, form field) for a column kind.
    /// The error says what was expected, for a 400/422 naming the field.
    pub fn from_text(kind: ColumnKind, s: &str) -> Result<Value, String> {
        match kind {
            ColumnKind::Int => s.trim().parse::<i64>().map(Value::Int).map_err(|_| "expected an integer".to_string()),
            ColumnKind::Bool => match s.trim() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err("expected true or false".into()),
            },
            ColumnKind::Decimal { .. } => {
                s.trim().parse::<Decimal>().map(Value::Decimal).map_err(|_| "expected a decimal number".to_string())
            }
            ColumnKind::Float => match s.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Value::Float(f)),
                _ => Err("expected a number".into()),
            },
            ColumnKind::Date => parse_date(s).map(Value::Date),
            ColumnKind::DateTime => parse_datetime(s).map(Value::DateTime),
            ColumnKind::Binary => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(Value::Bytes)
                .map_err(|_| "expected base64".to_string()),
            ColumnKind::Text | ColumnKind::Time | ColumnKind::Json => Ok(Value::Text(s.to_string())),
        }
    }

    /// Type a JSON value (request body) for a column kind.
    pub fn from_json(kind: ColumnKind, v: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        match (kind, v) {
            (_, J::Null) => Ok(Value::Null),
            (ColumnKind::Json, v) => Ok(Value::Text(v.to_string())),
            (ColumnKind::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
            (ColumnKind::Int, J::Bool(b)) => Ok(Value::Int(*b as i64)),
            (ColumnKind::Int, J::Number(n)) => int_from_number(n).ok_or_else(|| "expected an integer".into()),
            // An integral float is the integer JSON Schema says it is: `-4619.0` → "-4619".
            (ColumnKind::Text, J::Number(n)) => Ok(Value::Text(match int_from_number(n) {
                Some(Value::Int(i)) => i.to_string(),
                _ => n.to_string(),
            })),
            (ColumnKind::Decimal { .. }, J::Number(n)) => decimal_from_number(n),
            (_, J::Number(n)) => Value::from_text(kind, &n.to_string()),
            (_, J::String(s)) => Value::from_text(kind, s),
            (ColumnKind::Text, J::Bool(b)) => Ok(Value::Text(b.to_string())),
            _ => Err(format!("expected {}", kind_name(kind))),
        }
    }
}

/// A JSON number for an integer column: `7`, or a float with no fraction
/// (`7.0`, which JSON and JSON Schema count as the integer 7) within i64.
fn int_from_number(n: &serde_json::Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        return Some(Value::Int(i));
    }
    let f = n.as_f64()?;
    // Floats this large are rounded: -9223372036854775809 parses as -2^63, so
    // both bounds are exclusive (the integer forms of i64::MIN/MAX take `as_i64`).
    (f.fract() == 0.0 && f > -9_223_372_036_854_775_808.0 && f < 9_223_372_036_854_775_808.0)
        .then_some(Value::Int(f as i64))
}

/// The largest magnitude a JSON number written to a DECIMAL column may have
/// (below `Decimal::MAX`); the OpenAPI document states the same bound.
pub const DECIMAL_NUMBER_BOUND: f64 = 1e28;

/// A JSON number for a DECIMAL column: exact when written in plain notation,
/// otherwise (exponents, tiny fractions) the nearest decimal of the float.
fn decimal_from_number(n: &serde_json::Number) -> Result<Value, String> {
    use rust_decimal::prelude::FromPrimitive;
    if let Ok(d) = n.to_string().parse::<Decimal>() {
        // The documented range (the OpenAPI document's `maximum`), also for numbers
        // a Decimal could hold.
        let bound = Decimal::from_i128_with_scale(10i128.pow(28), 0);
        return if d.abs() <= bound {
            Ok(Value::Decimal(d))
        } else {
            Err("expected a decimal number within ±1e28".into())
        };
    }
    match n.as_f64() {
        Some(f) if f.abs() <= DECIMAL_NUMBER_BOUND => {
            Decimal::from_f64(f).map(Value::Decimal).ok_or_else(|| "expected a decimal number".into())
        }
        _ => Err("expected a decimal number within ±1e28".into()),
    }
}

/// A short human name of a kind, for error messages.
pub fn kind_name(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Int => "an integer",
        ColumnKind::Bool => "a boolean",
        ColumnKind::Decimal { .. } => "a decimal number",
        ColumnKind::Float => "a number",
        ColumnKind::Text | ColumnKind::Time => "a string",
        ColumnKind::Date => "a date (YYYY-MM-DD)",
        ColumnKind::DateTime => "a date-time (ISO 8601)",
        ColumnKind::Json => "JSON",
        ColumnKind::Binary => "base64 text",
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| "expected a date (YYYY-MM-DD)".into())
}

/// ISO 8601 / SQL date-times; an offset is converted to UTC; a bare date is midnight.
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, String> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.naive_utc());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(dt);
        }
    }
    parse_date(s).map(|d| d.and_time(NaiveTime::MIN)).map_err(|_| "expected a date-time (ISO 8601)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing() {
        assert_eq!(Value::from_text(ColumnKind::Int, "42"), Ok(Value::Int(42)));
        assert!(Value::from_text(ColumnKind::Int, "4x").is_err());
        assert_eq!(
            Value::from_text(ColumnKind::Decimal { scale: Some(2) }, "10.50"),
            Ok(Value::Decimal(Decimal::new(1050, 2)))
        );
        assert!(Value::from_text(ColumnKind::Date, "2024-02-30").is_err());
        assert_eq!(
            Value::from_text(ColumnKind::DateTime, "2024-02-01T10:00:00+02:00"),
            Ok(Value::DateTime(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap().and_hms_opt(8, 0, 0).unwrap()))
        );
        assert!(Value::from_json(ColumnKind::Int, &serde_json::json!(1.5)).is_err());
        assert_eq!(Value::from_json(ColumnKind::Int, &serde_json::json!(1298.0)), Ok(Value::Int(1298)));
        assert!(Value::from_json(ColumnKind::Int, &serde_json::json!(1e19)).is_err());
        let below_min: serde_json::Value = serde_json::from_str("-9223372036854775809").unwrap();
        assert!(Value::from_json(ColumnKind::Int, &below_min).is_err());
        assert!(Value::from_json(ColumnKind::Int, &serde_json::json!([1])).is_err());
        assert_eq!(Value::from_json(ColumnKind::Text, &serde_json::json!(7)), Ok(Value::Text("7".into())));
        let dec = ColumnKind::Decimal { scale: Some(2) };
        assert_eq!(Value::from_json(dec, &serde_json::json!(10.5)), Ok(Value::Decimal(Decimal::new(105, 1))));
        assert!(matches!(Value::from_json(dec, &serde_json::json!(1e-7)), Ok(Value::Decimal(_))));
        assert!(matches!(Value::from_json(dec, &serde_json::json!(5e-324)), Ok(Value::Decimal(_))));
        assert!(matches!(Value::from_json(dec, &serde_json::json!(1e27)), Ok(Value::Decimal(_))));
        assert!(Value::from_json(dec, &serde_json::json!(1e29)).is_err());
        assert!(Value::from_json(dec, &serde_json::json!(1.0000000000000002e28)).is_err(), "the documented bound");
        assert_eq!(Value::from_json(ColumnKind::Text, &serde_json::json!(-4619.0)), Ok(Value::Text("-4619".into())));
    }
}
