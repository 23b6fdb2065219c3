//! Statements that ask the database about a query rather than run it: the
//! plan (`EXPLAIN`, for tests and tooling), a count that stops at a cap, and the
//! planner's row estimate behind `count=estimated`. Like every statement, their
//! text comes from the catalog and the renderer; values stay bound.

use super::render::where_clause;
use super::{Builder, Sql};
use crate::catalog::{Catalog, Dialect};
use crate::plan::Cond;
use crate::value::Value;

/// The plan of `sql`, its parameters kept: `EXPLAIN …` (text rows on PostgreSQL,
/// the tabular form on MySQL) or `EXPLAIN QUERY PLAN …` on SQLite.
pub fn render_explain(sql: &Sql, dialect: Dialect) -> Sql {
    let prefix = match dialect {
        Dialect::Sqlite => "EXPLAIN QUERY PLAN ",
        Dialect::MySql | Dialect::Postgres => "EXPLAIN ",
    };
    Sql { text: format!("{prefix}{}", sql.text), params: sql.params.clone() }
}

/// `SELECT COUNT(*) FROM (SELECT 1 FROM t WHERE … LIMIT cap) AS capped`: an exact
/// count that reads at most `cap` rows.
pub fn render_count_capped(catalog: &Catalog, table: usize, filter: &[Cond], cap: u64) -> Sql {
    let t = catalog.table(table);
    let mut b = Builder::new(catalog.dialect);
    b.push("SELECT COUNT(*) FROM (SELECT 1 AS ").ident("one").push(" FROM ").ident(&t.name);
    where_clause(&mut b, t, filter);
    b.push(" LIMIT ").param(Value::Int(cap as i64)).push(") AS ").ident("capped");
    b.finish()
}

/// The planner's estimate of the rows of `SELECT 1 FROM t WHERE …`, as one JSON
/// document: `EXPLAIN (FORMAT JSON)` on PostgreSQL (`Plan Rows`, from
/// `pg_class.reltuples` and the column statistics), `EXPLAIN FORMAT=JSON` on
/// MySQL/MariaDB (`rows` × `filtered`). `None` on SQLite, which keeps no
/// row estimates unless `ANALYZE` ran.
pub fn render_estimate(catalog: &Catalog, table: usize, filter: &[Cond]) -> Option<Sql> {
    let prefix = match catalog.dialect {
        Dialect::Sqlite => return None,
        Dialect::Postgres => "EXPLAIN (FORMAT JSON) SELECT 1 FROM ",
        Dialect::MySql => "EXPLAIN FORMAT=JSON SELECT 1 FROM ",
    };
    let t = catalog.table(table);
    let mut b = Builder::new(catalog.dialect);
    b.push(prefix).ident(&t.name);
    where_clause(&mut b, t, filter);
    Some(b.finish())
}
