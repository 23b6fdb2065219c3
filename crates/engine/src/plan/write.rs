//! Planning writes: the mass-assignment guard (unknown, primary-key, generated,
//! secret and out-of-scope columns → 422 per field), typing, required columns,
//! lengths, and the row filter (a row can neither be created outside it nor
//! moved out of it).

use std::collections::BTreeMap;

use serde_json::{Map, Value as J};

use super::permissions::{Action, authorize, column_visible, row_filter_values};
use super::read::{id_filter, node};
use super::{Cond, Ctx, Node, PlanError};
use crate::catalog::Table;
use crate::value::{Value, kind_name};

/// Column values of one row to write.
pub type WriteRow = Vec<(usize, Value)>;

/// A planned write.
#[derive(Debug, Clone)]
pub struct WritePlan {
    pub table: usize,
    /// Rows to insert, or the single SET list of an update (empty for delete).
    pub rows: Vec<WriteRow>,
    /// The target of an update or delete: `pk = id` plus the row filter.
    pub target: Vec<Cond>,
    /// How to read a written row back (all visible columns), without its filter.
    pub read_back: Node,
    /// Run in a transaction that is rolled back: asked for (`dry_run`), or
    /// always for a sandbox token (SPEC §9). The executor honours it.
    pub rollback: bool,
}

/// Whether a write for this caller rolls back: when asked, and always for a
/// sandbox token. The one place that rule is written.
pub fn rolls_back(ctx: Ctx<'_>, dry_run: bool) -> bool {
    dry_run || ctx.principal.policy.sandbox
}

type Errors = BTreeMap<String, Vec<String>>;

fn err(errors: &mut Errors, field: String, msg: impl Into<String>) {
    errors.entry(field).or_default().push(msg.into());
}

/// Plan inserting `rows` (one object, or an array of at most 1000).
pub fn plan_create(
    ctx: Ctx<'_>,
    resource: &str,
    rows: &[Map<String, J>],
    batch: bool,
    dry_run: bool,
) -> Result<WritePlan, PlanError> {
    let idx = authorize(ctx, resource, Action::Create)?;
    let t = ctx.catalog.table(idx);
    let mut errors = Errors::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let field = |name: &str| {
            if batch { format!("[{i}].{name}") } else { name.to_string() }
        };
        let mut values = typed_fields(ctx, t, row, &field, &mut errors, true);
        apply_row_filter(ctx, t, &mut values, &field, &mut errors, true)?;
        for (c, col) in t.columns.iter().enumerate() {
            let required = !col.nullable && col.default.is_none() && !col.auto_increment && !col.generated;
            if !required || values.iter().any(|(v, _)| *v == c) {
                continue;
            }
            if col.secret {
                // A required secret (Perfex's capability `hash`) is one the caller can
                // neither see nor set: generate it, as Perfex's own app_generate_hash() does.
                values.push((c, Value::Text(random_secret(col.max_len))));
            } else {
                err(&mut errors, field(&col.name), "is required");
            }
        }
        out.push(values);
    }
    if !errors.is_empty() {
        return Err(PlanError::Invalid(errors));
    }
    let read_back = shown_as_given(read_back(ctx, idx)?, &out);
    Ok(WritePlan { table: idx, rows: out, target: Vec::new(), read_back, rollback: rolls_back(ctx, dry_run) })
}

/// Plan updating the row `id` with the given columns (PUT and PATCH alike).
pub fn plan_update(
    ctx: Ctx<'_>,
    resource: &str,
    id: &str,
    body: &Map<String, J>,
    dry_run: bool,
) -> Result<WritePlan, PlanError> {
    let idx = authorize(ctx, resource, Action::Update)?;
    let t = ctx.catalog.table(idx);
    let target = id_filter(ctx, t, id)?;
    let mut errors = Errors::new();
    let field = |n: &str| n.to_string();
    let mut values = typed_fields(ctx, t, body, &field, &mut errors, false);
    apply_row_filter(ctx, t, &mut values, &field, &mut errors, false)?;
    if body.is_empty() {
        err(&mut errors, "body".into(), "no columns to update");
    }
    if !errors.is_empty() {
        return Err(PlanError::Invalid(errors));
    }
    let rows = vec![values];
    let read_back = shown_as_given(read_back(ctx, idx)?, &rows);
    Ok(WritePlan { table: idx, rows, target, read_back, rollback: rolls_back(ctx, dry_run) })
}

