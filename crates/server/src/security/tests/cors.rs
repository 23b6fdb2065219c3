//! Stage 2: preflights answered without auth for the server's origins and every
//! active token's origins; other origins get no grant.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::middleware::from_fn_with_state;

use super::{ok_router, request, send, stage};
use crate::security::cors::{Cors, TokenOrigins, preflight};

fn app() -> Router {
    let cors = Cors {
        server: Arc::from(vec!["https://server.example".parse().unwrap()]),
        tokens: Arc::new(TokenOrigins::fixed(vec!["https://token.example".parse().unwrap()])),
    };
    ok_router().layer(from_fn_with_state(cors, preflight))
}

fn preflight_from(origin: &str) -> axum::http::Request<Body> {
    request("OPTIONS", "/api", "1.1.1.1:1")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn preflights_from_server_and_token_origins_pass() {
    for origin in ["https://server.example", "https://token.example"] {
        let res = send(app(), preflight_from(origin)).await;
        assert_eq!(res.status(), 204, "{origin}");
        assert_eq!(res.headers()["access-control-allow-origin"], origin);
        assert!(res.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    }
}

#[tokio::test]
async fn other_origins_are_refused_and_get_no_grant() {
    let res = send(app(), preflight_from("https://evil.example")).await;
    assert_eq!((res.status().as_u16(), stage(&res)), (403, Some("cors")));
    let plain = request("GET", "/api", "1.1.1.1:1").header("origin", "https://evil.example").body(Body::empty());
    let res = send(app(), plain.unwrap()).await;
    assert_eq!(res.status(), 200, "a simple request passes on to auth");
    assert!(!res.headers().contains_key("access-control-allow-origin"));
}
