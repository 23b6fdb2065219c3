//! Stage 0, outermost: a request id for every request, the security headers on
//! every response (success, error, router 404/405, timeouts), and the rendering
//! of problem bodies with `instance` and `request_id`. Set in one place.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;

use crate::app_state::Shared;
use crate::problem::Problem;

/// The id of one request, in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const STATIC_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-xss-protection", "0"),
    ("cache-control", "no-store, no-cache, must-revalidate"),
    ("pragma", "no-cache"),
];

/// The API's CSP; a page (Explorer, console) that sets its own keeps it.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

fn new_id() -> String {
    let mut b = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// What stage 0 needs: whether the server is reached over HTTPS (for HSTS).
#[derive(Clone)]
pub struct HeaderPolicy {
    /// Served over HTTPS directly (or the operator says so).
    pub https: bool,
    /// Proxies whose `X-Forwarded-Proto: https` is believed.
    pub trusted: Arc<[ipnet::IpNet]>,
}

impl FromRef<Shared> for HeaderPolicy {
    fn from_ref(app: &Shared) -> HeaderPolicy {
        app.headers.clone()
    }
}

/// Assign the request id, run the request, then finish the response.
pub async fn finalize(State(policy): State<HeaderPolicy>, mut req: Request, next: Next) -> Response {
    let id = new_id();
    let https = policy.https || forwarded_https(&policy, &req);
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.run(req).await;
    if let Some(p) = res.extensions_mut().remove::<Problem>() {
        *res.body_mut() = Body::from(p.body(&path, &id));
        res.headers_mut().remove(header::CONTENT_LENGTH);
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    }
    let h = res.headers_mut();
    for (k, v) in STATIC_HEADERS {
        h.insert(*k, HeaderValue::from_static(v));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_CSP));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    if https {
        h.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}

/// `X-Forwarded-Proto: https` counts only from a trusted proxy.
fn forwarded_https(policy: &HeaderPolicy, req: &Request) -> bool {
    let says_https = req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    says_https && peer.is_some_and(|ip| super::client_ip::in_nets(ip, &policy.trusted))
}
