//! Saved datasets over HTTP: `GET /views`, `/views/{slug}`, `/reports`,
//! `/reports/{slug}`, `/report-groups/{slug}`. Each definition is read from the
//! state tables and planned for the caller on every request (`engine::views`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use databuilder_engine::catalog::{Catalog, ColumnKind};
use databuilder_engine::exec;
use databuilder_engine::plan::PlanError;
use databuilder_engine::principal::Principal;
use databuilder_engine::request::parse_list_query;
use databuilder_engine::views::{self, GroupDef, ReportDef, ViewDef};
use serde_json::{Value as J, json};

use super::rest::{accept_format, respond_list};
use crate::app_state::Shared;
use crate::problem::Problem;
use crate::store::definitions::Kind;

type Caller = axum::Extension<Arc<Principal>>;

fn not_found(kind: Kind, slug: &str) -> Problem {
    Problem::not_found(format!("no {} `{slug}`", kind.noun()))
}

async fn load<T: serde::de::DeserializeOwned>(app: &Shared, kind: Kind, slug: &str) -> Result<T, Problem> {
    app.store.definition(kind, slug).await?.ok_or_else(|| not_found(kind, slug))
}

/// Unknown query parameters are a 400, declared view/report parameters are not.
fn reject_unknown(extra: &[(String, String)], declared: &[&String]) -> Result<(), Problem> {
    match extra.iter().find(|(k, _)| k != "token" && !declared.contains(&k)) {
        Some((k, _)) => Err(Problem::bad_param(k, "unknown parameter")),
        None => Ok(()),
    }
}

