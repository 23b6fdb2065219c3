//! The plan of an aggregate (a saved report, or an ad-hoc aggregate): grouping
//! keys with their date buckets, metrics, `having`, order and limit over one
//! table, with the caller's filters already compiled in. The SQL renderer and
//! the executor read it; `views/` builds it from definitions.

use super::{CmpOp, Cond};
use crate::catalog::{Catalog, ColumnKind};
use crate::value::Value;

/// Date buckets for `group_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    CountDistinct,
}

/// One `group_by` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupKey {
    pub col: usize,
    pub bucket: Option<Bucket>,
    /// As written: `sale_agent`, `month(date)`.
    pub label: String,
}

/// One metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub func: MetricFn,
    /// `None` for `count(*)`.
    pub col: Option<usize>,
    pub label: String,
}

/// A planned report.
#[derive(Debug, Clone)]
pub struct ReportPlan {
    pub table: usize,
    pub filter: Vec<Cond>,
    pub groups: Vec<GroupKey>,
    pub metrics: Vec<Metric>,
    /// (metric index, comparison, value).
    pub having: Vec<(usize, CmpOp, Value)>,
    /// (output column index: groups then metrics, descending).
    pub order: Vec<(usize, bool)>,
    pub limit: Option<u64>,
    /// Sandbox principals: PII labels and money figures are replaced (aligned with `labels`).
    pub mask: Option<super::Mask>,
}

impl ReportPlan {
    /// Output column labels, groups then metrics.
    pub fn labels(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.label.clone()).chain(self.metrics.iter().map(|m| m.label.clone())).collect()
    }

    /// Output column kinds, for decoding and for chart metadata.
    pub fn kinds(&self, catalog: &Catalog) -> Vec<ColumnKind> {
        let t = catalog.table(self.table);
        let groups =
            self.groups.iter().map(|g| if g.bucket.is_some() { ColumnKind::Text } else { t.columns[g.col].kind });
        let metrics = self.metrics.iter().map(|m| match (m.func, m.col) {
            (MetricFn::Count | MetricFn::CountDistinct, _) | (_, None) => ColumnKind::Int,
            (MetricFn::Avg, Some(c)) => match t.columns[c].kind {
                ColumnKind::Float => ColumnKind::Float,
                _ => ColumnKind::Decimal { scale: None },
            },
            (_, Some(c)) => t.columns[c].kind,
        });
        groups.chain(metrics).collect()
    }
}
