//! Running write plans inside one transaction each: inserts (all-or-nothing for
//! arrays), updates and deletes with the lost-update guard (`If-Match`), reading
//! written rows back, and `dry_run` (roll back, answer as if written).

use base64::Engine as _;
use serde_json::Value as J;
use sha2::{Digest, Sha256};

use super::run::{Object, kinds, output};
use super::{Db, DbError, Tx};
use crate::catalog::{Catalog, Dialect};
use crate::plan::{CmpOp, Cond, WritePlan};
use crate::sql::{render_delete, render_insert, render_select, render_update};
use crate::value::Value;

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no such row")]
    NotFound,
    #[error("the row changed since the given ETag")]
    PreconditionFailed,
}

impl WriteError {
    /// Its row in the error table.
    pub fn kind(&self) -> crate::error::ErrorKind {
        match self {
            WriteError::Db(e) => e.kind(),
            WriteError::NotFound => crate::error::ErrorKind::NotFound,
            WriteError::PreconditionFailed => crate::error::ErrorKind::PreconditionFailed,
        }
    }
}

/// The strong ETag of a row representation.
pub fn etag(row: &Object) -> String {
    let bytes = serde_json::to_vec(row).unwrap_or_default();
    format!("\"{}\"", &hex::encode(Sha256::digest(&bytes))[..20])
}

async fn finish(tx: Tx, plan: &WritePlan) -> Result<(), DbError> {
    if plan.rollback { tx.rollback().await } else { tx.commit().await }
}

/// Insert every row of the plan; returns the rows as stored.
pub async fn run_create(db: &Db, catalog: &Catalog, plan: &WritePlan) -> Result<Vec<Object>, WriteError> {
    let t = catalog.table(plan.table);
    let mut tx = db.begin().await?;
    let mut out = Vec::with_capacity(plan.rows.len());
    for row in &plan.rows {
        let sql = render_insert(catalog, plan.table, row);
        let pk = t.single_pk();
        let given = pk.and_then(|p| row.iter().find(|(c, _)| *c == p).map(|(_, v)| v.clone()));
        let id = match (catalog.dialect, pk) {
            (_, None) => {
                tx.execute(&sql).await?;
                None
            }
            (Dialect::MySql, Some(_)) => {
                let (_, last) = tx.execute(&sql).await?;
                given.or(last.map(Value::Int))
            }
            (_, Some(p)) => {
                let rows = tx.fetch_all(&sql, &[Some(t.columns[p].kind)]).await?;
                let returned = rows.first().and_then(|r| r.first()).cloned().unwrap_or(J::Null);
                Value::from_json(t.columns[p].kind, &returned).ok().or(given)
            }
        };
        if let (Some(p), Some(id)) = (pk, id) {
            let mut filter = plan.read_back.select.filter.clone();
            filter.push(Cond::Cmp { col: p, op: CmpOp::Eq, value: id });
            out.extend(read(&mut tx, catalog, plan, filter).await?);
        } else {
            let cols = &plan.read_back.output;
            out.push(
                row.iter()
                    .filter_map(|(c, v)| {
                        let name = &t.columns[*c].name;
                        cols.iter().any(|(n, _)| n == name).then(|| (name.clone(), value_json(v)))
                    })
                    .collect(),
            );
        }
    }
    finish(tx, plan).await?;
    Ok(out)
}

/// Update the target row; returns it as stored.
pub async fn run_update(
    db: &Db,
    catalog: &Catalog,
    plan: &WritePlan,
    if_match: Option<&str>,
) -> Result<Object, WriteError> {
    let mut tx = db.begin().await?;
    guard(&mut tx, catalog, plan, if_match).await?;
    let set = plan.rows.first().map(Vec::as_slice).unwrap_or(&[]);
    tx.execute(&render_update(catalog, plan.table, set, &plan.target)).await?;
    let row = read(&mut tx, catalog, plan, plan.target.clone()).await?.pop().ok_or(WriteError::NotFound)?;
    finish(tx, plan).await?;
    Ok(row)
}

/// Delete the target row; returns it as it was.
pub async fn run_delete(
    db: &Db,
    catalog: &Catalog,
    plan: &WritePlan,
    if_match: Option<&str>,
) -> Result<Object, WriteError> {
    let mut tx = db.begin().await?;
    let before = guard(&mut tx, catalog, plan, if_match).await?;
    tx.execute(&render_delete(catalog, plan.table, &plan.target)).await?;
    finish(tx, plan).await?;
    Ok(before)
}

/// The current row (404 when absent or outside the row filter) and the `If-Match` check.
async fn guard(tx: &mut Tx, catalog: &Catalog, plan: &WritePlan, if_match: Option<&str>) -> Result<Object, WriteError> {
    let current = read(tx, catalog, plan, plan.target.clone()).await?.pop().ok_or(WriteError::NotFound)?;
    if let Some(expected) = if_match {
        let tag = etag(&current);
        let ok = expected.split(',').map(str::trim).any(|e| e == "*" || e.trim_start_matches("W/") == tag);
        if !ok {
            return Err(WriteError::PreconditionFailed);
        }
    }
    Ok(current)
}

async fn read(tx: &mut Tx, catalog: &Catalog, plan: &WritePlan, filter: Vec<Cond>) -> Result<Vec<Object>, DbError> {
    let mut select = plan.read_back.select.clone();
    select.filter = filter;
    let rows = tx.fetch_all(&render_select(catalog, &select), &kinds(catalog, &plan.read_back)).await?;
    Ok(rows.iter().map(|r| output(&plan.read_back, r)).collect())
}

fn value_json(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
        Value::Decimal(d) => J::String(d.to_string()),
        Value::Text(s) => J::String(s.clone()),
        Value::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
        Value::DateTime(d) => J::String(d.format("%Y-%m-%dT%H:%M:%S").to_string()),
        Value::Bytes(b) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}
