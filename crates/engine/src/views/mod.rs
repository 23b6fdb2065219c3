//! Saved datasets: views (a stored list request with typed parameters), reports
//! (aggregates over a resource or a view) and report groups. Definitions are
//! stored as data and re-planned on every call for the calling principal, so
//! scopes, row filters and secret-column rules always apply.

mod aggregate;
mod compile;
mod pipeline;
mod report;

pub use aggregate::{
    AggregateRequest, DEFAULT_AGGREGATE_ROWS, MAX_AGGREGATE_ROWS, MAX_GROUP_KEYS, MAX_METRICS, plan_aggregate,
    split_list,
};
pub use compile::{ViewError, compile_view, narrow, validate_view, view_principal};
pub use pipeline::{plan_report_for, plan_view};
pub use report::{plan_report, validate_report};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The type of a declared parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    Int,
    Decimal,
    String,
    Date,
    Datetime,
    Bool,
}

/// A definition's slug: 1–100 lower-case letters, digits, `-` or `_`, checked
/// when the definition is read, so every slug in the program is a valid one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl TryFrom<String> for Slug {
    type Error = String;
    fn try_from(s: String) -> Result<Slug, String> {
        if valid_slug(&s) {
            Ok(Slug(s))
        } else {
            Err(format!("{s:?} is not a slug: 1-100 lower-case letters, digits, `-` or `_`"))
        }
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

impl std::ops::Deref for Slug {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A declared parameter of a view or report (`{{name}}` in filters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    #[serde(rename = "type")]
    pub kind: ParamKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
}

/// A saved view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewDef {
    pub slug: Slug,
    pub name: String,
    pub resource: String,
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub sort: Option<String>,
    /// REST filter keys (`col` or `col.op`) to values; `{{name}}` inserts a parameter.
    #[serde(default)]
    pub filter: BTreeMap<String, String>,
    #[serde(default)]
    pub params: BTreeMap<String, ParamDef>,
}

/// A saved report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDef {
    pub slug: Slug,
    pub name: String,
    #[serde(default)]
    pub resource: Option<String>,
    /// Aggregate a view instead of a resource (its filters and parameters apply).
    #[serde(default)]
    pub view: Option<Slug>,
    #[serde(default)]
    pub group_by: Vec<String>,
    pub metrics: Vec<String>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
    /// `bar`, `line`, `pie` or `table`.
    #[serde(default)]
    pub chart: Option<String>,
    #[serde(default)]
    pub filter: BTreeMap<String, String>,
    /// Metric conditions: `"sum(total).gt" = "0"`.
    #[serde(default)]
    pub having: BTreeMap<String, String>,
    #[serde(default)]
    pub params: BTreeMap<String, ParamDef>,
}

/// A saved report group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDef {
    pub slug: Slug,
    pub name: String,
    pub reports: Vec<Slug>,
}

/// Slugs: lower-case letters, digits and dashes, 1–100 characters.
pub fn valid_slug(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}
