//! The GraphQL front-end: `POST /api/data_builder/v1/graphql` (SPEC §4). It sits
//! beside `rest.rs` as another front-end over the same engine: the schema is
//! generated per token from the catalog (only what the token may see), and every
//! root field is translated into the engine's request model, planned by the same
//! planner and run by the same executor as REST — so scopes, row filters, secret
//! columns, sensitive tables and the sandbox hold by construction.
//!
//! The route is an API route, so the six-stage security pipeline runs before
//! this handler (body limit, auth, rate limit, scopes, audit). Here:
//! malformed bodies (not JSON, nested deeper than 10, a batch array, no `query`)
//! answer 400 problem+json; everything about the query itself (validation,
//! limits, introspection, planner errors) answers `200 {"data", "errors"}`.
//!
//! Modules: `cache.rs` (schemas per scope set), `meta.rs` (what a token sees),
//! `names.rs`, `types.rs`, `schema.rs` (building), `translate.rs` (selection →
//! `ListRequest`), `resolve.rs` (resolvers), `limits.rs` (depth, complexity,
//! aliases, root fields, introspection), `errors.rs` (codes and scrubbing).

mod aggregate;
pub mod cache;
mod errors;
pub mod limits;
mod meta;
mod names;
mod resolve;
mod schema;
mod translate;
mod types;

pub use cache::SchemaCache;
pub use limits::Limits;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::{Request, Response, Value, Variables};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use databuilder_engine::principal::Principal;
use serde_json::Value as J;

use crate::app_state::Shared;
use crate::body::{self, MAX_JSON_DEPTH, json_depth};
use crate::problem::Problem;
use cache::Built;
use resolve::Call;

type Caller = axum::Extension<Arc<Principal>>;

/// A GraphQL-over-HTTP body: `{"query", "variables", "operationName"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphqlBody {
    pub query: String,
    pub variables: J,
    pub operation_name: Option<String>,
}

fn bad_body(detail: impl Into<String>) -> Problem {
    Problem::bad_param("body", detail)
}

/// Parse the body; batches (a JSON array) and anything but one request object are refused.
pub fn parse_body(bytes: &[u8]) -> Result<GraphqlBody, Problem> {
    if json_depth(bytes) > MAX_JSON_DEPTH {
        return Err(bad_body(format!("JSON nested deeper than {MAX_JSON_DEPTH} levels")));
    }
    let v: J = serde_json::from_slice(bytes)
        .map_err(|e| bad_body(format!("invalid JSON at line {} column {}", e.line(), e.column())))?;
    let mut m = match v {
        J::Object(m) => m,
        J::Array(_) => return Err(bad_body("batched requests (a JSON array) are not accepted; send one object")),
        _ => return Err(bad_body("expected a JSON object {\"query\": …}")),
    };
    let query = match m.remove("query") {
        Some(J::String(q)) if !q.trim().is_empty() => q,
        Some(J::String(_)) | None | Some(J::Null) => return Err(bad_body("missing `query`")),
        Some(_) => return Err(bad_body("`query` must be a string")),
    };
    let variables = match m.remove("variables") {
        None | Some(J::Null) => J::Object(Default::default()),
        Some(J::Object(v)) => J::Object(v),
        Some(J::String(s)) => match serde_json::from_str::<J>(&s) {
            Ok(J::Object(v)) => J::Object(v),
            _ => return Err(bad_body("`variables` must be an object")),
        },
        Some(_) => return Err(bad_body("`variables` must be an object")),
    };
    let operation_name = match m.remove("operationName") {
        None | Some(J::Null) => None,
        Some(J::String(s)) => Some(s),
        Some(_) => return Err(bad_body("`operationName` must be a string")),
    };
    Ok(GraphqlBody { query, variables, operation_name })
}

/// `POST /graphql`.
pub async fn post(State(app): State<Shared>, caller: Caller, body: Body) -> Result<HttpResponse, Problem> {
    let bytes = body::read(body, app.config.security.body_limit, app.config.body_timeout()).await?;
    let req = parse_body(&bytes)?;
    let catalog = app.catalog();
    let defs = app.definitions().await;
    let built = app.graphql.get(&app, &catalog, &defs, &caller).map_err(|e| {
        tracing::error!(error = %e.0, "building the GraphQL schema failed");
        Problem::internal()
    })?;
    let dry_run = Arc::new(AtomicBool::new(false));
    let call = Call { app: app.clone(), catalog, principal: caller.0.clone(), dry_run: dry_run.clone() };
    let mut response = execute(&built, &app.graphql.limits, req, call).await;
    errors::scrub(&mut response, &built.meta);
    let dry = dry_run.load(Ordering::Relaxed);
    if dry {
        response.extensions.insert("dry_run".into(), Value::Boolean(true));
    }
    let mut res = Json(response).into_response();
    if dry {
        res.headers_mut().insert("x-dry-run", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// Limits first (nothing runs when one is exceeded), then async-graphql.
async fn execute(built: &Built, limits: &Limits, body: GraphqlBody, call: Call) -> Response {
    if limits::nesting(&body.query) > limits.nesting {
        let msg = format!("the query text nests brackets deeper than {}", limits.nesting);
        return Response::from_errors(vec![errors::server(msg, "DEPTH_LIMIT", None)]);
    }
    let mut request = Request::new(body.query).variables(Variables::from_json(body.variables));
    if let Some(op) = body.operation_name {
        request = request.operation_name(op);
    }
    let mut order = Vec::new();
    if let Ok(doc) = async_graphql::parser::parse_query(&request.query) {
        let violations = limits::check(&doc, &request.variables, &built.meta, limits);
        if !violations.is_empty() {
            return Response::from_errors(violations);
        }
        order = limits::root_keys(&doc, request.operation_name.as_deref());
        request.set_parsed_query(doc);
    }
    let mut response = built.schema.execute(request.data(call)).await;
    // Resolver errors carry a code (validation errors do not, yet): when it ran and
    // every root field failed, each is `null`, not the whole `data`.
    let ran = response.errors.iter().any(|e| e.extensions.as_ref().is_some_and(|x| x.get("code").is_some()));
    if matches!(response.data, Value::Null) && ran {
        response.data = Value::Object(Default::default());
    }
    in_query_order(&mut response.data, &order);
    response
}

/// Root fields run concurrently and async-graphql collects them as they finish,
/// leaving out those that failed: put them back in the order of the query
/// (GraphQL §7.2.2), a failed one as `null` (every root field is nullable), a
/// skipped one absent.
fn in_query_order(data: &mut Value, order: &[(async_graphql::Name, bool)]) {
    if let Value::Object(map) = data {
        let mut rest = std::mem::take(map);
        for (key, may_be_absent) in order {
            match rest.shift_remove(key) {
                Some(v) => {
                    map.insert(key.clone(), v);
                }
                None if !may_be_absent => {
                    map.insert(key.clone(), Value::Null);
                }
                None => {}
            }
        }
        map.extend(rest);
    }
}

/// `GET /graphql`: 405 with what to send instead.
pub async fn get() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "GraphQL takes a POST: send a POST with {\"query\": …, \"variables\": {…}, \"operationName\": …} \
         as application/json",
    )
    .with_header(header::ALLOW, HeaderValue::from_static("POST"))
}

#[cfg(test)]
mod tests;
