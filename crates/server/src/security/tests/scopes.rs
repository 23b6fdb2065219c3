//! Stage 5: the token's CIDR allowlist, then the route group's capability — the
//! table matrix on the typed `{resource}` path parameter, admin only, the views
//! rule — with no path parsing.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use databuilder_engine::principal::{Crud, Policy, Principal};

use super::{memory_app, request, send, stage};
use crate::app_state::{Shared, TokenGuard};
use crate::security::Capability;
use crate::security::scopes::verify;

fn app(state: &Shared, capability: Capability) -> Router {
    Router::new()
        .route("/{resource}", get(|| async { "ok" }).post(|| async { "ok" }))
        .route("/static", get(|| async { "ok" }))
        .route_layer(from_fn_with_state((state.scopes.clone(), capability), verify))
}

fn as_token(method: &str, uri: &str, peer: &str, policy: Policy) -> axum::http::Request<Body> {
    let p = Principal { token_id: 1, name: "t".into(), policy };
    let mut req = request(method, uri, peer).body(Body::empty()).unwrap();
    req.extensions_mut().insert(Arc::new(TokenGuard::of(&p)));
    req.extensions_mut().insert(Arc::new(p));
    req
}

fn reader() -> Policy {
    let mut p = Policy::default();
    p.tables.insert("invoices".into(), Crud::READ);
    p
}

async fn code(state: &Shared, cap: Capability, method: &str, uri: &str, policy: Policy) -> (u16, Option<&'static str>) {
    let res = send(app(state, cap), as_token(method, uri, "1.1.1.1:1", policy)).await;
    (res.status().as_u16(), stage(&res))
}

#[tokio::test]
async fn the_table_matrix_applies_to_the_typed_resource() {
    let s = memory_app(|_| {}).await;
    assert_eq!(code(&s, Capability::Resource, "GET", "/invoices", reader()).await, (200, None));
    assert_eq!(code(&s, Capability::Resource, "POST", "/invoices", reader()).await, (403, Some("scope")));
    let admin = Policy { admin: true, ..Policy::default() };
    assert_eq!(code(&s, Capability::Resource, "GET", "/staff", admin).await, (403, Some("scope")), "sensitive");
    assert_eq!(code(&s, Capability::Resource, "GET", "/nothing", reader()).await, (200, None), "404 is the handler's");
}

#[tokio::test]
async fn capabilities_of_route_groups() {
    let s = memory_app(|_| {}).await;
    let admin = Policy { admin: true, ..Policy::default() };
    assert_eq!(code(&s, Capability::Admin, "GET", "/static", reader()).await, (403, Some("scope")));
    assert_eq!(code(&s, Capability::Admin, "GET", "/static", admin).await, (200, None));
    let mut no_views = reader();
    no_views.scopes.views = false;
    assert_eq!(code(&s, Capability::Definitions, "GET", "/static", no_views).await, (403, Some("scope")));
    assert_eq!(code(&s, Capability::Definitions, "GET", "/static", reader()).await, (200, None));
    assert_eq!(code(&s, Capability::Token, "GET", "/static", Policy::default()).await, (200, None));
}

#[tokio::test]
async fn the_cidr_allowlist_comes_first() {
    let s = memory_app(|_| {}).await;
    let office = Policy { cidrs: vec!["10.0.0.0/8".into()], ..reader() };
    let res = send(app(&s, Capability::Token), as_token("GET", "/static", "1.1.1.1:1", office.clone())).await;
    assert_eq!((res.status().as_u16(), stage(&res)), (403, Some("scope")));
    let res = send(app(&s, Capability::Token), as_token("GET", "/static", "10.2.3.4:1", office)).await;
    assert_eq!(res.status(), 200);
}
