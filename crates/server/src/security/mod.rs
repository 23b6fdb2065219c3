//! The request path, written once, top to bottom, in the order a request meets it
//! (SPEC §6). Each stage can reject on its own; a rejection is a [`Problem`]
//! marked with its stage, and the outermost layer gives every response — success
//! or rejection, router 404/405 included — the same security headers and
//! `X-Request-Id`.
//!
//! Whole router (`outer`):
//! 0. `headers::finalize` — request id, security headers, problem bodies;
//! 1. `shield::shield` — what the head shows (query-string limits, a declared
//!    body over the limit), per-IP throttle, concurrency cap;
//!    `shield::time_limit` — handler deadline; `shield::catch_panic`;
//! 2. `cors::preflight` — OPTIONS answered without auth, for the server's origins
//!    and every active token's.
//!
//! API routes (`api`, a route layer per route group so an unknown route stays a
//! 404; `crate::routes` names each group's [`Guard`]):
//! 6. `audit::audit` — starts the audit record before auth; the response leaves
//!    only once its record is committed (or when dropped, the record is still
//!    written); personal values in the query are redacted by the group's
//!    capability and the typed `{resource}` (`audit_pii`);
//! 3. `auth::authenticate` — bearer token (and HMAC signature) → `Principal`;
//! 2. `cors::origin_check` — the token's origin whitelist;
//! 4. `rate_limit::limit` — per-token fixed window, fail-closed;
//! 5. `scopes::verify` — CIDR allowlist, then the group's [`Capability`]: any
//!    token, admin only, the views rule, or the table matrix on the typed
//!    `{resource}` path segment.
//!
//! Each stage takes only the state it uses (`HeaderPolicy`, `Shield`, `Cors`,
//! `ScopeGate`, sub-states of `AppState`), so `tests/` runs each alone with
//! `oneshot`, its rejection and its pass.
//!
//! The planner enforces the table matrix, sensitive tables, secret columns and
//! row filters again, inside every plan, for every front-end.

pub mod audit;
pub mod audit_pii;
pub mod auth;
pub mod client_ip;
pub mod cors;
pub mod headers;
pub mod ip_key;
pub mod rate_limit;
pub mod scopes;
pub mod shield;
#[cfg(test)]
mod tests;

use axum::Router;
use axum::middleware::from_fn_with_state as with;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;

use crate::app_state::Shared;
use crate::problem::Problem;
pub use rate_limit::RateMode;

/// A stage of the pipeline, as the audit log names the one that rejected a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Shield,
    Cors,
    Audit,
    Auth,
    Rate,
    Scope,
}

impl Stage {
    /// The name stored in the audit log's `stage` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Shield => "shield",
            Stage::Cors => "cors",
            Stage::Audit => "audit",
            Stage::Auth => "auth",
            Stage::Rate => "rate",
            Stage::Scope => "scope",
        }
    }
}

/// Which stage rejected a request (a response extension, read by the audit log).
#[derive(Debug, Clone, Copy)]
pub struct Rejected(pub Stage);

/// A rejection by `stage`.
pub fn reject(stage: Stage, problem: Problem) -> Response {
    let mut res = problem.into_response();
    res.extensions_mut().insert(Rejected(stage));
    res
}

/// Wrap the whole router.
pub fn outer(router: Router, app: Shared) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(with(app.headers.clone(), headers::finalize))
            .layer(with(app.shield.clone(), shield::shield))
            .layer(with(app.shield.clone(), shield::time_limit))
            .layer(axum::middleware::from_fn(shield::catch_panic))
            .layer(with(app.cors.clone(), cors::preflight)),
    )
}

/// What a route group needs beyond a valid token: stage 5's per-route rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Any active token; the handler answers only what the planner lets it see.
    Token,
    /// Admin tokens only.
    Admin,
    /// Saved views, reports and report groups ([`Policy::may_use_definitions`]).
    ///
    /// [`Policy::may_use_definitions`]: databuilder_engine::principal::Policy::may_use_definitions
    Definitions,
    /// The table matrix for the `{resource}` path parameter and the method.
    Resource,
}

/// The guard of one route group: its capability and how it is rate-counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    pub capability: Capability,
    pub rate: RateMode,
}

impl Guard {
    pub const fn new(capability: Capability) -> Guard {
        Guard { capability, rate: RateMode::Speculative }
    }

    /// For handlers that report the rate window (`/auth/test`): counted first.
    pub const fn count_first(capability: Capability) -> Guard {
        Guard { capability, rate: RateMode::CountFirst }
    }
}

/// Wrap one group of API routes with stages 6, 3, 2 (origin), 4 and 5.
pub fn api(router: Router<Shared>, app: Shared, guard: Guard) -> Router<Shared> {
    router.route_layer(
        ServiceBuilder::new()
            .layer(with((app.clone(), guard.capability), audit::audit))
            .layer(with(app.clone(), auth::authenticate))
            .layer(axum::middleware::from_fn(cors::origin_check))
            .layer(with((app.clone(), guard.rate), rate_limit::limit))
            .layer(with((app.scopes.clone(), guard.capability), scopes::verify)),
    )
}
