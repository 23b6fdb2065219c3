//! Per-dialect binding of [`Value`]s and decoding of result rows into JSON.
//! One impl per database, the same shape each (DEPENDENCIES.md: the `Any`
//! driver cannot decode DECIMAL/DATE/…, so each dialect decodes its own types).

use base64::Engine as _;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use serde_json::Value as J;
use sqlx::{Column, Database, Row, TypeInfo, ValueRef};

use crate::catalog::ColumnKind;
use crate::value::Value;

type Q<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments>;

/// What the executor needs from a concrete sqlx database.
pub trait Driver: Database {
    fn bind_value<'q>(q: Q<'q, Self>, v: &Value) -> Q<'q, Self>;
    /// Decode column `i`; `kind` is the catalog's kind when the column is known.
    fn decode(row: &Self::Row, i: usize, kind: Option<ColumnKind>) -> J;
    fn rows_affected(r: &Self::QueryResult) -> u64;
    fn last_insert_id(r: &Self::QueryResult) -> Option<i64>;
}

/// A decimal as an exact string; as a number when the column is an integer
/// (`SUM(int)` is DECIMAL on MySQL and NUMERIC on PostgreSQL).
fn decimal(d: Decimal, kind: Option<ColumnKind>) -> J {
    match (kind, i64::try_from(d)) {
        (Some(ColumnKind::Int), Ok(n)) => J::from(n),
        _ => J::String(d.to_string()),
    }
}

fn b64(bytes: &[u8]) -> J {
    J::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn float(f: f64) -> J {
    serde_json::Number::from_f64(f).map(J::Number).unwrap_or(J::Null)
}

fn date(d: NaiveDate) -> J {
    J::String(d.format("%Y-%m-%d").to_string())
}

fn datetime(d: NaiveDateTime) -> J {
    J::String(d.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// Format a float stored for a DECIMAL column with the column's scale.
fn decimal_from_f64(f: f64, scale: Option<u32>) -> J {
    match scale {
        Some(s) => J::String(format!("{:.*}", s as usize, f)),
        None => J::String(f.to_string()),
    }
}

/// SQL text dates (SQLite) → ISO; zero dates → null.
fn text_temporal(s: String, kind: ColumnKind) -> J {
    if s.starts_with("0000-00-00") || s.is_empty() {
        return J::Null;
    }
    match kind {
        ColumnKind::Date => J::String(s.get(..10).unwrap_or(&s).to_string()),
        _ => J::String(s.replacen(' ', "T", 1)),
    }
}

impl Driver for sqlx::Sqlite {
    fn bind_value<'q>(q: Q<'q, Self>, v: &Value) -> Q<'q, Self> {
        match v {
            Value::Null => q.bind(None::<String>),
            Value::Bool(b) => q.bind(*b as i64),
            Value::Int(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::Decimal(d) => q.bind(f64::try_from(*d).unwrap_or(0.0)),
            Value::Text(s) => q.bind(s.clone()),
            Value::Date(d) => q.bind(d.format("%Y-%m-%d").to_string()),
            Value::DateTime(d) => q.bind(d.format("%Y-%m-%d %H:%M:%S").to_string()),
            Value::Bytes(b) => q.bind(b.clone()),
        }
    }

    fn decode(row: &Self::Row, i: usize, kind: Option<ColumnKind>) -> J {
        let Ok(raw) = row.try_get_raw(i) else {
            return J::Null;
        };
        if raw.is_null() {
            return J::Null;
        }
        let storage = raw.type_info().name().to_ascii_uppercase();
        match storage.as_str() {
            "INTEGER" | "INT" | "BOOLEAN" => {
                let n: i64 = row.try_get(i).unwrap_or_default();
                match kind {
                    Some(ColumnKind::Bool) => J::Bool(n != 0),
                    Some(ColumnKind::Decimal { scale }) => decimal_from_f64(n as f64, scale),
                    _ => J::from(n),
                }
            }
            "REAL" => {
                let f: f64 = row.try_get(i).unwrap_or_default();
                match kind {
                    Some(ColumnKind::Decimal { scale }) => decimal_from_f64(f, scale),
                    Some(ColumnKind::Int) if f.fract() == 0.0 => J::from(f as i64),
                    _ => float(f),
                }
            }
            "BLOB" => b64(&row.try_get::<Vec<u8>, _>(i).unwrap_or_default()),
            _ => {
                let s: String = row.try_get(i).unwrap_or_default();
                match kind {
                    Some(k @ (ColumnKind::Date | ColumnKind::DateTime)) => text_temporal(s, k),
                    Some(ColumnKind::Json) => serde_json::from_str(&s).unwrap_or(J::String(s)),
                    Some(ColumnKind::Int) => s.parse::<i64>().map(J::from).unwrap_or(J::String(s)),
                    _ => J::String(s),
                }
            }
        }
    }

    fn rows_affected(r: &Self::QueryResult) -> u64 {
        r.rows_affected()
    }

    fn last_insert_id(r: &Self::QueryResult) -> Option<i64> {
        Some(r.last_insert_rowid())
    }
}

/// MySQL and PostgreSQL bind every value with its native type (SQLite differs:
/// it has no DECIMAL, DATE or BOOLEAN storage).
macro_rules! bind_native {
    () => {
        fn bind_value<'q>(q: Q<'q, Self>, v: &Value) -> Q<'q, Self> {
            match v {
                Value::Null => q.bind(None::<String>),
                Value::Bool(b) => q.bind(*b),
                Value::Int(i) => q.bind(*i),
                Value::Float(f) => q.bind(*f),
                Value::Decimal(d) => q.bind(*d),
                Value::Text(s) => q.bind(s.clone()),
                Value::Date(d) => q.bind(*d),
                Value::DateTime(d) => q.bind(*d),
                Value::Bytes(b) => q.bind(b.clone()),
            }
        }
    };
}

