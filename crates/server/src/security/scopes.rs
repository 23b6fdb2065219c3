//! Stage 5, the scope verifier: the token's CIDR allowlist (client IP from the
//! socket, or `X-Forwarded-For` from trusted proxies only), its coarse scopes
//! and the table matrix for the route (GET → read, POST → create, PUT/PATCH →
//! update, DELETE → delete), sensitive tables included. The planner checks the
//! matrix again inside every plan; this stage rejects early and independently.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use databuilder_engine::plan::{Action, PlanError, permissions};
use databuilder_engine::principal::Principal;

use super::client_ip::{client_ip, in_nets, parse_nets};
use super::reject;
use crate::api::BASE;
use crate::api::error::Problem;
use crate::app_state::Shared;

fn action(m: &Method) -> Action {
    match *m {
        Method::POST => Action::Create,
        Method::PUT | Method::PATCH => Action::Update,
        Method::DELETE => Action::Delete,
        _ => Action::Read,
    }
}

/// Verify the token may make this request at all.
pub async fn verify(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let Some(p) = req.extensions().get::<Arc<Principal>>().cloned() else {
        return next.run(req).await;
    };
    if !p.policy.cidrs.is_empty() {
        let ip = client_ip(&req, &app.trusted_proxies);
        if !in_nets(ip, &parse_nets(&p.policy.cidrs)) {
            return reject("scope", Problem::forbidden("this token may not be used from this address"));
        }
    }
    let uri = super::auth::original_uri(&req);
    let path = uri.path().strip_prefix(BASE).unwrap_or("").trim_start_matches('/');
    let first = path.split('/').next().unwrap_or("");
    let verdict = match first {
        "" | "auth" | "tables" | "openapi.json" | "graphql" => Ok(()),
        "admin" if p.policy.admin => Ok(()),
        "admin" => Err(Problem::forbidden("only admin tokens may use admin routes")),
        "views" | "reports" | "report-groups" if p.policy.admin || p.policy.sandbox || p.policy.scopes.views => Ok(()),
        "views" | "reports" | "report-groups" => Err(Problem::forbidden("this token has no `views` scope")),
        resource => {
            let catalog = app.catalog();
            match permissions::authorize(app.ctx(&catalog, &p), resource, action(req.method())) {
                Ok(_) | Err(PlanError::UnknownResource(_)) => Ok(()),
                Err(e) => Err(Problem::from(e)),
            }
        }
    };
    match verdict {
        Ok(()) => next.run(req).await,
        Err(problem) => reject("scope", problem),
    }
}
