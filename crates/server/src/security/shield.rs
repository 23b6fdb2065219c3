//! Stage 1, the shield, before authentication: query-string limits, a per-IP
//! throttle, a concurrency cap that sheds load with 503 instead of queueing
//! without bound, the handler deadline and panic containment. Body size and
//! body time limits are enforced while reading (`api/body.rs`); the header read
//! timeout in the accept loop (`startup.rs`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use super::client_ip::client_ip;
use super::{Stage, reject};
use crate::app_state::Shared;
use crate::problem::Problem;

/// Fixed one-minute windows per client IP, in memory (a per-instance throttle).
#[derive(Default)]
pub struct IpThrottle(Mutex<HashMap<IpAddr, (u64, u32)>>);

impl IpThrottle {
    /// Count a request; `Err(seconds until reset)` when over `limit`.
    pub fn hit(&self, ip: IpAddr, limit: u32, now: u64) -> Result<(), u64> {
        let win = now - now % 60;
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == win);
        }
        let e = map.entry(ip).or_insert((win, 0));
        if e.0 != win {
            *e = (win, 0);
        }
        e.1 += 1;
        if e.1 > limit { Err(win + 60 - now) } else { Ok(()) }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The limits stage 1 enforces before authentication.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_query_bytes: usize,
    pub max_query_params: usize,
    /// Requests per minute per client IP.
    pub ip_rate: u32,
    /// Largest request body, also checked against `Content-Length` here.
    pub body_limit: usize,
    /// The handler deadline.
    pub deadline: Duration,
}

impl Limits {
    pub fn of(cfg: &crate::config::Config) -> Limits {
        let s = &cfg.security;
        Limits {
            max_query_bytes: s.max_query_bytes,
            max_query_params: s.max_query_params,
            ip_rate: s.ip_rate,
            body_limit: s.body_limit,
            deadline: cfg.handler_timeout(),
        }
    }
}

/// What stage 1 needs: its limits, the per-IP windows and the concurrency cap.
#[derive(Clone)]
pub struct Shield {
    pub limits: Limits,
    pub throttle: Arc<IpThrottle>,
    pub concurrency: Arc<tokio::sync::Semaphore>,
    pub trusted: Arc<[ipnet::IpNet]>,
}

impl Shield {
    pub fn new(limits: Limits, max_concurrency: usize, trusted: Arc<[ipnet::IpNet]>) -> Shield {
        Shield {
            limits,
            throttle: Arc::default(),
            concurrency: Arc::new(tokio::sync::Semaphore::new(max_concurrency.max(1))),
            trusted,
        }
    }
}

impl FromRef<Shared> for Shield {
    fn from_ref(app: &Shared) -> Shield {
        app.shield.clone()
    }
}

/// What the head of a request already shows against the limits: the query
/// string, and a declared body over the limit (413 without reading a byte of it;
/// chunked bodies are counted while they are read).
fn head_problem(limits: &Limits, req: &Request) -> Option<Problem> {
    if let Some(q) = req.uri().query() {
        if q.len() > limits.max_query_bytes {
            let detail = format!("the query string exceeds {} bytes", limits.max_query_bytes);
            return Some(Problem::bad_param("query", detail));
        }
        if q.split('&').count() > limits.max_query_params {
            return Some(Problem::bad_param("query", format!("more than {} parameters", limits.max_query_params)));
        }
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limits.body_limit as u64 => Some(crate::body::too_large(limits.body_limit)),
        _ => None,
    }
}

/// Query and body limits from the head, per-IP throttle and the concurrency cap.
pub async fn shield(State(shield): State<Shield>, req: Request, next: Next) -> Response {
    if let Some(p) = head_problem(&shield.limits, &req) {
        return reject(Stage::Shield, p);
    }
    let ip = client_ip(&req, &shield.trusted);
    if let Err(retry) = shield.throttle.hit(ip, shield.limits.ip_rate, unix_now()) {
        let p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ip-throttled",
            "Too many requests",
            "too many requests from this address",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(retry));
        return reject(Stage::Shield, p);
    }
    let Ok(_permit) = shield.concurrency.clone().try_acquire_owned() else {
        let p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Service unavailable",
            "the server is at capacity; retry shortly",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(1));
        return reject(Stage::Shield, p);
    };
    next.run(req).await
}

/// Answer 503 when the handler runs longer than the configured limit. The
/// database cancels the statement itself (statement timeouts set per connection).
pub async fn time_limit(State(shield): State<Shield>, req: Request, next: Next) -> Response {
    let limit = shield.limits.deadline;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => reject(
            Stage::Shield,
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "Timed out",
                format!("the request took longer than {} s", limit.as_secs()),
            ),
        ),
    }
}

/// A panicking handler becomes a 500 problem instead of a dropped connection.
pub async fn catch_panic(req: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!("handler panicked");
            Problem::internal().into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_windows() {
        let t = IpThrottle::default();
        let ip: IpAddr = "1.2.3.4".parse().unwrap();
        assert!(t.hit(ip, 2, 120).is_ok());
        assert!(t.hit(ip, 2, 130).is_ok());
        assert_eq!(t.hit(ip, 2, 150), Err(30));
        assert!(t.hit(ip, 2, 180).is_ok(), "a new window");
    }
}
