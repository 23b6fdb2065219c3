//! The view pipeline, written once for every front-end: the caller's principal
//! for the view (views-only grants, the allowlist), the view compiled with its
//! arguments, narrowed by the caller's list parameters, planned. Reports go the
//! same way over their view (or a bare resource).

use super::{ReportDef, ViewDef, compile_view, narrow, plan_report, view_principal};
use crate::plan::{Ctx, ListPlan, PlanError, ReportPlan, plan_list};
use crate::request::ListRequest;

/// Plan view `def` for the caller in `ctx`, with its arguments `args` and the
/// caller's own list parameters `caller` (which can only narrow it).
pub fn plan_view(
    ctx: Ctx<'_>,
    def: &ViewDef,
    args: &[(String, String)],
    caller: &ListRequest,
) -> Result<ListPlan, PlanError> {
    let principal = view_principal(ctx.catalog, ctx.principal, def, true)?;
    let narrowed = narrow(compile_view(def, args)?, caller)?;
    plan_list(Ctx { principal: &principal, ..ctx }, &def.resource, &narrowed)
}

/// Plan report `def` for the caller in `ctx`; `view` is the view it aggregates,
/// if any. The caller reads through the view's grants (a views-only token may
/// run a report over a table it cannot list), never the view allowlist, which
/// names views, not reports.
pub fn plan_report_for(
    ctx: Ctx<'_>,
    def: &ReportDef,
    view: Option<&ViewDef>,
    args: &[(String, String)],
) -> Result<ReportPlan, PlanError> {
    let bare;
    let base = match view {
        Some(v) => v,
        None => {
            bare = ViewDef {
                slug: def.slug.clone(),
                name: def.name.clone(),
                resource: def.resource.clone().unwrap_or_default(),
                fields: None,
                include: Vec::new(),
                sort: None,
                filter: Default::default(),
                params: Default::default(),
            };
            &bare
        }
    };
    let principal = view_principal(ctx.catalog, ctx.principal, base, false)?;
    plan_report(Ctx { principal: &principal, ..ctx }, def, view, args)
}
