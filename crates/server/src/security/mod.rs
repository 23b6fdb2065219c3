//! The request path, written once, top to bottom, in the order a request meets it:
//!
//! 1. `headers` — request id, security headers and problem rendering on every
//!    response (outermost, so even rejections of later stages carry them);
//! 2. `shield` — handler time limit, panics turned into problems;
//! 3. `auth` — bearer token → [`Principal`](databuilder_engine::principal::Principal)
//!    in the request extensions (API routes only).
//!
//! CORS, the rate limiter, the scope verifier and the audit log slot in as
//! further layers between these (see the security pipeline issue). Table scopes,
//! row filters, sensitive tables and secret columns are enforced by the engine's
//! planner, which every front-end goes through.

pub mod auth;
pub mod headers;
pub mod shield;

use axum::Router;
use axum::middleware;

use crate::app_state::Shared;

/// Wrap the whole router (API routes already carry `auth`).
pub fn outer(router: Router, app: Shared) -> Router {
    // Layers run outside-in in the reverse order of `.layer` calls: the last added is the outermost.
    router
        .layer(middleware::from_fn(shield::catch_panic))
        .layer(middleware::from_fn_with_state(app, shield::time_limit))
        .layer(middleware::from_fn(headers::finalize))
}

/// Wrap the API routes: authentication.
pub fn api(router: Router<Shared>, app: Shared) -> Router<Shared> {
    router.route_layer(middleware::from_fn_with_state(app, auth::authenticate))
}
