//! Planning reads: lists (fields, filters, OR group, sort with primary-key
//! tie-break, paging or keyset cursor, `since`, includes) and get-by-id.

use super::permissions::{Action, authorize, check_table, row_filter, visible_column, visible_columns};
use super::{CmpOp, Cond, Ctx, OrderKey, PlanError, Select, cursor, like_escape};
use crate::catalog::{ColumnKind, RelKind, Relation, Table};
use crate::request::{CountMode, Filter, Format, IncludeSpec, ListRequest, Op};
use crate::value::{Value, parse_datetime};

/// One table's part of a read: the SELECT, which selected columns are output
/// (and under which name), and the relations embedded in each row.
#[derive(Debug, Clone)]
pub struct Node {
    pub select: Select,
    /// (output name, position in `select.columns`); other selected columns are hidden keys.
    pub output: Vec<(String, usize)>,
    pub includes: Vec<Include>,
    /// Sandbox principals: the PII kind of each output column, and the masker.
    pub mask: Option<Mask>,
}

/// What the executor replaces in a sandbox principal's rows.
#[derive(Debug, Clone)]
pub struct Mask {
    /// Aligned with `Node::output`.
    pub pii: Vec<Option<crate::catalog::Pii>>,
    pub masker: crate::sandbox::Masker,
}

/// An embedded relation: child rows whose `child_key` equals the parent's `parent_key`.
#[derive(Debug, Clone)]
pub struct Include {
    pub name: String,
    pub kind: RelKind,
    /// Position of the key in the parent's `select.columns`.
    pub parent_key: usize,
    /// Position of the key in the child's `select.columns`.
    pub child_key: usize,
    /// Column index (in the child table) the executor filters with `IN (…)`.
    pub child_key_col: usize,
    pub node: Node,
}

/// Keyset paging state.
#[derive(Debug, Clone)]
pub struct CursorPlan {
    /// Positions of the ORDER BY columns in the root's `select.columns`.
    pub positions: Vec<usize>,
    /// Binds the cursor to this resource and sort.
    pub signature: String,
}

/// A planned list.
#[derive(Debug, Clone)]
pub struct ListPlan {
    pub resource: String,
    pub root: Node,
    /// The filter to count with; `None` for `count=none`.
    pub count_filter: Option<Vec<Cond>>,
    pub page: u32,
    pub per_page: u32,
    /// `None` when paging by page number (or exporting everything).
    pub cursor: Option<CursorPlan>,
    pub format: Format,
}

/// Plan a list of `resource`.
pub fn plan_list(ctx: Ctx<'_>, resource: &str, req: &ListRequest) -> Result<ListPlan, PlanError> {
    let idx = authorize(ctx, resource, Action::Read)?;
    let t = ctx.catalog.table(idx);
    let mut root = node(ctx, idx, req.fields.as_deref(), &req.include_specs(), "include")?;
    let mut filter = row_filter(ctx, t);
    for f in &req.filters {
        filter.push(filter_cond(ctx, t, f, &format!("filter[{}]", f.key()))?);
    }
    if !req.or_group.is_empty() {
        filter.push(or_group(ctx, t, &req.or_group)?);
    }
    let mut order = sort_keys(ctx, t, req)?;
    if let Some(since) = &req.since {
        let (cond, key) = since_cond(t, since)?;
        filter.push(cond);
        if req.sort.is_empty() {
            order.insert(0, key);
            order.dedup_by_key(|k| k.col);
        }
    }
    let count_filter = (req.count == CountMode::Exact).then(|| filter.clone());
    let format = req.format.unwrap_or_default();
    let (page, per_page) = (req.page(), req.per_page());
    let mut cursor_plan = None;
    if let Some(token) = &req.cursor {
        let positions: Vec<usize> = order.iter().map(|k| ensure_col(&mut root.select, k.col)).collect();
        let signature = cursor::signature(&t.resource, t, &order);
        if !token.is_empty() {
            let values = cursor::decode(ctx.cursor_key, token, &signature)?;
            filter.push(cursor::after(t, &order, &values)?);
        }
        root.select.limit = Some(per_page as u64 + 1);
        cursor_plan = Some(CursorPlan { positions, signature });
    } else if req.paged() || format == Format::Json {
        root.select.limit = Some(per_page as u64);
        root.select.offset = (page as u64 - 1) * per_page as u64;
    }
    root.select.filter = filter;
    root.select.order = order;
    Ok(ListPlan { resource: t.resource.clone(), root, count_filter, page, per_page, cursor: cursor_plan, format })
}

