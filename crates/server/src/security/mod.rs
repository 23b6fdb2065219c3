//! The request path, written once, top to bottom, in the order a request meets it
//! (SPEC §6). Each stage can reject on its own; a rejection is a [`Problem`]
//! marked with its stage, and the outermost layer gives every response — success
//! or rejection, router 404/405 included — the same security headers and
//! `X-Request-Id`.
//!
//! Whole router (`outer`):
//! 0. `headers::finalize` — request id, security headers, problem bodies;
//! 1. `shield::shield` — query-string limits, per-IP throttle, concurrency cap;
//!    `shield::time_limit` — handler deadline; `shield::catch_panic`;
//! 2. `cors::preflight` — OPTIONS answered from the server policy, no auth.
//!
//! API routes (`api`, a route layer so an unknown route stays a 404):
//! 6. `audit::audit` — starts the audit record before auth, finalizes it after
//!    the response (or when the request is dropped);
//! 3. `auth::authenticate` — bearer token (and HMAC signature) → `Principal`;
//! 2. `cors::origin_check` — the token's origin whitelist;
//! 4. `rate_limit::limit` — per-token fixed window, fail-closed;
//! 5. `scopes::verify` — CIDR allowlist, scopes and the table matrix.
//!
//! The planner enforces the table matrix, sensitive tables, secret columns and
//! row filters again, inside every plan, for every front-end.

pub mod audit;
pub mod auth;
pub mod client_ip;
pub mod cors;
pub mod headers;
pub mod rate_limit;
pub mod scopes;
pub mod shield;

use axum::Router;
use axum::middleware::from_fn_with_state as with;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;

use crate::api::error::Problem;
use crate::app_state::Shared;

/// Which stage rejected a request (a response extension, read by the audit log).
#[derive(Debug, Clone, Copy)]
pub struct Rejected(pub &'static str);

/// A rejection by `stage`.
pub fn reject(stage: &'static str, problem: Problem) -> Response {
    let mut res = problem.into_response();
    res.extensions_mut().insert(Rejected(stage));
    res
}

/// Wrap the whole router.
pub fn outer(router: Router, app: Shared) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(with(app.clone(), headers::finalize))
            .layer(with(app.clone(), shield::shield))
            .layer(with(app.clone(), shield::time_limit))
            .layer(axum::middleware::from_fn(shield::catch_panic))
            .layer(with(app, cors::preflight)),
    )
}

/// Wrap the API routes.
pub fn api(router: Router<Shared>, app: Shared) -> Router<Shared> {
    router.route_layer(
        ServiceBuilder::new()
            .layer(with(app.clone(), audit::audit))
            .layer(with(app.clone(), auth::authenticate))
            .layer(axum::middleware::from_fn(cors::origin_check))
            .layer(with(app.clone(), rate_limit::limit))
            .layer(with(app, scopes::verify)),
    )
}
