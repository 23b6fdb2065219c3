//! Stage 3: a bearer token → the principal; malformed tokens are refused before
//! any lookup, query-string tokens only when allowed, revoked tokens never.

use axum::Router;
use axum::body::Body;
use axum::middleware::from_fn_with_state;

use super::{memory_app, ok_router, request, send, stage};
use crate::app_state::Shared;
use crate::security::auth::authenticate;

fn app(state: &Shared) -> Router {
    ok_router().layer(from_fn_with_state(state.clone(), authenticate))
}

async fn with_bearer(state: &Shared, token: Option<&str>, uri: &str) -> (u16, Option<&'static str>, String) {
    let mut b = request("GET", uri, "1.1.1.1:1");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let res = send(app(state), b.body(Body::empty()).unwrap()).await;
    let (status, stage) = (res.status().as_u16(), stage(&res));
    let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
    (status, stage, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn missing_malformed_and_unknown_tokens_are_401() {
    let s = memory_app(|_| {}).await;
    assert_eq!(with_bearer(&s, None, "/x").await.0, 401);
    assert_eq!(with_bearer(&s, Some("dba_nope"), "/x").await.1, Some("auth"));
    let (_, other) = s.store.create_token("t", &Default::default(), None).await.unwrap();
    let unknown = format!("{}{}", &other[..other.len() - 1], if other.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(with_bearer(&s, Some(&unknown), "/x").await.0, 401);
}

#[tokio::test]
async fn a_valid_token_passes_and_a_revoked_one_does_not() {
    let s = memory_app(|_| {}).await;
    let (rec, token) = s.store.create_token("t", &Default::default(), None).await.unwrap();
    assert_eq!(with_bearer(&s, Some(&token), "/x").await.0, 200);
    s.store.revoke_token(rec.id).await.unwrap();
    let (_, other) = s.store.create_token("u", &Default::default(), None).await.unwrap();
    assert_eq!(with_bearer(&s, Some(&other), "/x").await.0, 200);
    assert!(s.store.rotate_token(rec.id).await.unwrap().is_none(), "a revoked token cannot be rotated");
}

#[tokio::test]
async fn query_string_tokens_only_when_allowed() {
    let off = memory_app(|_| {}).await;
    let (_, token) = off.store.create_token("t", &Default::default(), None).await.unwrap();
    let (status, _, body) = with_bearer(&off, None, &format!("/x?token={token}")).await;
    assert_eq!(status, 401);
    assert!(body.is_empty() || !body.contains(&token), "the token is never echoed");
    let on = memory_app(|c| c.security.allow_query_token = true).await;
    let (_, token) = on.store.create_token("t", &Default::default(), None).await.unwrap();
    assert_eq!(with_bearer(&on, None, &format!("/x?token={token}")).await.0, 200);
}