/// Plan deleting the row `id`.
pub fn plan_delete(ctx: Ctx<'_>, resource: &str, id: &str, dry_run: bool) -> Result<WritePlan, PlanError> {
    let idx = authorize(ctx, resource, Action::Delete)?;
    let t = ctx.catalog.table(idx);
    let target = id_filter(ctx, t, id)?;
    let read_back = read_back(ctx, idx)?;
    Ok(WritePlan { table: idx, rows: Vec::new(), target, read_back, rollback: rolls_back(ctx, dry_run) })
}

/// A sandbox write answers with what would have been written: the columns the
/// caller gave are shown as given; every other PII column stays masked.
fn shown_as_given(mut node: Node, rows: &[WriteRow]) -> Node {
    if let Some(mask) = node.mask.as_mut() {
        for (i, (_, pos)) in node.output.iter().enumerate() {
            let col = node.select.columns[*pos];
            if rows.iter().any(|r| r.iter().any(|(c, _)| *c == col)) {
                mask.pii[i] = None;
            }
        }
    }
    node
}

fn read_back(ctx: Ctx<'_>, idx: usize) -> Result<Node, PlanError> {
    node(ctx, idx, None, &[], "include")
}

/// Type every body field, collecting per-field errors (the mass-assignment guard).
fn typed_fields(
    ctx: Ctx<'_>,
    t: &Table,
    row: &Map<String, J>,
    field: &dyn Fn(&str) -> String,
    errors: &mut Errors,
    create: bool,
) -> Vec<(usize, Value)> {
    let mut values = Vec::new();
    for (name, v) in row {
        // Secret and hidden columns answer like unknown ones: their existence does not leak.
        let Some(c) = t.column_index(name).filter(|&c| column_visible(ctx, t, &t.columns[c])) else {
            err(errors, field(name), "unknown column");
            continue;
        };
        let col = &t.columns[c];
        if t.primary_key.contains(&c) && (col.auto_increment || !create) {
            err(errors, field(name), "is the primary key and cannot be written");
            continue;
        }
        if col.generated {
            err(errors, field(name), "is a generated column and cannot be written");
            continue;
        }
        match Value::from_json(col.kind, v) {
            Ok(Value::Null) if !col.nullable => err(errors, field(name), "may not be null"),
            Ok(Value::Text(s)) if col.max_len.is_some_and(|m| s.chars().count() > m) => {
                err(errors, field(name), format!("is longer than {} characters", col.max_len.unwrap_or_default()))
            }
            Ok(value) => values.push((c, value)),
            Err(_) => err(errors, field(name), format!("expected {}", kind_name(col.kind))),
        }
    }
    values
}

/// A row-filtered token writes only inside its filter: the filtered columns are
/// set on create, and neither create nor update may give them another value.
fn apply_row_filter(
    ctx: Ctx<'_>,
    t: &Table,
    values: &mut Vec<(usize, Value)>,
    field: &dyn Fn(&str) -> String,
    errors: &mut Errors,
    create: bool,
) -> Result<(), PlanError> {
    for (col, required) in row_filter_values(ctx, t) {
        let required =
            required.ok_or_else(|| PlanError::Forbidden("the token's row filter cannot be satisfied".into()))?;
        match values.iter().find(|(c, _)| *c == col) {
            Some((_, v)) if !same(v, &required) => {
                err(errors, field(&t.columns[col].name), "must equal the token's row filter value")
            }
            Some(_) => {}
            None if create => values.push((col, required)),
            None => {}
        }
    }
    Ok(())
}

fn random_secret(max_len: Option<usize>) -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    let mut s = hex::encode(b);
    s.truncate(max_len.unwrap_or(32).min(32));
    s
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Bool(y)) | (Value::Bool(y), Value::Int(x)) => *x == *y as i64,
        _ => a == b,
    }
}
