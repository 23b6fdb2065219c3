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
use databuilder_engine::plan::ReportPlan;
use databuilder_engine::principal::Principal;
use databuilder_engine::request::Format;
use databuilder_engine::views::{self, AggregateRequest};
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

/// The OpenAPI path item of `GET /{resource}/aggregate` (SPEC §3).
pub fn openapi_path(resource: &str) -> J {
    let p = |name: &str, d: &str| json!({"name": name, "in": "query", "required": false, "description": d, "schema": {"type": "string"}});
    let problem = json!({"description": "RFC 9457 problem", "content": {"application/problem+json": {}}});
    let column = json!({"type": "object", "properties": {"name": {"type": "string"}, "type": {"type": "string"}, "role": {"type": "string"}}});
    json!({"get": {
        "summary": format!("Ad-hoc aggregates over {resource}"),
        "parameters": [
            p("group_by", "Up to 8 columns and date buckets: `status,month(date)` (day week month quarter year)"),
            p("metrics", "count(*), count(col), count_distinct(col), sum, avg, min, max; default count(*)"),
            json!({"name": "having", "in": "query", "style": "deepObject", "explode": true, "description": "having[sum(total).gt]=0 (eq ne gt gte lt lte)", "schema": {"type": "object"}}),
            json!({"name": "filter", "in": "query", "style": "deepObject", "explode": true, "description": "The list filters: filter[col]=v or filter[col.op]=v", "schema": {"type": "object"}}),
            p("sort", "Groups and metrics by label, `-` for descending: `-sum(total)`"),
            p("limit", "Rows, 1 to 1000 (100)"),
            p("count", "`exact` adds meta.total, the number of groups"),
            p("format", "`json`, `csv` or `ndjson`"),
        ],
        "responses": {
            "200": {"description": "Groups and their figures", "content": {
                "application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"type": "object"}}, "meta": {"type": "object", "properties": {"columns": {"type": "array", "items": column}, "count": {"type": "integer"}, "total": {"type": "integer"}}}}}},
                "text/csv": {}, "application/x-ndjson": {}}},
            "400": problem, "403": problem, "404": problem,
        },
    }})
}
