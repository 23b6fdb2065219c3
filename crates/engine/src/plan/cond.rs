//! Conditions and selects: the planned shape of a read, with identifiers as
//! catalog indexes and values already typed. The renderer turns these into SQL.

use crate::value::Value;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => " = ",
            CmpOp::Ne => " <> ",
            CmpOp::Gt => " > ",
            CmpOp::Gte => " >= ",
            CmpOp::Lt => " < ",
            CmpOp::Lte => " <= ",
        }
    }
}

/// A boolean condition over one table's columns (by index).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Cmp {
        col: usize,
        op: CmpOp,
        value: Value,
    },
    In {
        col: usize,
        values: Vec<Value>,
        negated: bool,
    },
    IsNull {
        col: usize,
        negated: bool,
    },
    /// Case-insensitive LIKE; `escaped` patterns use `!` as the escape character.
    Like {
        col: usize,
        pattern: String,
        escaped: bool,
    },
    /// Matches nothing (an empty `in`, a row filter that cannot hold).
    False,
}

/// One ORDER BY key. Ascending puts NULLs first and descending last, on every dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderKey {
    pub col: usize,
    pub desc: bool,
}

/// A single-table SELECT.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub table: usize,
    /// Selected column indexes, in output order.
    pub columns: Vec<usize>,
    /// ANDed conditions.
    pub filter: Vec<Cond>,
    pub order: Vec<OrderKey>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// Escape `%`, `_` and `!` for a LIKE pattern with `ESCAPE '!'`.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}
