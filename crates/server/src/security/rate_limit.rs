//! Stage 4, the per-token rate limiter: a fixed one-minute window counted with
//! one atomic UPSERT in the state database (`state/rate.rs`), shared by every
//! instance. Fail-closed: if the counter cannot be written the answer is 503,
//! never a pass. Every answer carries `X-RateLimit-*`; a 429 also `Retry-After`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use databuilder_engine::principal::Principal;

use super::reject;
use crate::api::error::Problem;
use crate::app_state::Shared;

/// The caller's window, for `/auth/test` and the headers.
#[derive(Debug, Clone, Copy)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

fn set_headers(h: &mut HeaderMap, info: RateInfo) {
    h.insert("x-ratelimit-limit", HeaderValue::from(info.limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(info.remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(info.reset));
}

/// Count the request against its token's window.
pub async fn limit(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let Some(p) = req.extensions().get::<Arc<Principal>>().cloned() else {
        return next.run(req).await;
    };
    let limit = p.policy.rate.unwrap_or(app.config.security.default_rate);
    let now = chrono::Utc::now().timestamp();
    let win = now - now.rem_euclid(60);
    let reset = (win + 60 - now) as u64;
    let n = match app.rate.count(&format!("token:{}", p.token_id), win).await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "rate limiter store unavailable: failing closed");
            let p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "rate-store-unavailable",
                "Service unavailable",
                "the rate limiter is unavailable; the request was not processed",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from(1));
            return reject("rate", p);
        }
    };
    let info = RateInfo { limit, remaining: (limit as i64 - n).max(0) as u32, reset };
    if n > limit as i64 {
        let problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("this token may make {limit} requests a minute"),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(reset));
        let mut res = reject("rate", problem);
        set_headers(res.headers_mut(), info);
        return res;
    }
    req.extensions_mut().insert(info);
    let mut res = next.run(req).await;
    set_headers(res.headers_mut(), info);
    res
}
