//! Stage 0: every response gets the security headers and a request id, a
//! rejection's problem body is rendered, HSTS only over HTTPS (or from a
//! trusted proxy that says so), and a page's own CSP is kept.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::middleware::from_fn_with_state;
use axum::routing::get;

use super::{ok_router, request, send};
use crate::problem::Problem;
use crate::security::headers::{HeaderPolicy, finalize};

fn policy(https: bool, trusted: &[&str]) -> HeaderPolicy {
    let nets: Vec<ipnet::IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
    HeaderPolicy { https, trusted: Arc::from(nets) }
}

fn app(p: HeaderPolicy) -> Router {
    ok_router()
        .route("/reject", get(|| async { Problem::forbidden("no") }))
        .route(
            "/page",
            get(|| async {
                let mut r = axum::response::Response::new(Body::from("<html>"));
                r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("script-src 'self'"));
                r
            }),
        )
        .layer(from_fn_with_state(p, finalize))
}

#[tokio::test]
async fn a_rejection_is_a_problem_with_every_header() {
    let res = send(app(policy(false, &[])), request("GET", "/reject", "1.2.3.4:5").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), 403);
    let h = res.headers();
    assert_eq!(h["content-type"], "application/problem+json");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    assert_eq!(h["x-request-id"].len(), 24);
    assert!(!h.contains_key("strict-transport-security"));
    let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
    let j: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((j["status"].as_u64(), j["instance"].as_str()), (Some(403), Some("/reject")));
    assert_eq!(j["request_id"].as_str().map(str::len), Some(24));
}

#[tokio::test]
async fn a_pass_gets_the_headers_and_pages_keep_their_csp() {
    let res = send(app(policy(true, &[])), request("GET", "/x", "1.2.3.4:5").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let res = send(app(policy(false, &[])), request("GET", "/page", "1.2.3.4:5").body(Body::empty()).unwrap()).await;
    assert_eq!(res.headers()["content-security-policy"], "script-src 'self'");
}

#[tokio::test]
async fn hsts_from_a_forwarded_proto_only_through_a_trusted_proxy() {
    let forwarded = |peer: &str| request("GET", "/x", peer).header("x-forwarded-proto", "https").body(Body::empty());
    let res = send(app(policy(false, &["10.0.0.0/8"])), forwarded("10.1.2.3:5").unwrap()).await;
    assert!(res.headers().contains_key("strict-transport-security"));
    let res = send(app(policy(false, &["10.0.0.0/8"])), forwarded("1.2.3.4:5").unwrap()).await;
    assert!(!res.headers().contains_key("strict-transport-security"));
}