/// Plan a get-by-id of `resource`.
pub fn plan_get(
    ctx: Ctx<'_>,
    resource: &str,
    id: &str,
    fields: Option<&[String]>,
    include: &[IncludeSpec],
) -> Result<Node, PlanError> {
    let idx = authorize(ctx, resource, Action::Read)?;
    let t = ctx.catalog.table(idx);
    let mut n = node(ctx, idx, fields, include, "include")?;
    n.select.filter = id_filter(ctx, t, id)?;
    Ok(n)
}

/// `pk = id` plus the row filter. An id outside the row filter is simply not found.
pub(crate) fn id_filter(ctx: Ctx<'_>, t: &Table, id: &str) -> Result<Vec<Cond>, PlanError> {
    let pk = t.single_pk().ok_or_else(|| {
        PlanError::param("id", format!("`{}` has no primary key; rows are not addressable by id", t.resource))
    })?;
    let value = Value::from_text(t.columns[pk].kind, id)
        .map_err(|_| PlanError::NotFound { resource: t.resource.clone(), id: id.to_string() })?;
    let mut f = row_filter(ctx, t);
    f.push(Cond::Cmp { col: pk, op: CmpOp::Eq, value });
    Ok(f)
}

/// The node of one table: output columns, hidden keys and includes.
pub(crate) fn node(
    ctx: Ctx<'_>,
    idx: usize,
    fields: Option<&[String]>,
    includes: &[IncludeSpec],
    param: &str,
) -> Result<Node, PlanError> {
    let t = ctx.catalog.table(idx);
    let columns = match fields {
        Some(names) => {
            let mut cols = Vec::new();
            for n in names {
                let c = visible_column(ctx, t, n, "fields")?;
                if !cols.contains(&c) {
                    cols.push(c);
                }
            }
            cols
        }
        None => visible_columns(ctx, t),
    };
    let output: Vec<(String, usize)> =
        columns.iter().enumerate().map(|(pos, &c)| (t.columns[c].name.clone(), pos)).collect();
    let mask = ctx.principal.policy.sandbox.then(|| Mask {
        pii: columns.iter().map(|&c| t.columns[c].pii).collect(),
        masker: crate::sandbox::Masker::new(ctx.cursor_key),
    });
    let pk_order = t.primary_key.iter().map(|&col| OrderKey { col, desc: false }).collect();
    let mut select = Select { table: idx, columns, filter: Vec::new(), order: pk_order, limit: None, offset: 0 };
    let mut out = Vec::new();
    for spec in includes {
        let rel = t
            .relation(&spec.name)
            .ok_or_else(|| PlanError::param(param, format!("unknown relation `{}` on `{}`", spec.name, t.resource)))?;
        out.push(include(ctx, &mut select, rel, spec, param)?);
    }
    Ok(Node { select, output, includes: out, mask })
}

fn include(
    ctx: Ctx<'_>,
    parent: &mut Select,
    rel: &Relation,
    spec: &IncludeSpec,
    param: &str,
) -> Result<Include, PlanError> {
    check_table(ctx, rel.target, Action::Read)?;
    let target = ctx.catalog.table(rel.target);
    let mut child = node(ctx, rel.target, spec.fields.as_deref(), &spec.include, param)?;
    child.select.filter = row_filter(ctx, target);
    if let Some((col, v)) = &rel.condition {
        child.select.filter.push(Cond::Cmp { col: *col, op: CmpOp::Eq, value: Value::Text(v.clone()) });
    }
    for f in &spec.filters {
        let p = format!("{param}.{}.filter[{}]", spec.output_name(), f.key());
        child.select.filter.push(filter_cond(ctx, target, f, &p)?);
    }
    let parent_key = ensure_col(parent, rel.local_col);
    let child_key = ensure_col(&mut child.select, rel.target_col);
    Ok(Include {
        name: spec.output_name().to_string(),
        kind: rel.kind,
        parent_key,
        child_key,
        child_key_col: rel.target_col,
        node: child,
    })
}

