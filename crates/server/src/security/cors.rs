//! Stage 2, CORS. Preflights (`OPTIONS` with `Access-Control-Request-Method`) are
//! answered from the server policy without authentication, because browsers send
//! no credentials with them. After authentication, a token with an origin
//! whitelist rejects any other `Origin` with 403.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::{Stage, reject};
use crate::app_state::{Shared, TokenGuard};
use crate::problem::Problem;

const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, if-match, x-signature, x-timestamp, x-nonce";
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const EXPOSE_HEADERS: &str =
    "etag, x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after";

fn origin(h: &HeaderMap) -> Option<&str> {
    h.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

fn server_allows(app: &Shared, origin: &str) -> bool {
    app.config.security.cors_origins.iter().any(|o| o.admits(origin))
}

/// Answer preflights; add CORS headers to responses for allowed origins.
pub async fn preflight(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let origin = origin(req.headers()).map(str::to_string);
    let is_preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let allowed = origin.as_deref().is_some_and(|o| server_allows(&app, o));
    if is_preflight {
        if !allowed {
            return reject(Stage::Cors, Problem::forbidden("this origin is not allowed by the server's CORS policy"));
        }
        let mut res = Response::new(axum::body::Body::empty());
        *res.status_mut() = StatusCode::NO_CONTENT;
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        add_origin(h, origin.as_deref());
        return res;
    }
    let mut res = next.run(req).await;
    if allowed {
        add_origin(res.headers_mut(), origin.as_deref());
        res.headers_mut().insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
    res
}

fn add_origin(h: &mut HeaderMap, origin: Option<&str>) {
    if let Some(v) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// After authentication: a token's origin whitelist (parsed when the token was loaded).
pub async fn origin_check(req: Request, next: Next) -> Response {
    let guard = req.extensions().get::<std::sync::Arc<TokenGuard>>().cloned();
    if let (Some(list), Some(o)) = (guard.as_ref().and_then(|g| g.origins.as_ref()), origin(req.headers()))
        && !list.iter().any(|a| a.admits(&o.to_ascii_lowercase()))
    {
        return reject(Stage::Cors, Problem::forbidden("this token may not be used from this origin"));
    }
    next.run(req).await
}
