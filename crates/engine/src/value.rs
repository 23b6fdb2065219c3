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