impl Driver for sqlx::MySql {
    bind_native!();

    fn decode(row: &Self::Row, i: usize, kind: Option<ColumnKind>) -> J {
        let Ok(raw) = row.try_get_raw(i) else {
            return J::Null;
        };
        if raw.is_null() {
            return J::Null;
        }
        let ty = row.column(i).type_info().name().to_ascii_uppercase();
        let t = ty.as_str();
        if t.contains("INT") || t == "BOOLEAN" || t == "YEAR" {
            if let Ok(n) = row.try_get::<i64, _>(i) {
                return if kind == Some(ColumnKind::Bool) { J::Bool(n != 0) } else { J::from(n) };
            }
            if let Ok(n) = row.try_get::<u64, _>(i) {
                return J::from(n);
            }
            return row.try_get::<bool, _>(i).map(|b| J::from(b as i64)).unwrap_or(J::Null);
        }
        match t {
            "DECIMAL" => row.try_get::<Decimal, _>(i).map(|d| decimal(d, kind)).unwrap_or(J::Null),
            "FLOAT" => row.try_get::<f32, _>(i).map(|f| float(f as f64)).unwrap_or(J::Null),
            "DOUBLE" => row.try_get::<f64, _>(i).map(float).unwrap_or(J::Null),
            // Zero dates (`0000-00-00`) do not decode: they become null, as SPEC §3 says.
            "DATE" => row.try_get::<NaiveDate, _>(i).map(date).unwrap_or(J::Null),
            "DATETIME" | "TIMESTAMP" => row.try_get::<NaiveDateTime, _>(i).map(datetime).unwrap_or(J::Null),
            "TIME" => row.try_get::<NaiveTime, _>(i).map(|t| J::String(t.to_string())).unwrap_or(J::Null),
            "JSON" => row.try_get::<J, _>(i).unwrap_or(J::Null),
            _ => match row.try_get::<String, _>(i) {
                Ok(s) if kind == Some(ColumnKind::Json) => serde_json::from_str(&s).unwrap_or(J::String(s)),
                Ok(s) => J::String(s),
                Err(_) => b64(&row.try_get::<Vec<u8>, _>(i).unwrap_or_default()),
            },
        }
    }

    fn rows_affected(r: &Self::QueryResult) -> u64 {
        r.rows_affected()
    }

    fn last_insert_id(r: &Self::QueryResult) -> Option<i64> {
        i64::try_from(r.last_insert_id()).ok()
    }
}

impl Driver for sqlx::Postgres {
    bind_native!();

    fn decode(row: &Self::Row, i: usize, kind: Option<ColumnKind>) -> J {
        let Ok(raw) = row.try_get_raw(i) else {
            return J::Null;
        };
        if raw.is_null() {
            return J::Null;
        }
        let ty = row.column(i).type_info().name().to_ascii_uppercase();
        match ty.as_str() {
            "INT2" | "SMALLINT" => row.try_get::<i16, _>(i).map(J::from).unwrap_or(J::Null),
            "INT4" | "INT" | "INTEGER" => row.try_get::<i32, _>(i).map(J::from).unwrap_or(J::Null),
            "INT8" | "BIGINT" => row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null),
            "NUMERIC" => row.try_get::<Decimal, _>(i).map(|d| decimal(d, kind)).unwrap_or(J::Null),
            "FLOAT4" | "REAL" => row.try_get::<f32, _>(i).map(|f| float(f as f64)).unwrap_or(J::Null),
            "FLOAT8" | "DOUBLE PRECISION" => row.try_get::<f64, _>(i).map(float).unwrap_or(J::Null),
            "BOOL" | "BOOLEAN" => row.try_get::<bool, _>(i).map(J::Bool).unwrap_or(J::Null),
            "DATE" => row.try_get::<NaiveDate, _>(i).map(date).unwrap_or(J::Null),
            "TIMESTAMP" => row.try_get::<NaiveDateTime, _>(i).map(datetime).unwrap_or(J::Null),
            "TIMESTAMPTZ" => row
                .try_get::<chrono::DateTime<chrono::Utc>, _>(i)
                .map(|d| J::String(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
                .unwrap_or(J::Null),
            "TIME" => row.try_get::<NaiveTime, _>(i).map(|t| J::String(t.to_string())).unwrap_or(J::Null),
            "JSON" | "JSONB" => row.try_get::<J, _>(i).unwrap_or(J::Null),
            "BYTEA" => b64(&row.try_get::<Vec<u8>, _>(i).unwrap_or_default()),
            _ => row.try_get::<String, _>(i).map(J::String).unwrap_or(J::Null),
        }
    }

    fn rows_affected(r: &Self::QueryResult) -> u64 {
        r.rows_affected()
    }

    fn last_insert_id(_r: &Self::QueryResult) -> Option<i64> {
        None
    }
}
