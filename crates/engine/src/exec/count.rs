//! The total of a list: exact (`COUNT(*)`, linear in the matching rows), or
//! `count=estimated`: exact while the matches stay under a threshold (a capped
//! count reads at most that many rows), else the planner's estimate on
//! PostgreSQL and MySQL, and a lower bound on SQLite, which keeps no row
//! estimates. Either way the cost is bounded, however large the table grows.

use serde_json::Value as J;

use super::{Db, DbError, as_i64};
use crate::catalog::{Catalog, Dialect};
use crate::plan::Cond;
use crate::request::CountMode;
use crate::sql::{render_count, render_count_capped, render_estimate};

/// Matches counted exactly before PostgreSQL and MySQL switch to the estimate.
pub const EXACT_UPTO_SERVER: u64 = 1_000;
/// Matches counted exactly on SQLite; beyond, the total is this lower bound.
pub const EXACT_UPTO_SQLITE: u64 = 10_000;

/// Which total a page carries (`meta.count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountKind {
    Exact,
    Estimated,
    /// At least `total` rows match (SQLite past its threshold).
    AtLeast,
    None,
}

impl CountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CountKind::Exact => "exact",
            CountKind::Estimated => "estimated",
            CountKind::AtLeast => "at_least",
            CountKind::None => "none",
        }
    }
}

/// Count the rows of `table` matching `filter` the way `mode` asks.
pub async fn count(
    db: &Db,
    catalog: &Catalog,
    table: usize,
    filter: &[Cond],
    mode: CountMode,
) -> Result<(Option<i64>, CountKind), DbError> {
    match mode {
        CountMode::None => Ok((None, CountKind::None)),
        CountMode::Exact => Ok((db.fetch_i64(&render_count(catalog, table, filter)).await?, CountKind::Exact)),
        CountMode::Estimated => {
            let upto = if catalog.dialect == Dialect::Sqlite { EXACT_UPTO_SQLITE } else { EXACT_UPTO_SERVER };
            let n = db.fetch_i64(&render_count_capped(catalog, table, filter, upto + 1)).await?.unwrap_or(0);
            if n as u64 <= upto {
                return Ok((Some(n), CountKind::Exact));
            }
            let Some(sql) = render_estimate(catalog, table, filter) else {
                return Ok((Some(upto as i64), CountKind::AtLeast));
            };
            let rows = db.fetch_all(&sql, &[]).await?;
            let doc = rows.into_iter().next().and_then(|r| r.into_iter().next()).unwrap_or(J::Null);
            // An estimate below what was just counted is known to be wrong.
            let estimate = planner_rows(&doc).unwrap_or(0.0).round() as i64;
            Ok((Some(estimate.max(n)), CountKind::Estimated))
        }
    }
}

/// The row estimate of an `EXPLAIN` JSON document (PostgreSQL, MariaDB or MySQL 8).
pub fn planner_rows(doc: &J) -> Option<f64> {
    let doc = match doc {
        J::String(s) => serde_json::from_str(s).ok()?,
        other => other.clone(),
    };
    if let Some(rows) = doc.pointer("/0/Plan/Plan Rows").and_then(J::as_f64) {
        return Some(rows);
    }
    let table = find_table(&doc)?;
    let rows = table.get("rows").or_else(|| table.get("rows_examined_per_scan")).and_then(number)?;
    let filtered = table.get("filtered").and_then(number).unwrap_or(100.0);
    Some(rows * filtered / 100.0)
}

/// The first `"table"` object of a MySQL plan (under `query_block`, maybe nested).
fn find_table(doc: &J) -> Option<&J> {
    match doc {
        J::Object(m) => {
            if let Some(t) = m.get("table").filter(|t| t.is_object()) {
                return Some(t);
            }
            m.values().find_map(find_table)
        }
        J::Array(items) => items.iter().find_map(find_table),
        _ => None,
    }
}

/// MySQL 8 writes some figures as strings.
fn number(v: &J) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).or_else(|| as_i64(v).map(|i| i as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_estimate_of_each_dialect() {
        let pg = serde_json::json!([{"Plan": {"Node Type": "Seq Scan", "Plan Rows": 12747}}]);
        assert_eq!(planner_rows(&pg), Some(12747.0));
        let maria = J::String(
            r#"{"query_block":{"select_id":1,"table":{"table_name":"t","access_type":"ref","rows":200,"filtered":50}}}"#
                .into(),
        );
        assert_eq!(planner_rows(&maria), Some(100.0));
        let mysql8 = serde_json::json!({"query_block": {"nested_loop": [{"table": {"rows_examined_per_scan": 40, "filtered": "25.00"}}]}});
        assert_eq!(planner_rows(&mysql8), Some(10.0));
        assert_eq!(planner_rows(&J::Null), None);
    }
}
