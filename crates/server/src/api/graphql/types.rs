//! GraphQL value types, part of the GraphQL front-end (`api/graphql/`): how a
//! catalog column kind appears in the schema, the custom scalars, and the
//! conversions between the executor's JSON rows and GraphQL values. Values keep
//! the REST encoding (SPEC §3): DECIMAL as exact strings, dates as ISO strings,
//! integers as numbers.

use async_graphql::dynamic::{Scalar, TypeRef};
use async_graphql::{Name, Value};
use databuilder_engine::catalog::ColumnKind;
use serde_json::Value as J;

/// Exact decimals (money), as strings.
pub const DECIMAL: &str = "Decimal";
/// 64-bit integers (`bigint`, unsigned `int`), as JSON numbers; input as number or string.
pub const BIG_INT: &str = "BigInt";
/// `YYYY-MM-DD`.
pub const DATE: &str = "Date";
/// ISO 8601 date-time.
pub const DATE_TIME: &str = "DateTime";
/// Any JSON value (JSON columns).
pub const JSON: &str = "JSON";
/// The `filter` argument: an object (`{status: 2, total_gte: 1000}`) or the
/// REST string form (`"status:2"`), or a list of either.
pub const FILTER: &str = "Filter";
/// The result of a delete mutation.
pub const DELETE_RESULT: &str = "DeleteResult";

/// Names no table type may take.
pub const RESERVED_TYPES: &[&str] = &[
    "Query",
    "Mutation",
    "Subscription",
    "Int",
    "Float",
    "String",
    "Boolean",
    "ID",
    DECIMAL,
    BIG_INT,
    DATE,
    DATE_TIME,
    JSON,
    FILTER,
    DELETE_RESULT,
];

/// The custom scalars every schema registers. They validate nothing themselves:
/// the planner types every value, so errors read like REST's (per field).
pub fn scalars() -> Vec<Scalar> {
    vec![
        Scalar::new(DECIMAL).description("Exact decimal number, as a string (send a string to keep every digit)."),
        Scalar::new(BIG_INT).description("64-bit integer: a JSON number on output; a number or a string on input."),
        Scalar::new(DATE).description("Date as an ISO 8601 string, `YYYY-MM-DD`."),
        Scalar::new(DATE_TIME).description("Date-time as an ISO 8601 string, `YYYY-MM-DDTHH:MM:SS`."),
        Scalar::new(JSON).description("Any JSON value."),
        Scalar::new(FILTER).description(
            "Filters, ANDed: an object `{status: 2, total_gte: 1000, status_in: [1, 4], duedate_is_null: true}` \
             (a column for equality, or `column_op` with op in eq ne gt gte lt lte like in not_in is_null \
             between starts_with contains), the REST string form `\"status:2\"` / `\"total.gte:1000\"`, \
             or a list of either.",
        ),
    ]
}

/// Whether a column holds 64-bit integers (beyond GraphQL's 32-bit `Int`).
pub fn is_64bit(sql_type: &str) -> bool {
    let t = sql_type.trim().to_ascii_lowercase();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    matches!(base, "bigint" | "int8" | "bigserial" | "serial8")
        || (t.contains("unsigned") && matches!(base, "int" | "integer"))
}

/// The named GraphQL type of a column kind.
pub fn scalar_of(kind: ColumnKind, big: bool) -> &'static str {
    match kind {
        ColumnKind::Int if big => BIG_INT,
        ColumnKind::Int => TypeRef::INT,
        ColumnKind::Bool => TypeRef::BOOLEAN,
        ColumnKind::Decimal { .. } => DECIMAL,
        ColumnKind::Float => TypeRef::FLOAT,
        ColumnKind::Date => DATE,
        ColumnKind::DateTime => DATE_TIME,
        ColumnKind::Json => JSON,
        ColumnKind::Text | ColumnKind::Time | ColumnKind::Binary => TypeRef::STRING,
    }
}

/// A column's output type: non-null when the catalog says NOT NULL.
pub fn output_type(kind: ColumnKind, big: bool, non_null: bool) -> TypeRef {
    let name = scalar_of(kind, big);
    if non_null { TypeRef::named_nn(name) } else { TypeRef::named(name) }
}

/// An executor JSON value as a GraphQL value.
pub fn to_gql(j: &J) -> Value {
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => Value::Number(n.clone()),
        J::String(s) => Value::String(s.clone()),
        J::Array(items) => Value::List(items.iter().map(to_gql).collect()),
        J::Object(m) => Value::Object(m.iter().map(|(k, v)| (Name::new(k), to_gql(v))).collect()),
    }
}

/// A GraphQL input value as JSON (enums become strings, binary base64 never occurs here).
pub fn to_json(v: &Value) -> J {
    match v {
        Value::Null | Value::Binary(_) => J::Null,
        Value::Boolean(b) => J::Bool(*b),
        Value::Number(n) => J::Number(n.clone()),
        Value::String(s) => J::String(s.clone()),
        Value::Enum(e) => J::String(e.to_string()),
        Value::List(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Object(m) => J::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_values() {
        assert!(is_64bit("bigint(20)"));
        assert!(is_64bit("BIGINT"));
        assert!(is_64bit("int(10) unsigned"));
        assert!(!is_64bit("int(11)"));
        assert!(!is_64bit("tinyint unsigned"));
        assert!(!is_64bit("integer"));
        assert_eq!(scalar_of(ColumnKind::Decimal { scale: Some(2) }, false), DECIMAL);
        assert_eq!(scalar_of(ColumnKind::Int, true), BIG_INT);
        assert_eq!(output_type(ColumnKind::Int, false, true).to_string(), "Int!");
        let j = serde_json::json!({"a": [1, "x", null, true], "b": "12.30"});
        assert_eq!(to_json(&to_gql(&j)), j);
    }
}
