//! Stage 5, the scope verifier: the token's CIDR allowlist (client IP from the
//! socket, or `X-Forwarded-For` from trusted proxies only), its coarse scopes
//! and the table matrix for the route (GET → read, POST → create, PUT/PATCH →
//! update, DELETE → delete), sensitive tables included. The planner checks the
//! matrix again inside every plan; this stage rejects early and independently.

use std::sync::Arc;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRef, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use databuilder_engine::plan::{Action, Ctx, PlanError, permissions};
use databuilder_engine::principal::Principal;

use super::client_ip::{client_ip, in_nets};
use super::{Capability, Stage, reject};
use crate::app_state::{CatalogCell, Shared, TokenGuard};
use crate::problem::Problem;

fn action(m: &Method) -> Action {
    match *m {
        Method::POST => Action::Create,
        Method::PUT | Method::PATCH => Action::Update,
        Method::DELETE => Action::Delete,
        _ => Action::Read,
    }
}

/// What stage 5 needs: the catalog (to authorize the table matrix) and the
/// trusted proxies (for the client address).
#[derive(Clone)]
pub struct ScopeGate {
    pub catalog: Arc<CatalogCell>,
    pub cursor_key: Arc<[u8]>,
    pub trusted: Arc<[ipnet::IpNet]>,
}

impl FromRef<Shared> for ScopeGate {
    fn from_ref(app: &Shared) -> ScopeGate {
        app.scopes.clone()
    }
}

/// Verify the token may make this request at all: its CIDR allowlist, then the
/// route group's capability.
pub async fn verify(
    State((gate, capability)): State<(ScopeGate, Capability)>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Response {
    let Some(p) = req.extensions().get::<Arc<Principal>>().cloned() else {
        return next.run(req).await;
    };
    let guard = req.extensions().get::<Arc<TokenGuard>>().cloned().unwrap_or_default();
    if let Some(nets) = &guard.nets
        && !in_nets(client_ip(&req, &gate.trusted), nets)
    {
        return reject(Stage::Scope, Problem::forbidden("this token may not be used from this address"));
    }
    let params = params.ok();
    let resource = params.iter().flat_map(|p| p.iter()).find(|(k, _)| *k == "resource").map(|(_, v)| v);
    match check(&gate, &p, capability, resource, req.method()) {
        Ok(()) => next.run(req).await,
        Err(problem) => reject(Stage::Scope, problem),
    }
}

/// The capability rule alone.
fn check(
    gate: &ScopeGate,
    p: &Principal,
    capability: Capability,
    resource: Option<&str>,
    m: &Method,
) -> Result<(), Problem> {
    match capability {
        Capability::Token => Ok(()),
        Capability::Admin if p.policy.admin => Ok(()),
        Capability::Admin => Err(Problem::forbidden("only admin tokens may use admin routes")),
        Capability::Definitions if p.policy.may_use_definitions() => Ok(()),
        Capability::Definitions => Err(Problem::forbidden("this token has no `views` scope")),
        Capability::Resource => {
            let Some(resource) = resource else { return Ok(()) };
            let catalog = gate.catalog.get();
            let ctx = Ctx { catalog: &catalog, principal: p, cursor_key: &gate.cursor_key };
            match permissions::authorize(ctx, resource, action(m)) {
                Ok(_) | Err(PlanError::UnknownResource(_)) => Ok(()),
                Err(e) => Err(Problem::from(e)),
            }
        }
    }
}
