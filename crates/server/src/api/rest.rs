//! REST handlers: each turns its HTTP syntax into the engine's request model,
//! plans it for the authenticated principal, runs it and encodes the result.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use databuilder_engine::catalog::Catalog;
use databuilder_engine::exec::{self, Object, etag};
use databuilder_engine::plan::{self, ListPlan};
use databuilder_engine::principal::Principal;
use databuilder_engine::request::{Format, ListRequest, parse_list_query};
use serde_json::{Value as J, json};
use sha2::{Digest, Sha256};

use super::format;
use crate::app_state::Shared;
use crate::body;
use crate::problem::Problem;
use crate::store::idempotency::Claim;

type Caller = axum::Extension<Arc<Principal>>;

/// Parameters any request may carry besides its own (consumed by earlier stages).
const PASS_THROUGH: &[&str] = &["token"];

fn reject_extra(req: &ListRequest, allowed: &[&str]) -> Result<(), Problem> {
    match req.extra.iter().find(|(k, _)| !PASS_THROUGH.contains(&k.as_str()) && !allowed.contains(&k.as_str())) {
        Some((k, _)) => Err(Problem::bad_param(k, "unknown parameter")),
        None => Ok(()),
    }
}

/// `csv_raw=true`: CSV cells exactly as stored, without the formula guard.
const CSV_RAW: &str = "csv_raw";

fn csv_raw(req: &ListRequest) -> Result<bool, Problem> {
    match req.extra.iter().find(|(k, _)| k == CSV_RAW).map(|(_, v)| v.as_str()) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(Problem::bad_param(CSV_RAW, "must be `true` or `false`")),
    }
}

pub fn accept_format(headers: &HeaderMap) -> Option<Format> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    if accept.contains("text/csv") {
        Some(Format::Csv)
    } else if accept.contains("ndjson") {
        Some(Format::Ndjson)
    } else {
        None
    }
}

/// `GET /{resource}`.
pub async fn list(
    State(app): State<Shared>,
    caller: Caller,
    Path(resource): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let mut req = parse_list_query(q.as_deref().unwrap_or(""))?;
    reject_extra(&req, &[CSV_RAW])?;
    req.format = req.format.or_else(|| accept_format(&headers));
    let catalog = app.catalog();
    let plan = plan::plan_list(app.ctx(&catalog, &caller), &resource, &req)?;
    respond_list(&app, catalog, plan, &req, &resource).await
}

/// Run a planned list and answer it: the JSON envelope, or a CSV/NDJSON stream.
/// `path` (after the base path) and `req` make the `links`.
pub async fn respond_list(
    app: &Shared,
    catalog: Arc<Catalog>,
    plan: ListPlan,
    req: &ListRequest,
    path: &str,
) -> Result<Response, Problem> {
    if plan.format != Format::Json {
        return Ok(format::stream(app.db.clone(), catalog, plan, csv_raw(req)?));
    }
    let page = exec::run_list(&app.db, &catalog, &plan, &app.cursor_key).await?;
    Ok(Json(envelope(path, req, &plan, page)).into_response())
}

fn envelope(path: &str, req: &ListRequest, plan: &ListPlan, page: exec::Page) -> J {
    let base = format!("{}/{path}", crate::routes::BASE);
    let link = |p: u32| J::String(format!("{base}?{}", req.to_query(Some(p))));
    let (n, per) = (plan.page, plan.per_page);
    let links = if plan.cursor.is_some() {
        let next = page.next_cursor.as_ref().map(|c| {
            let mut r = req.clone();
            r.cursor = Some(c.clone());
            J::String(format!("{base}?{}", r.to_query(None)))
        });
        json!({"self": format!("{base}?{}", req.to_query(None)), "first": null, "prev": null, "next": next, "last": null})
    } else {
        // An estimate or a lower bound does not say where the last page is.
        let exact = page.total.filter(|_| page.count == exec::CountKind::Exact);
        let last = exact.map(|t| ((t.max(0) as u64).div_ceil(per as u64)).max(1) as u32);
        let has_next = match last {
            Some(l) => n < l,
            None => page.rows.len() == per as usize,
        };
        json!({
            "self": link(n),
            "first": link(1),
            "prev": if n > 1 { link(n - 1) } else { J::Null },
            "next": if has_next { link(n + 1) } else { J::Null },
            "last": last.map(link),
        })
    };
    json!({
        "data": page.rows,
        "meta": {"total": page.total, "count": page.count.as_str(), "page": n, "current_page": n, "per_page": per},
        "links": links,
    })
}

