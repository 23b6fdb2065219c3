//! Stage 1: query-string limits, a declared body over the limit (413 before a
//! byte of it is read), the per-IP throttle, load shedding and the deadline.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::middleware::from_fn_with_state;
use axum::routing::get;

use super::{ok_router, request, send, stage, status};
use crate::security::shield::{Limits, Shield, shield, time_limit};

fn limits() -> Limits {
    Limits {
        max_query_bytes: 64,
        max_query_params: 3,
        ip_rate: 2,
        body_limit: 100,
        deadline: Duration::from_millis(50),
    }
}

fn app(s: Shield) -> Router {
    ok_router()
        .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }))
        .layer(from_fn_with_state(s.clone(), time_limit))
        .layer(from_fn_with_state(s, shield))
}

fn fresh() -> Shield {
    Shield::new(limits(), 8, Arc::from(Vec::new()))
}

fn get_(uri: &str, peer: &str) -> axum::http::Request<Body> {
    request("GET", uri, peer).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_head_is_checked_before_anything_else() {
    let res = send(app(fresh()), get_(&format!("/x?q={}", "a".repeat(80)), "1.1.1.1:1")).await;
    assert_eq!((res.status().as_u16(), stage(&res)), (400, Some("shield")));
    assert_eq!(status(app(fresh()), get_("/x?a=1&b=2&c=3&d=4", "1.1.1.1:1")).await, 400);
    let big = request("POST", "/x", "1.1.1.1:1").header("content-length", "300000").body(Body::empty()).unwrap();
    let res = send(app(fresh()), big).await;
    assert_eq!((res.status().as_u16(), stage(&res)), (413, Some("shield")));
    let small = request("POST", "/x", "1.1.1.1:1").header("content-length", "100").body(Body::from("x".repeat(100)));
    assert_eq!(status(app(fresh()), small.unwrap()).await, 200);
}

#[tokio::test]
async fn the_ip_throttle_counts_per_address() {
    let s = fresh();
    assert_eq!(status(app(s.clone()), get_("/x?a=1", "1.1.1.1:1")).await, 200);
    assert_eq!(status(app(s.clone()), get_("/x", "1.1.1.1:2")).await, 200);
    let res = send(app(s.clone()), get_("/x", "1.1.1.1:3")).await;
    assert_eq!((res.status().as_u16(), stage(&res)), (429, Some("shield")));
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(status(app(s), get_("/x", "2.2.2.2:1")).await, 200, "another address has its own window");
}

#[tokio::test]
async fn load_is_shed_and_slow_handlers_hit_the_deadline() {
    let s = Shield::new(limits(), 1, Arc::from(Vec::new()));
    let _held = s.concurrency.clone().try_acquire_owned().unwrap();
    let res = send(app(s), get_("/x", "1.1.1.1:1")).await;
    assert_eq!((res.status().as_u16(), stage(&res)), (503, Some("shield")));
    let res = send(app(fresh()), get_("/slow", "3.3.3.3:1")).await;
    assert_eq!((res.status().as_u16(), stage(&res)), (503, Some("shield")));
}