/// The position of a column in the select, adding it as a hidden column if needed.
pub(crate) fn ensure_col(s: &mut Select, col: usize) -> usize {
    match s.columns.iter().position(|&c| c == col) {
        Some(p) => p,
        None => {
            s.columns.push(col);
            s.columns.len() - 1
        }
    }
}

fn sort_keys(ctx: Ctx<'_>, t: &Table, req: &ListRequest) -> Result<Vec<OrderKey>, PlanError> {
    let mut keys: Vec<OrderKey> = Vec::new();
    for k in &req.sort {
        let col = visible_column(ctx, t, &k.column, "sort")?;
        if !keys.iter().any(|o| o.col == col) {
            keys.push(OrderKey { col, desc: k.desc });
        }
    }
    for &pk in &t.primary_key {
        if !keys.iter().any(|o| o.col == pk) {
            keys.push(OrderKey { col: pk, desc: false });
        }
    }
    Ok(keys)
}

fn or_group(ctx: Ctx<'_>, t: &Table, group: &[Vec<Filter>]) -> Result<Cond, PlanError> {
    let mut branches = Vec::new();
    for (i, branch) in group.iter().enumerate() {
        let mut all = Vec::new();
        for f in branch {
            all.push(filter_cond(ctx, t, f, &format!("or[{i}][{}]", f.key()))?);
        }
        branches.push(Cond::And(all));
    }
    Ok(Cond::Or(branches))
}

/// One caller filter, typed by its column.
pub(crate) fn filter_cond(ctx: Ctx<'_>, t: &Table, f: &Filter, param: &str) -> Result<Cond, PlanError> {
    let col = visible_column(ctx, t, &f.column, param)?;
    let kind = t.columns[col].kind;
    let typed =
        |s: &str| Value::from_text(kind, s).map_err(|e| PlanError::param(param, format!("{e} for `{}`", f.column)));
    let cmp = |op, s: &str| Ok(Cond::Cmp { col, op, value: typed(s)? });
    let text_only = || {
        if kind.is_text() {
            Ok(())
        } else {
            Err(PlanError::param(param, format!("operator `{}` applies to text columns only", f.op.name())))
        }
    };
    match f.op {
        Op::Eq => cmp(CmpOp::Eq, &f.value),
        Op::Ne => cmp(CmpOp::Ne, &f.value),
        Op::Gt => cmp(CmpOp::Gt, &f.value),
        Op::Gte => cmp(CmpOp::Gte, &f.value),
        Op::Lt => cmp(CmpOp::Lt, &f.value),
        Op::Lte => cmp(CmpOp::Lte, &f.value),
        Op::In | Op::NotIn => {
            let values = f.value.split(',').map(typed).collect::<Result<_, _>>()?;
            Ok(Cond::In { col, values, negated: f.op == Op::NotIn })
        }
        Op::IsNull => Ok(Cond::IsNull { col, negated: f.value == "false" }),
        Op::Between => {
            let (lo, hi) = f.value.split_once(',').unwrap_or((&f.value, &f.value));
            Ok(Cond::And(vec![cmp(CmpOp::Gte, lo)?, cmp(CmpOp::Lte, hi)?]))
        }
        Op::Like => {
            text_only()?;
            Ok(Cond::Like { col, pattern: f.value.clone(), escaped: false })
        }
        Op::StartsWith => {
            text_only()?;
            Ok(Cond::Like { col, pattern: format!("{}%", like_escape(&f.value)), escaped: true })
        }
        Op::Contains => {
            text_only()?;
            Ok(Cond::Like { col, pattern: format!("%{}%", like_escape(&f.value)), escaped: true })
        }
    }
}

/// `since=` (ISO 8601 or unix seconds) on the table's timestamp column.
fn since_cond(t: &Table, since: &str) -> Result<(Cond, OrderKey), PlanError> {
    let col = t
        .timestamp_col
        .ok_or_else(|| PlanError::param("since", format!("`{}` has no timestamp column", t.resource)))?;
    let at = match since.parse::<i64>() {
        Ok(secs) => chrono::DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc()),
        Err(_) => parse_datetime(since).ok(),
    }
    .ok_or_else(|| PlanError::param("since", "expected ISO 8601 or unix seconds"))?;
    let value = match t.columns[col].kind {
        ColumnKind::Date => Value::Date(at.date()),
        _ => Value::DateTime(at),
    };
    Ok((Cond::Cmp { col, op: CmpOp::Gt, value }, OrderKey { col, desc: true }))
}
