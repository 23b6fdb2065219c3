//! 405 answers whose `Allow` header says what *this token* may do on a
//! resource path, as its OpenAPI document does. The router's own 405 lists
//! every method a route has, whatever the token; so the resource routes take
//! the other standard methods too, through the whole pipeline, and answer 405
//! here with the methods the caller's permissions grant.

use std::sync::Arc;

use axum::extract::{OriginalUri, Path, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::routing::{MethodFilter, MethodRouter};
use databuilder_engine::plan::{Action, permissions};
use databuilder_engine::principal::Principal;

use crate::app_state::Shared;
use crate::problem::Problem;

/// The standard methods a route may be asked for (HEAD follows GET).
const METHODS: [(Method, MethodFilter); 7] = [
    (Method::GET, MethodFilter::GET),
    (Method::POST, MethodFilter::POST),
    (Method::PUT, MethodFilter::PUT),
    (Method::PATCH, MethodFilter::PATCH),
    (Method::DELETE, MethodFilter::DELETE),
    (Method::OPTIONS, MethodFilter::OPTIONS),
    (Method::TRACE, MethodFilter::TRACE),
];

/// Route every standard method not in `taken` to `handler`.
pub fn others<H, T>(mut router: MethodRouter<Shared>, taken: &[Method], handler: H) -> MethodRouter<Shared>
where
    H: Handler<T, Shared> + Clone,
    T: 'static,
{
    for (m, filter) in METHODS {
        if !taken.contains(&m) {
            router = router.on(filter, handler.clone());
        }
    }
    router
}

fn not_allowed(allow: &str) -> Problem {
    let p = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this route does not accept that method",
    );
    match HeaderValue::from_str(allow) {
        Ok(v) => p.with_header(header::ALLOW, v),
        Err(_) => p,
    }
}

/// 405 on `/{resource}`, `/{resource}/schema` or `/{resource}/{id}` with the caller's methods.
pub async fn resource(
    State(app): State<Shared>,
    caller: axum::Extension<Arc<Principal>>,
    Path(params): Path<Vec<(String, String)>>,
    OriginalUri(uri): OriginalUri,
) -> Problem {
    let resource = params.iter().find(|(k, _)| k == "resource").map(|(_, v)| v.as_str()).unwrap_or("");
    let catalog = app.catalog();
    let ctx = app.ctx(&catalog, &caller);
    let Some(idx) = catalog.resource(resource) else { return Problem::not_found(format!("no resource `{resource}`")) };
    let can = |a| permissions::check_table(ctx, idx, a).is_ok();
    let item = params.iter().any(|(k, _)| k == "id");
    let schema = uri.path().ends_with("/schema") && !item;
    let mut allow: Vec<&str> = Vec::new();
    if can(Action::Read) {
        allow.extend(["GET", "HEAD"]);
    }
    if !schema && !item && can(Action::Create) {
        allow.push("POST");
    }
    if item && can(Action::Update) {
        allow.extend(["PUT", "PATCH"]);
    }
    if item && can(Action::Delete) {
        allow.push("DELETE");
    }
    not_allowed(&allow.join(","))
}
