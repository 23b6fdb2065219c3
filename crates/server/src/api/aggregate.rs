//! Ad-hoc aggregates over HTTP (SPEC §3): `GET /{resource}/aggregate`. The
//! query string becomes an engine `AggregateRequest`, planned for the caller by
//! the report planner and run as one statement (two with `count=exact`), so the
//! figures obey the same permission, row-filter and sandbox rules as lists and
//! reports. The GraphQL `<plural>_aggregate` fields answer through [`run`] too.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use databuilder_engine::catalog::Catalog;
use databuilder_engine::exec::{self, Db, DbError};
use databuilder_engine::principal::Principal;
use databuilder_engine::request::Format;
use databuilder_engine::views::{self, AggregateRequest, ReportPlan};
use serde_json::{Value as J, json};

use super::format;
use super::rest::accept_format;
use crate::app_state::Shared;
use crate::problem::Problem;

type Caller = axum::Extension<Arc<Principal>>;

/// `GET /{resource}/aggregate`.
pub async fn aggregate(
    State(app): State<Shared>,
    caller: Caller,
    Path(resource): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let req = AggregateRequest::from_query(q.as_deref().unwrap_or(""))?;
    let format = req.base.format.or_else(|| accept_format(&headers)).unwrap_or(Format::Json);
    let (labels, rows, body) = run(&app, &caller, &resource, &req).await?;
    if format == Format::Json {
        return Ok(Json(body).into_response());
    }
    Ok(format::rows(format, &labels, &rows))
}

/// Plan and run `req` for `caller` on the current catalog.
async fn run(
    app: &Shared,
    caller: &Principal,
    resource: &str,
    req: &AggregateRequest,
) -> Result<(Vec<String>, Vec<exec::Object>, J), Problem> {
    let catalog = app.catalog();
    let plan = views::plan_aggregate(app.ctx(&catalog, caller), resource, req)?;
    Ok(answer(&app.db, &catalog, &plan, resource, req.wants_total()).await?)
}

/// Run a planned aggregate: the output labels, the rows, and the JSON answer
/// `{"data": rows, "meta": {"resource", "columns", "count"[, "total"]}}`.
pub async fn answer(
    db: &Db,
    catalog: &Catalog,
    plan: &ReportPlan,
    resource: &str,
    total: bool,
) -> Result<(Vec<String>, Vec<exec::Object>, J), DbError> {
    let rows = exec::run_report(db, catalog, plan).await?;
    let mut meta = json!({"resource": resource, "columns": super::views::columns(catalog, plan), "count": rows.len()});
    if total {
        meta["total"] = json!(exec::count_report_groups(db, catalog, plan).await?);
    }
    let body = json!({"data": &rows, "meta": meta});
    Ok((plan.labels(), rows, body))
}
