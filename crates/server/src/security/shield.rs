//! Stage 1, the shield, before authentication: query-string limits, a per-IP
//! throttle, a concurrency cap that sheds load with 503 instead of queueing
//! without bound, the handler deadline and panic containment. Body size and
//! body time limits are enforced while reading (`api/body.rs`); the header read
//! timeout in the accept loop (`startup.rs`).

use std::panic::AssertUnwindSafe;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use super::client_ip::client_ip;
use super::reject;
use crate::app_state::Shared;
use crate::problem::Problem;

pub use super::ip_key::IpThrottle;

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Query limits, per-IP throttle and the concurrency cap.
pub async fn shield(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let sec = &app.config.security;
    if let Some(q) = req.uri().query() {
        if q.len() > sec.max_query_bytes {
            return reject(
                "shield",
                Problem::bad_param("query", format!("the query string exceeds {} bytes", sec.max_query_bytes)),
            );
        }
        if q.split('&').count() > sec.max_query_params {
            return reject(
                "shield",
                Problem::bad_param("query", format!("more than {} parameters", sec.max_query_params)),
            );
        }
    }
    let ip = client_ip(&req, &app.trusted_proxies);
    if let Err(retry) = app.ip_throttle.hit(ip, sec.ip_rate, unix_now()) {
        let p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ip-throttled",
            "Too many requests",
            "too many requests from this address",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(retry));
        return reject("shield", p);
    }
    let Ok(_permit) = app.concurrency.clone().try_acquire_owned() else {
        let p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Service unavailable",
            "the server is at capacity; retry shortly",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(1));
        return reject("shield", p);
    };
    next.run(req).await
}

/// Answer 503 when the handler runs longer than the configured limit. The
/// database cancels the statement itself (statement timeouts set per connection).
pub async fn time_limit(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let limit = app.config.handler_timeout();
    let slot = super::audit::AuditSlot::default();
    req.extensions_mut().insert(slot.clone());
    // A `let`, so the timed-out request is dropped (and its record queued)
    // before the answer waits for that record.
    let outcome = tokio::time::timeout(limit, next.run(req)).await;
    match outcome {
        Ok(res) => res,
        Err(_) => {
            slot.settle().await;
            reject(
                "shield",
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "Timed out",
                    format!("the request took longer than {} s", limit.as_secs()),
                ),
            )
        }
    }
}

/// A panicking handler becomes a 500 problem instead of a dropped connection.
pub async fn catch_panic(req: Request, next: Next) -> Response {
    let slot = req.extensions().get::<super::audit::AuditSlot>().cloned();
    let mut run = Box::pin(AssertUnwindSafe(next.run(req)).catch_unwind());
    let outcome = (&mut run).await;
    if outcome.is_err()
        && let Some(slot) = &slot
    {
        slot.mark_panicked();
    }
    // Dropping the request records it (as a 500 when it panicked).
    drop(run);
    match outcome {
        Ok(res) => res,
        Err(_) => {
            tracing::error!("handler panicked");
            if let Some(slot) = slot {
                slot.settle().await;
            }
            Problem::internal().into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

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
