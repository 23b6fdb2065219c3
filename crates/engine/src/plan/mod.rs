//! The planner: resolves a front-end-neutral request against the catalog for a
//! [`Principal`]. Every permission rule — table matrix, sensitive tables, secret
//! columns, column lists, row filters — is compiled *into* the plan here
//! (`permissions.rs`), so REST, GraphQL, views and the Explorer inherit them.

mod cond;
pub mod cursor;
pub mod permissions;
mod read;
mod report;
#[cfg(test)]
mod tests;
mod write;

use std::collections::BTreeMap;

pub use cond::{CmpOp, Cond, OrderKey, Select, like_escape};
pub use permissions::Action;
pub use read::{Include, ListPlan, Mask, Node, plan_get, plan_list};
pub use report::{Bucket, GroupKey, Metric, MetricFn, ReportPlan};

pub use write::{WritePlan, WriteRow, plan_create, plan_delete, plan_update, rolls_back};

use crate::catalog::Catalog;
use crate::principal::Principal;

/// Everything a plan depends on.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub catalog: &'a Catalog,
    pub principal: &'a Principal,
    /// Signs and verifies cursors.
    pub cursor_key: &'a [u8],
}

/// Why a request cannot be planned. Mapped to HTTP in one place (the server's `api/error.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// No such resource (404).
    #[error("no resource `{0}`")]
    UnknownResource(String),
    /// No row with that id, or outside the caller's row filter (404).
    #[error("no row `{id}` in `{resource}`")]
    NotFound { resource: String, id: String },
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// A malformed or unknown parameter (400).
    #[error("parameter `{param}`: {detail}")]
    BadParam { param: String, detail: String },
    /// Body fields that cannot be written (422), by field.
    #[error("invalid fields")]
    Invalid(BTreeMap<String, Vec<String>>),
}

impl PlanError {
    /// Its row in the error table.
    pub fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind as K;
        match self {
            PlanError::UnknownResource(_) | PlanError::NotFound { .. } => K::NotFound,
            PlanError::Forbidden(_) => K::Forbidden,
            PlanError::BadParam { .. } => K::BadParam,
            PlanError::Invalid(_) => K::Invalid,
        }
    }

    pub fn param(param: impl Into<String>, detail: impl Into<String>) -> PlanError {
        PlanError::BadParam { param: param.into(), detail: detail.into() }
    }
}

impl From<crate::request::ParamError> for PlanError {
    fn from(e: crate::request::ParamError) -> Self {
        PlanError::BadParam { param: e.param, detail: e.detail }
    }
}
