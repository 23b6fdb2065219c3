//! Stage 6, the request logger. It sits outside authentication so every request
//! that reached the auth gate is recorded, rejections included, with the stage
//! that rejected it. The record is started before the handler and finalized when
//! the response body has been sent — or when the request is dropped (timeout,
//! client disconnect, panic) — by a guard's `Drop`, so no path escapes it. The
//! path's query is redacted; tokens and signatures are never recorded.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};

use super::Rejected;
use super::auth::TokenId;
use super::client_ip::client_ip;
use super::headers::RequestId;
use crate::app_state::Shared;
use crate::store::audit::{AuditLog, AuditRecord, redact_path};

/// Finalizes its record exactly once, when dropped.
struct Guard {
    log: AuditLog,
    rec: Option<AuditRecord>,
    started: Instant,
    deadline: Duration,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Some(mut rec) = self.rec.take() else { return };
        let elapsed = self.started.elapsed();
        if rec.status == 0 {
            // No response was produced: a panic, the handler deadline, or a client that went away.
            rec.status = if std::thread::panicking() {
                500
            } else if elapsed >= self.deadline {
                503
            } else {
                499
            };
        }
        rec.duration_ms = elapsed.as_millis() as u64;
        self.log.record(rec);
    }
}

/// Start the record, run the request, finalize when the body is done.
pub async fn audit(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let rec = AuditRecord {
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default(),
        token_id: None,
        client_ip: client_ip(&req, &app.trusted_proxies).to_string(),
        method: req.method().to_string(),
        path: {
            let uri = super::auth::original_uri(&req);
            redact_path(uri.path(), uri.query())
        },
        status: 0,
        stage: None,
        duration_ms: 0,
        response_bytes: 0,
        created_at: crate::store::now(),
    };
    let mut guard = Guard {
        log: app.audit.clone(),
        rec: Some(rec),
        started: Instant::now(),
        deadline: app.config.handler_timeout(),
    };
    let res = next.run(req).await;
    if let Some(rec) = guard.rec.as_mut() {
        rec.status = res.status().as_u16();
        rec.stage = res.extensions().get::<Rejected>().map(|r| r.0.as_str());
        rec.token_id = res.extensions().get::<TokenId>().map(|t| t.0);
    }
    let (parts, body) = res.into_parts();
    Response::from_parts(parts, Body::new(Counted { inner: body, guard }))
}

/// A response body that counts its bytes into the record.
struct Counted {
    inner: Body,
    guard: Guard,
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let (Some(data), Some(rec)) = (frame.data_ref(), self.guard.rec.as_mut())
        {
            rec.response_bytes += data.len() as u64;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
