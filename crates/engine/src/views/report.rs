//! Reports: `group_by` columns (with date buckets), metrics, `having`, sort and
//! limit over a resource or a view. The filter comes from planning the base
//! request for the caller, so row filters and secret-column rules hold here too.

use super::compile::{ViewError, definition_filters, plan_error, validation_principal};
use super::{ReportDef, ViewDef, compile_view};
use crate::catalog::{Catalog, ColumnKind};
use crate::plan::{Bucket, GroupKey, Metric, MetricFn, ReportPlan};
use crate::plan::{CmpOp, Ctx, PlanError, permissions, plan_list};
use crate::request::{ListRequest, Op, filter_from_key};
use crate::value::Value;

/// Most rows a report returns.
pub const MAX_REPORT_ROWS: u32 = 10_000;

/// `name(arg)` → (name, arg).
fn call(expr: &str) -> Option<(&str, &str)> {
    let (name, rest) = expr.trim().split_once('(')?;
    Some((name.trim(), rest.strip_suffix(')')?.trim()))
}

fn group_key(ctx: Ctx<'_>, table: usize, expr: &str) -> Result<GroupKey, PlanError> {
    let t = ctx.catalog.table(table);
    let (bucket, col) = match call(expr) {
        Some((f, arg)) => {
            let b = match f {
                "day" => Bucket::Day,
                "week" => Bucket::Week,
                "month" => Bucket::Month,
                "quarter" => Bucket::Quarter,
                "year" => Bucket::Year,
                _ => {
                    return Err(PlanError::param(
                        "group_by",
                        format!("unknown date bucket `{f}` (day, week, month, quarter, year)"),
                    ));
                }
            };
            (Some(b), arg)
        }
        None => (None, expr.trim()),
    };
    let col = permissions::visible_column(ctx, t, col, "group_by")?;
    if bucket.is_some() && !matches!(t.columns[col].kind, ColumnKind::Date | ColumnKind::DateTime) {
        return Err(PlanError::param("group_by", format!("group `{expr}`: date buckets apply to date columns")));
    }
    Ok(GroupKey { col, bucket, label: expr.trim().to_string() })
}

fn metric(ctx: Ctx<'_>, table: usize, expr: &str) -> Result<Metric, PlanError> {
    let t = ctx.catalog.table(table);
    let bad = || {
        PlanError::param(
            "metrics",
            format!("metric `{expr}`: expected count(*), count(col), sum, avg, min, max or count_distinct"),
        )
    };
    let (f, arg) = call(expr).ok_or_else(bad)?;
    let func = match f {
        "count" => MetricFn::Count,
        "sum" => MetricFn::Sum,
        "avg" => MetricFn::Avg,
        "min" => MetricFn::Min,
        "max" => MetricFn::Max,
        "count_distinct" => MetricFn::CountDistinct,
        _ => return Err(bad()),
    };
    let col = match (func, arg) {
        (MetricFn::Count, "*") => None,
        (_, "*") => return Err(bad()),
        (_, c) => Some(permissions::visible_column(ctx, t, c, "metrics")?),
    };
    if let (MetricFn::Sum | MetricFn::Avg, Some(c)) = (func, col)
        && !matches!(t.columns[c].kind, ColumnKind::Int | ColumnKind::Decimal { .. } | ColumnKind::Float)
    {
        return Err(PlanError::param("metrics", format!("metric `{expr}`: sum and avg need a numeric column")));
    }
    Ok(Metric { func, col, label: expr.trim().to_string() })
}

/// Plan `def` for the caller (`view` is the definition it aggregates, if any).
pub fn plan_report(
    ctx: Ctx<'_>,
    def: &ReportDef,
    view: Option<&ViewDef>,
    args: &[(String, String)],
) -> Result<ReportPlan, PlanError> {
    let (resource, mut base) = match (view, &def.resource) {
        (Some(v), _) => (v.resource.clone(), compile_view(v, args)?),
        (None, Some(r)) => (r.clone(), ListRequest::default()),
        (None, None) => return Err(PlanError::param("resource", "a report needs a resource or a view")),
    };
    base.filters.extend(definition_filters(&def.filter, &def.params, args)?);
    let having: Vec<(String, String)> = def.having.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let shape = Shape { group_by: &def.group_by, metrics: &def.metrics, having: &having, sort: def.sort.as_deref() };
    let mut plan = plan_shape(ctx, &resource, base, &shape)?;
    plan.limit = Some(def.limit.unwrap_or(MAX_REPORT_ROWS).min(MAX_REPORT_ROWS) as u64);
    Ok(plan)
}

/// What a report or an ad-hoc aggregate asks for, as written.
pub(crate) struct Shape<'a> {
    pub group_by: &'a [String],
    pub metrics: &'a [String],
    /// `having` keys (`sum(total).gt`) with their values.
    pub having: &'a [(String, String)],
    pub sort: Option<&'a str>,
}