/// `GET /views`: the views this token may read.
pub async fn list_views(State(app): State<Shared>, caller: Caller) -> Result<Json<J>, Problem> {
    let catalog = app.catalog();
    let all: Vec<ViewDef> = app.store.definitions(Kind::View).await?;
    let data: Vec<J> = all
        .iter()
        .filter(|v| views::view_principal(&catalog, &caller, v, true).is_ok())
        .map(|v| {
            let broken = super::broken::view(&catalog, v).map(|b| b.missing);
            json!({"slug": v.slug, "name": v.name, "resource": v.resource, "fields": v.fields, "params": v.params, "broken": broken})
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `GET /views/{slug}`: the view, narrowed by the caller's list parameters.
pub async fn view(
    State(app): State<Shared>,
    caller: Caller,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let def: ViewDef = load(&app, Kind::View, &slug).await?;
    let mut req = parse_list_query(q.as_deref().unwrap_or(""))?;
    reject_unknown(&req.extra, &def.params.keys().collect::<Vec<_>>())?;
    req.format = req.format.or_else(|| accept_format(&headers));
    let catalog = app.catalog();
    // A definition the schema no longer fits fails to plan: say so (409) rather
    // than pass on the planner's complaint, unless the caller may not read it.
    let plan = views::plan_view(app.ctx(&catalog, &caller), &def, &req.extra, &req).or_else(|e| match e {
        PlanError::Forbidden(_) => Err(Problem::from(e)),
        e => super::broken::check_view(&catalog, &def).and(Err(Problem::from(e))),
    })?;
    respond_list(&app, catalog, plan, &req, &format!("views/{slug}")).await
}

/// `GET /reports`: the reports (for tokens with the `views` scope).
pub async fn list_reports(State(app): State<Shared>, caller: Caller) -> Result<Json<J>, Problem> {
    if !caller.policy.may_use_definitions() {
        return Ok(Json(json!({ "data": [] })));
    }
    let all: Vec<ReportDef> = app.store.definitions(Kind::Report).await?;
    let views: Vec<ViewDef> = app.store.definitions(Kind::View).await?;
    let catalog = app.catalog();
    let data: Vec<J> = all
        .iter()
        .map(|r| {
            let over = r.view.as_ref().and_then(|s| views.iter().find(|v| &v.slug == s));
            let broken = super::broken::check_report(&catalog, r, over).err().map(|p| p.detail);
            json!({"slug": r.slug, "name": r.name, "chart": r.chart, "params": r.params, "broken": broken})
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `GET /report-groups`: the report groups (for tokens with the `views` scope).
pub async fn list_report_groups(State(app): State<Shared>, caller: Caller) -> Result<Json<J>, Problem> {
    if !caller.policy.may_use_definitions() {
        return Ok(Json(json!({ "data": [] })));
    }
    let all: Vec<GroupDef> = app.store.definitions(Kind::Group).await?;
    let data: Vec<J> = all.iter().map(|g| json!({"slug": g.slug, "name": g.name, "reports": g.reports})).collect();
    Ok(Json(json!({ "data": data })))
}

/// `GET /reports/{slug}`.
pub async fn report(
    State(app): State<Shared>,
    caller: Caller,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<J>, Problem> {
    let args: Vec<(String, String)> = form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(Json(run_report(&app, &caller, &slug, &args, true).await?))
}

/// Run one report for the caller: `{"data": rows, "meta": {…}}`.
pub async fn run_report(
    app: &Shared,
    caller: &Principal,
    slug: &str,
    args: &[(String, String)],
    strict: bool,
) -> Result<J, Problem> {
    let def: ReportDef = load(app, Kind::Report, slug).await?;
    let view: Option<ViewDef> = match &def.view {
        Some(v) => Some(load(app, Kind::View, v).await?),
        None => None,
    };
    if strict {
        let declared: Vec<&String> = def.params.keys().chain(view.iter().flat_map(|v| v.params.keys())).collect();
        reject_unknown(args, &declared)?;
    }
    run_report_def(app, caller, &def, view.as_ref(), args).await
}

/// Run a report definition (saved or not: the admin console previews drafts)
/// for the caller.
pub async fn run_report_def(
    app: &Shared,
    caller: &Principal,
    def: &ReportDef,
    view: Option<&ViewDef>,
    args: &[(String, String)],
) -> Result<J, Problem> {
    let catalog = app.catalog();
    let plan = views::plan_report_for(app.ctx(&catalog, caller), def, view, args).or_else(|e| match e {
        PlanError::Forbidden(_) => Err(Problem::from(e)),
        e => super::broken::check_report(&catalog, def, view).and(Err(Problem::from(e))),
    })?;
    let rows = exec::run_report(&app.db, &catalog, &plan).await?;
    Ok(json!({
        "data": rows,
        "meta": {"slug": def.slug, "name": def.name, "chart": def.chart.clone().unwrap_or_else(|| "table".into()), "columns": columns(&catalog, &plan), "count": rows.len()},
    }))
}

/// Column metadata a chart needs: name, type, and whether it is a dimension or a metric.
pub(crate) fn columns(catalog: &Catalog, plan: &databuilder_engine::plan::ReportPlan) -> Vec<J> {
    let groups = plan.groups.len();
    plan.labels()
        .into_iter()
        .zip(plan.kinds(catalog))
        .enumerate()
        .map(|(i, (name, kind))| {
            let ty = match kind {
                ColumnKind::Int => "integer",
                ColumnKind::Decimal { .. } => "decimal",
                ColumnKind::Float => "number",
                ColumnKind::Date => "date",
                ColumnKind::DateTime => "datetime",
                ColumnKind::Bool => "boolean",
                _ => "string",
            };
            json!({"name": name, "type": ty, "role": if i < groups { "dimension" } else { "metric" }})
        })
        .collect()
}

/// `GET /report-groups/{slug}`: every report of the group, run concurrently.
pub async fn report_group(
    State(app): State<Shared>,
    caller: Caller,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<J>, Problem> {
    let group: GroupDef = load(&app, Kind::Group, &slug).await?;
    let args: Vec<(String, String)> = form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let runs = group.reports.iter().map(|r| run_report(&app, &caller, r, &args, false));
    let results = futures_util::future::join_all(runs).await;
    let mut data = serde_json::Map::new();
    for (slug, result) in group.reports.iter().zip(results) {
        data.insert(slug.to_string(), result?);
    }
    Ok(Json(json!({"data": data, "meta": {"slug": group.slug, "name": group.name}})))
}
