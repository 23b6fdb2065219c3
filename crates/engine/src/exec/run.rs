//! Running read plans: the root SELECT (and its COUNT, concurrently), then one
//! query per included relation per level — never one per row — with the child
//! rows grouped back onto their parents.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value as J};

use super::{Db, DbError, Row};
use crate::catalog::{Catalog, ColumnKind, RelKind};
use crate::plan::{Cond, ListPlan, Node, cursor};
use crate::sql::{render_count, render_select};
use crate::value::Value;

/// An output row.
pub type Object = Map<String, J>;

/// Most keys in one `IN (…)` of an include query.
const IN_CHUNK: usize = 1000;

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    pub rows: Vec<Object>,
    pub total: Option<i64>,
    /// The cursor of the next page, in keyset mode, when there is one.
    pub next_cursor: Option<String>,
}

/// The catalog kinds of a select's columns, for decoding.
pub fn kinds(catalog: &Catalog, node: &Node) -> Vec<Option<ColumnKind>> {
    let t = catalog.table(node.select.table);
    node.select.columns.iter().map(|&c| Some(t.columns[c].kind)).collect()
}

/// Run a list plan (JSON format): rows with includes, total, next cursor.
pub async fn run_list(db: &Db, catalog: &Catalog, plan: &ListPlan, cursor_key: &[u8]) -> Result<Page, DbError> {
    let sql = render_select(catalog, &plan.root.select);
    let k = kinds(catalog, &plan.root);
    let count = async {
        match &plan.count_filter {
            Some(f) => db.fetch_i64(&render_count(catalog, plan.root.select.table, f)).await,
            None => Ok(None),
        }
    };
    let (rows, total) = tokio::join!(db.fetch_all(&sql, &k), count);
    let mut rows = rows?;
    let mut next_cursor = None;
    if let Some(c) = &plan.cursor
        && rows.len() > plan.per_page as usize
    {
        rows.truncate(plan.per_page as usize);
        if let Some(last) = rows.last() {
            let values: Vec<J> = c.positions.iter().map(|&p| last[p].clone()).collect();
            next_cursor = Some(cursor::encode(cursor_key, &c.signature, &values));
        }
    }
    let rows = shape(db, catalog, &plan.root, rows).await?;
    Ok(Page { rows, total: total?, next_cursor })
}

/// Run a node (a get-by-id or a read-back): its rows with includes.
pub async fn run_node(db: &Db, catalog: &Catalog, node: &Node) -> Result<Vec<Object>, DbError> {
    let rows = db.fetch_all(&render_select(catalog, &node.select), &kinds(catalog, node)).await?;
    shape(db, catalog, node, rows).await
}

/// Turn raw rows into output objects, fetching includes level by level.
pub fn shape<'a>(
    db: &'a Db,
    catalog: &'a Catalog,
    node: &'a Node,
    rows: Vec<Row>,
) -> Pin<Box<dyn Future<Output = Result<Vec<Object>, DbError>> + Send + 'a>> {
    Box::pin(async move {
        if node.includes.is_empty() {
            return Ok(rows.into_iter().map(|r| output_owned(node, r)).collect());
        }
        let mut out: Vec<Object> = rows.iter().map(|r| output(node, r)).collect();
        for inc in &node.includes {
            let keys = distinct_keys(&rows, inc.parent_key);
            let children = fetch_children(db, catalog, &inc.node, inc.child_key_col, &keys).await?;
            let child_keys: Vec<String> = children.iter().map(|r| key_string(&r[inc.child_key])).collect();
            let child_objs = shape(db, catalog, &inc.node, children).await?;
            let mut groups: HashMap<String, Vec<Object>> = HashMap::new();
            for (k, o) in child_keys.into_iter().zip(child_objs) {
                groups.entry(k).or_default().push(o);
            }
            for (row, obj) in rows.iter().zip(out.iter_mut()) {
                let found = groups.get(&key_string(&row[inc.parent_key]));
                let v = match inc.kind {
                    RelKind::BelongsTo => found.and_then(|g| g.first()).cloned().map(J::Object).unwrap_or(J::Null),
                    RelKind::HasMany => {
                        J::Array(found.cloned().unwrap_or_default().into_iter().map(J::Object).collect())
                    }
                };
                obj.insert(inc.name.clone(), v);
            }
        }
        Ok(out)
    })
}

/// The output columns of a raw row, by name, moving the values out.
fn output_owned(node: &Node, mut row: Row) -> Object {
    let values = node.output.iter().map(|(_, pos)| std::mem::take(&mut row[*pos]));
    named(node, values)
}

/// The output columns of a raw row, by name.
pub fn output(node: &Node, row: &Row) -> Object {
    named(node, node.output.iter().map(|(_, pos)| row[*pos].clone()))
}

/// Output values by name; a sandbox principal's PII replaced by fakes.
fn named(node: &Node, values: impl Iterator<Item = J>) -> Object {
    match &node.mask {
        None => node.output.iter().map(|(n, _)| n.clone()).zip(values).collect(),
        Some(m) => node
            .output
            .iter()
            .zip(values)
            .zip(&m.pii)
            .map(|(((n, _), v), pii)| {
                let v = match pii {
                    Some(p) => m.masker.mask(*p, v),
                    None => v,
                };
                (n.clone(), v)
            })
            .collect(),
    }
}

fn distinct_keys(rows: &[Row], pos: usize) -> Vec<J> {
    let mut seen = std::collections::HashSet::new();
    rows.iter().map(|r| &r[pos]).filter(|v| !v.is_null() && seen.insert(key_string(v))).cloned().collect()
}

/// A join key as text, so `1` and `"1"` (a varchar key) meet.
fn key_string(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn fetch_children(
    db: &Db,
    catalog: &Catalog,
    node: &Node,
    key_col: usize,
    keys: &[J],
) -> Result<Vec<Row>, DbError> {
    let kind = catalog.table(node.select.table).columns[key_col].kind;
    let values: Vec<Value> = keys.iter().filter_map(|k| Value::from_json(kind, k).ok()).collect();
    let mut rows = Vec::new();
    for chunk in values.chunks(IN_CHUNK) {
        let mut select = node.select.clone();
        select.filter.push(Cond::In { col: key_col, values: chunk.to_vec(), negated: false });
        rows.extend(db.fetch_all(&render_select(catalog, &select), &kinds(catalog, node)).await?);
    }
    Ok(rows)
}

/// Run a report: one aggregate statement; rows keyed by the report's labels.
pub async fn run_report(db: &Db, catalog: &Catalog, plan: &crate::plan::ReportPlan) -> Result<Vec<Object>, DbError> {
    let kinds: Vec<Option<ColumnKind>> = plan.kinds(catalog).into_iter().map(Some).collect();
    let rows = db.fetch_all(&crate::sql::render_report(catalog, plan), &kinds).await?;
    let labels = plan.labels();
    let mask = |i: usize, v: J| match &plan.mask {
        Some(m) => match m.pii[i] {
            Some(p) => m.masker.mask(p, v),
            None => v,
        },
        None => v,
    };
    Ok(rows
        .into_iter()
        .map(|r| labels.iter().cloned().zip(r.into_iter().enumerate().map(|(i, v)| mask(i, v))).collect())
        .collect())
}

/// The number of groups of a report before its limit (the `total` of an ad-hoc aggregate).
pub async fn count_report_groups(db: &Db, catalog: &Catalog, plan: &crate::plan::ReportPlan) -> Result<i64, DbError> {
    Ok(db.fetch_i64(&crate::sql::render_report_count(catalog, plan)).await?.unwrap_or(0))
}