/// Plan groups, metrics, `having` and order over `base` (its filters only),
/// planned as a list for the caller so its permissions, row filters and
/// secret-column rules are in the figures. The limit is the caller's to set.
pub(crate) fn plan_shape(
    ctx: Ctx<'_>,
    resource: &str,
    mut base: ListRequest,
    shape: &Shape<'_>,
) -> Result<ReportPlan, PlanError> {
    base.fields = None;
    base.include.clear();
    base.sort.clear();
    let list = plan_list(ctx, resource, &base)?;
    let table = list.root.select.table;
    let groups = shape.group_by.iter().map(|g| group_key(ctx, table, g)).collect::<Result<Vec<_>, _>>()?;
    let metrics = shape.metrics.iter().map(|m| metric(ctx, table, m)).collect::<Result<Vec<_>, _>>()?;
    if metrics.is_empty() {
        return Err(PlanError::param("metrics", "a report needs at least one metric"));
    }
    let mut plan = ReportPlan {
        table,
        filter: list.root.select.filter,
        groups,
        metrics,
        having: Vec::new(),
        order: Vec::new(),
        limit: None,
        mask: None,
    };
    if ctx.principal.policy.sandbox {
        let t = ctx.catalog.table(table);
        let groups = plan.groups.iter().map(|g| if g.bucket.is_some() { None } else { t.columns[g.col].pii });
        let metrics = plan.metrics.iter().map(|m| match (m.func, m.col) {
            (MetricFn::Count | MetricFn::CountDistinct, _) | (_, None) => None,
            (_, Some(c)) => t.columns[c].pii,
        });
        let pii = groups.chain(metrics).collect();
        plan.mask = Some(crate::plan::Mask { pii, masker: crate::sandbox::Masker::new(ctx.cursor_key) });
    }

    plan.having = having(ctx.catalog, &plan, shape.having)?;
    plan.order = order(&plan, shape.sort)?;
    Ok(plan)
}

fn having(
    catalog: &Catalog,
    plan: &ReportPlan,
    having: &[(String, String)],
) -> Result<Vec<(usize, CmpOp, Value)>, PlanError> {
    let kinds = plan.kinds(catalog);
    let mut out = Vec::new();
    for (key, value) in having {
        let f = filter_from_key(&format!("having[{key}]"), key, value)?;
        let idx = plan.metrics.iter().position(|m| m.label == f.column).ok_or_else(|| {
            PlanError::param(format!("having[{key}]"), format!("metric `{}` is not among the metrics", f.column))
        })?;
        let op = match f.op {
            Op::Eq => CmpOp::Eq,
            Op::Ne => CmpOp::Ne,
            Op::Gt => CmpOp::Gt,
            Op::Gte => CmpOp::Gte,
            Op::Lt => CmpOp::Lt,
            Op::Lte => CmpOp::Lte,
            other => {
                return Err(PlanError::param(
                    format!("having[{key}]"),
                    format!("operator `{}` is not allowed in having", other.name()),
                ));
            }
        };
        let kind = kinds[plan.groups.len() + idx];
        let v = Value::from_text(kind, value).map_err(|e| PlanError::param(format!("having[{key}]"), e))?;
        out.push((idx, op, v));
    }
    Ok(out)
}

fn order(plan: &ReportPlan, sort: Option<&str>) -> Result<Vec<(usize, bool)>, PlanError> {
    let labels = plan.labels();
    let mut out: Vec<(usize, bool)> = Vec::new();
    for key in sort.unwrap_or("").split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let (desc, label) = match key.strip_prefix('-') {
            Some(l) => (true, l),
            None => (false, key),
        };
        let idx = labels
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| PlanError::param("sort", format!("`{label}` is not a group or metric of this report")))?;
        out.push((idx, desc));
    }
    for g in 0..plan.groups.len() {
        if !out.iter().any(|(i, _)| *i == g) {
            out.push((g, false));
        }
    }
    Ok(out)
}

/// Check a report against the live catalog (and its view, if any).
pub fn validate_report(catalog: &Catalog, def: &ReportDef, view: Option<&ViewDef>) -> Result<(), ViewError> {
    if !super::valid_slug(&def.slug) {
        return Err(ViewError {
            token: def.slug.to_string(),
            message: "a slug is 1-100 lower-case letters, digits, `-` or `_`".into(),
        });
    }
    if let Some(c) = &def.chart
        && !["bar", "line", "pie", "table"].contains(&c.as_str())
    {
        return Err(ViewError { token: c.clone(), message: format!("chart `{c}`: expected bar, line, pie or table") });
    }
    let mut args: Vec<(String, String)> = Vec::new();
    for (n, p) in def.params.iter().chain(view.map(|v| v.params.iter()).into_iter().flatten()) {
        args.push((n.clone(), p.default.clone().unwrap_or_else(|| super::compile::sample(p.kind).to_string())));
    }

    let principal = validation_principal();
    let ctx = Ctx { catalog, principal: &principal, cursor_key: b"validate" };
    let fallback = def.resource.clone().unwrap_or_default();
    plan_report(ctx, def, view, &args).map(|_| ()).map_err(|e| plan_error(e, &fallback))
}
