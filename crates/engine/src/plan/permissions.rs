//! The rules, compiled into plans: which resources a principal may touch for an
//! action, which columns it may see or write, and the row filter every read,
//! include and write carries.

use super::{CmpOp, Cond, Ctx, PlanError};
use crate::catalog::{Column, Table};
use crate::value::Value;

/// What a request does to a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create rows in",
            Action::Update => "update",
            Action::Delete => "delete from",
        }
    }
}

/// Resolve a resource for an action, or refuse. Sensitive tables are refused
/// here for every front-end unless the token was explicitly granted them.
pub fn authorize(ctx: Ctx<'_>, resource: &str, action: Action) -> Result<usize, PlanError> {
    let idx = ctx.catalog.resource(resource).ok_or_else(|| PlanError::UnknownResource(resource.to_string()))?;
    check_table(ctx, idx, action)?;
    Ok(idx)
}

/// The same check for a table reached through a relation.
pub fn check_table(ctx: Ctx<'_>, idx: usize, action: Action) -> Result<(), PlanError> {
    let t = ctx.catalog.table(idx);
    let p = ctx.principal;
    if t.sensitive && !p.may_touch_sensitive(&t.resource) {
        return Err(PlanError::Forbidden(format!(
            "`{}` is a sensitive table; this token may not {} it",
            t.resource,
            action.verb()
        )));
    }
    let crud = p.crud(&t.resource);
    let ok = match action {
        Action::Read => crud.read,
        Action::Create => crud.create,
        Action::Update => crud.update,
        Action::Delete => crud.delete,
    };
    if !ok {
        return Err(PlanError::Forbidden(format!("this token may not {} `{}`", action.verb(), t.resource)));
    }
    Ok(())
}

/// Whether the principal may see (read, filter, sort by) a column.
pub fn column_visible(ctx: Ctx<'_>, t: &Table, c: &Column) -> bool {
    !c.secret && ctx.principal.columns(&t.resource).is_none_or(|allowed| allowed.iter().any(|a| a == &c.name))
}

/// A visible column by name, or a 400 naming `param`. Secret and hidden
/// columns answer exactly like unknown ones, so their existence does not leak.
pub fn visible_column(ctx: Ctx<'_>, t: &Table, name: &str, param: &str) -> Result<usize, PlanError> {
    t.column_index(name)
        .filter(|&i| column_visible(ctx, t, &t.columns[i]))
        .ok_or_else(|| PlanError::param(param, format!("unknown column `{name}` in `{}`", t.resource)))
}

/// All visible columns of a table, in table order.
pub fn visible_columns(ctx: Ctx<'_>, t: &Table) -> Vec<usize> {
    (0..t.columns.len()).filter(|&i| column_visible(ctx, t, &t.columns[i])).collect()
}

/// The principal's row filter on a table, as conditions. A filter value that does
/// not type for its column matches nothing (fail closed).
pub fn row_filter(ctx: Ctx<'_>, t: &Table) -> Vec<Cond> {
    ctx.principal
        .row_filter(&t.resource)
        .iter()
        .map(|(col, v)| match t.column_index(col) {
            Some(i) => match Value::from_text(t.columns[i].kind, v) {
                Ok(value) => Cond::Cmp { col: i, op: CmpOp::Eq, value },
                Err(_) => Cond::False,
            },
            None => Cond::False,
        })
        .collect()
}

/// The row filter as (column, value) pairs that writes must satisfy.
pub fn row_filter_values(ctx: Ctx<'_>, t: &Table) -> Vec<(usize, Option<Value>)> {
    ctx.principal
        .row_filter(&t.resource)
        .iter()
        .filter_map(|(col, v)| {
            let i = t.column_index(col)?;
            Some((i, Value::from_text(t.columns[i].kind, v).ok()))
        })
        .collect()
}
