//! Stage 4: the per-token fixed window; over the limit → 429 with
//! `Retry-After` and the `X-RateLimit-*` headers.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::middleware::from_fn_with_state;
use databuilder_engine::principal::{Policy, Principal};

use super::{memory_app, ok_router, request, send, stage};
use crate::app_state::Shared;
use crate::security::RateMode;
use crate::security::rate_limit::limit;

fn app(state: &Shared) -> Router {
    ok_router().layer(from_fn_with_state((state.clone(), RateMode::CountFirst), limit))
}

fn as_token(id: i64, rate: u32) -> axum::http::Request<Body> {
    let p = Principal { token_id: id, name: "t".into(), policy: Policy { rate: Some(rate), ..Policy::default() } };
    let mut req = request("GET", "/x", "1.1.1.1:1").body(Body::empty()).unwrap();
    req.extensions_mut().insert(Arc::new(p));
    req
}

#[tokio::test]
async fn the_window_admits_its_limit_then_refuses() {
    let s = memory_app(|_| {}).await;
    // Start in a fresh window so that three requests fall inside one minute.
    let into_minute = chrono::Utc::now().timestamp().rem_euclid(60);
    if into_minute > 55 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - into_minute) as u64)).await;
    }
    let first = send(app(&s), as_token(7, 2)).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-limit"], "2");
    assert_eq!(first.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(send(app(&s), as_token(7, 2)).await.status(), 200);
    let third = send(app(&s), as_token(7, 2)).await;
    assert_eq!((third.status().as_u16(), stage(&third)), (429, Some("rate")));
    assert!(third.headers().contains_key("retry-after"));
    assert_eq!(send(app(&s), as_token(8, 2)).await.status(), 200, "another token has its own window");
}
