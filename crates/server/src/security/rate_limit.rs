//! Stage 4, the per-token rate limiter: a fixed one-minute window counted with
//! one atomic UPSERT in the state database (`state/rate.rs`), shared by every
//! instance. Fail-closed: if the counter cannot be written the answer is 503,
//! never a pass. Every answer carries `X-RateLimit-*`; a 429 also `Retry-After`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use databuilder_engine::exec::DbError;
use databuilder_engine::principal::Principal;

use super::{Stage, reject};
use crate::app_state::Shared;
use crate::problem::Problem;

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

/// Whether a read may run while its count is written ([`limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateMode {
    /// Reads of tokens well below their limit run while counted.
    Speculative,
    /// Counted before the handler runs (the handler reads [`RateInfo`]).
    CountFirst,
}

/// Tokens seen using less than this share of their window may have reads run
/// while their count is written (see [`limit`]).
const SPECULATE_BELOW: f64 = 0.8;

/// The last count seen per token and window, to decide whether to speculate.
#[derive(Default)]
pub struct RateHints(std::sync::Mutex<std::collections::HashMap<i64, (i64, i64)>>);

impl RateHints {
    fn far_below(&self, token: i64, win: i64, limit: u32) -> bool {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&token) {
            Some((w, n)) if *w == win => (*n as f64) < limit as f64 * SPECULATE_BELOW,
            _ => true,
        }
    }

    fn note(&self, token: i64, win: i64, n: i64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == win);
        }
        map.insert(token, (win, n));
    }
}

fn unavailable() -> Response {
    let p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "rate-store-unavailable",
        "Service unavailable",
        "the rate limiter is unavailable; the request was not processed",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(1));
    reject(Stage::Rate, p)
}

fn limited(limit: u32, info: RateInfo) -> Response {
    let problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("this token may make {limit} requests a minute"),
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(info.reset));
    let mut res = reject(Stage::Rate, problem);
    set_headers(res.headers_mut(), info);
    res
}

/// Count the request against its token's window; refuse it over the limit, and
/// fail closed (503) when the count cannot be written.
///
/// A read (`GET`/`HEAD`) of a token seen well below its limit in this window runs
/// while its count is being written, instead of after: the answer still waits for
/// the count and is replaced by the 429 or 503 when the count says so, so nothing
/// is ever returned past the limit, and a read has no side effect to undo. Writes,
/// and every request of a token near its limit, are counted first.
pub async fn limit(State((app, mode)): State<(Shared, RateMode)>, mut req: Request, next: Next) -> Response {
    let Some(p) = req.extensions().get::<Arc<Principal>>().cloned() else {
        return next.run(req).await;
    };
    let limit = p.policy.rate.unwrap_or(app.config.security.default_rate);
    let now = chrono::Utc::now().timestamp();
    let win = now - now.rem_euclid(60);
    let reset = (win + 60 - now) as u64;
    let bucket = format!("token:{}", p.token_id);
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    if read && mode == RateMode::Speculative && app.rate_hints.far_below(p.token_id, win, limit) {
        let (n, res) = tokio::join!(app.rate.count(&bucket, win), next.run(req));
        return finish(&app, p.token_id, win, limit, reset, n, Some(res));
    }
    let n = app.rate.count(&bucket, win).await;
    match n {
        Ok(n) if n <= limit as i64 => {
            let info = info(limit, reset, n);
            app.rate_hints.note(p.token_id, win, n);
            req.extensions_mut().insert(info);
            let mut res = next.run(req).await;
            set_headers(res.headers_mut(), info);
            res
        }
        other => finish(&app, p.token_id, win, limit, reset, other, None),
    }
}

fn info(limit: u32, reset: u64, n: i64) -> RateInfo {
    RateInfo { limit, remaining: (limit as i64 - n).max(0) as u32, reset }
}

/// The answer once the count is known: the handler's response when within the limit.
fn finish(
    app: &Shared,
    token: i64,
    win: i64,
    limit: u32,
    reset: u64,
    n: Result<i64, DbError>,
    res: Option<Response>,
) -> Response {
    let n = match n {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "rate limiter store unavailable: failing closed");
            return unavailable();
        }
    };
    app.rate_hints.note(token, win, n);
    let info = info(limit, reset, n);
    if n > limit as i64 {
        return limited(limit, info);
    }
    match res {
        Some(mut res) => {
            set_headers(res.headers_mut(), info);
            res
        }
        None => limited(limit, info),
    }
}