/// `GET /{resource}/{id}`.
pub async fn get_one(
    State(app): State<Shared>,
    caller: Caller,
    Path((resource, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, Problem> {
    let req = parse_list_query(q.as_deref().unwrap_or(""))?;
    reject_extra(&req, &[])?;
    only_fields_and_include(&req)?;
    let catalog = app.catalog();
    let node = plan::plan_get(app.ctx(&catalog, &caller), &resource, &id, req.fields.as_deref(), &req.include_specs())?;
    let row = exec::run_node(&app.db, &catalog, &node)
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found(format!("no row `{id}` in `{resource}`")))?;
    Ok(single(StatusCode::OK, row))
}

fn only_fields_and_include(req: &ListRequest) -> Result<(), Problem> {
    let defaults = ListRequest {
        fields: req.fields.clone(),
        include: req.include.clone(),
        extra: req.extra.clone(),
        ..ListRequest::default()
    };
    if *req == defaults {
        return Ok(());
    }
    Err(Problem::bad_param("query", "a single row takes only `fields` and `include`"))
}

/// `{"data":{…}}` with an ETag.
fn single(status: StatusCode, row: Object) -> Response {
    let tag = etag(&row);
    let mut res = (status, Json(json!({ "data": row }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// Write options from the query string: only `dry_run` (what the caller asks;
/// the planner decides whether the write rolls back).
fn dry_run(q: Option<&str>) -> Result<bool, Problem> {
    let req = parse_list_query(q.unwrap_or(""))?;
    reject_extra(&req, &["dry_run"])?;
    if req != (ListRequest { extra: req.extra.clone(), ..ListRequest::default() }) {
        return Err(Problem::bad_param("query", "writes take only `dry_run`"));
    }
    let flag = match req.extra.iter().find(|(k, _)| k == "dry_run").map(|(_, v)| v.as_str()) {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(_) => return Err(Problem::bad_param("dry_run", "must be `true` or `false`")),
    };
    Ok(flag)
}

fn dry_run_header(mut res: Response, dry: bool) -> Response {
    if dry {
        res.headers_mut().insert("x-dry-run", HeaderValue::from_static("true"));
    }
    res
}

/// `POST /{resource}`: one object or an array of at most 1000, all-or-nothing.
pub async fn create(
    State(app): State<Shared>,
    caller: Caller,
    Path(resource): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let dry = dry_run(q.as_deref())?;
    let bytes = body::read(body, app.config.security.body_limit, app.config.body_timeout()).await?;
    let key = headers.get("idempotency-key").map(|v| v.to_str().unwrap_or("").to_string());
    if let Some(k) = &key {
        if k.is_empty() || k.len() > 255 || !k.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return Err(Problem::bad_param("Idempotency-Key", "must be 1 to 255 visible characters"));
        }
        let fingerprint = format!("POST {resource} {}", hex::encode(Sha256::digest(&bytes)));
        match app.store.claim_idempotency(caller.token_id, k, &fingerprint).await? {
            Claim::Fresh => {}
            Claim::Replay(status, body) => {
                let mut res = Response::new(Body::from(body));
                *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
                return Ok(res);
            }
            Claim::Conflict(why) => {
                return Err(Problem::new(StatusCode::CONFLICT, "idempotency-conflict", "Conflict", why));
            }
        }
    }
    let result = do_create(&app, &caller, &resource, &headers, bytes, dry).await;
    if let Some(k) = &key {
        match &result {
            Ok((status, body, false)) => app.store.store_idempotency(caller.token_id, k, status.as_u16(), body).await?,
            _ => app.store.release_idempotency(caller.token_id, k).await?,
        }
    }
    let (status, body, rolled_back) = result?;
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(dry_run_header(res, rolled_back))
}

async fn do_create(
    app: &Shared,
    caller: &Principal,
    resource: &str,
    headers: &HeaderMap,
    bytes: axum::body::Bytes,
    dry: bool,
) -> Result<(StatusCode, String, bool), Problem> {
    let (rows, batch) = body::rows(headers, bytes).await?;
    let catalog = app.catalog();
    let plan = plan::plan_create(app.ctx(&catalog, caller), resource, &rows, batch, dry)?;
    let mut written = exec::run_create(&app.db, &catalog, &plan).await?;
    let dry = plan.rollback;
    let data = if batch {
        J::Array(written.into_iter().map(J::Object).collect())
    } else {
        J::Object(written.pop().unwrap_or_default())
    };
    let status = if dry { StatusCode::OK } else { StatusCode::CREATED };
    let mut body = json!({ "data": data });
    if dry {
        body["meta"] = json!({"dry_run": true});
    }
    Ok((status, body.to_string(), dry))
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// `PUT` and `PATCH /{resource}/{id}`: update the given columns.
pub async fn update(
    State(app): State<Shared>,
    caller: Caller,
    Path((resource, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let dry = dry_run(q.as_deref())?;
    let bytes = body::read(body, app.config.security.body_limit, app.config.body_timeout()).await?;
    let (rows, batch) = body::rows(&headers, bytes).await?;
    let row = match (batch, rows.into_iter().next()) {
        (false, Some(r)) => r,
        _ => return Err(Problem::bad_param("body", "expected one JSON object")),
    };
    let catalog = app.catalog();
    let plan = plan::plan_update(app.ctx(&catalog, &caller), &resource, &id, &row, dry)?;
    let written = exec::run_update(&app.db, &catalog, &plan, if_match(&headers).as_deref()).await?;
    Ok(dry_run_header(single(StatusCode::OK, written), plan.rollback))
}

/// `DELETE /{resource}/{id}`.
pub async fn delete(
    State(app): State<Shared>,
    caller: Caller,
    Path((resource, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let dry = dry_run(q.as_deref())?;
    let catalog = app.catalog();
    let plan = plan::plan_delete(app.ctx(&catalog, &caller), &resource, &id, dry)?;
    let before = exec::run_delete(&app.db, &catalog, &plan, if_match(&headers).as_deref()).await?;
    let dry = plan.rollback;
    let mut body = json!({"status": "ok"});
    if dry {
        body["data"] = J::Object(before);
        body["meta"] = json!({"dry_run": true});
    }
    Ok(dry_run_header(Json(body).into_response(), dry))
}
