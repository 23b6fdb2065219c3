//! Stage 6, the request logger. It sits outside authentication so every request
//! that reached the auth gate is recorded, rejections included, with the stage
//! that rejected it. The record is started before the handler and committed
//! before the response leaves (SPEC §8: a record is durable before its response
//! is sent): the response, headers included, waits for the group commit of the
//! batch holding its record ([`AuditLog::commit`]); when the store cannot write
//! it, the answer is 503 (stage `audit`) instead of the data. A request dropped
//! before it has a response (deadline, client disconnect, panic) is still
//! recorded, by a guard's `Drop`, so no path escapes it. The path's query is
//! redacted: tokens, signatures and personal values (`audit_pii`) are never recorded.
//!
//! The response size is known before the headers for bodies of known length (every
//! JSON answer); a streamed body is read ahead up to [`READ_AHEAD`] bytes, so a
//! short stream is measured exactly; a longer one records the bytes read ahead
//! (a lower bound) and streams the rest without holding it.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;

use super::auth::TokenId;
use super::client_ip::client_ip;
use super::headers::RequestId;
use super::{Capability, Rejected, Stage, reject};
use crate::app_state::Shared;
use crate::problem::Problem;
use crate::store::audit::{AuditLog, AuditRecord};

/// Bytes of a streamed body read before the headers go out, to measure it.
const READ_AHEAD: u64 = 64 * 1024;

/// Where a dropped request's record reports its commit, for the layer that
/// answers instead of the handler (`shield::time_limit`'s 503,
/// `shield::catch_panic`'s 500): a request extension that layer inserts, so its
/// answer, too, leaves only once the record is durable.
#[derive(Clone, Default)]
pub struct AuditSlot(Arc<Mutex<SlotState>>);

#[derive(Default)]
struct SlotState {
    pending: Option<Pending>,
    panicked: bool,
}

type Pending = tokio::sync::oneshot::Receiver<Result<(), crate::store::audit::AuditError>>;

/// Longest an answer made outside the handler waits for its record.
const SETTLE_WAIT: Duration = Duration::from_secs(2);

impl AuditSlot {
    /// The request panicked: its record says 500.
    pub fn mark_panicked(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).panicked = true;
    }

    /// Wait (up to [`SETTLE_WAIT`]) for the record a dropped request left here.
    pub async fn settle(&self) {
        let pending = self.0.lock().unwrap_or_else(|p| p.into_inner()).pending.take();
        if let Some(rx) = pending
            && !matches!(tokio::time::timeout(SETTLE_WAIT, rx).await, Ok(Ok(Ok(()))))
        {
            tracing::warn!("the record of an unanswered request is not known to be durable");
        }
    }
}

/// Records a request that got no response, when dropped.
struct Guard {
    log: AuditLog,
    rec: Option<AuditRecord>,
    started: Instant,
    deadline: Duration,
    slot: Option<AuditSlot>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Some(mut rec) = self.rec.take() else { return };
        let elapsed = self.started.elapsed();
        // No response was sent: a panic, the handler deadline, or a client that went away.
        let panicked = self.slot.as_ref().is_some_and(|s| s.0.lock().unwrap_or_else(|p| p.into_inner()).panicked);
        rec.status = if panicked || std::thread::panicking() {
            500
        } else if elapsed >= self.deadline {
            503
        } else {
            499
        };
        rec.duration_ms = elapsed.as_millis() as u64;
        match &self.slot {
            Some(slot) => {
                let pending = self.log.record_acked(rec);
                slot.0.lock().unwrap_or_else(|p| p.into_inner()).pending = pending;
            }
            None => self.log.record(rec),
        }
    }
}

/// Start the record, run the request, commit the record, then answer.
pub async fn audit(
    State((app, capability)): State<(Shared, Capability)>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Response {
    let params = params.ok();
    let rec = AuditRecord {
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default(),
        token_id: None,
        client_ip: client_ip(&req, &app.trusted_proxies).to_string(),
        method: req.method().to_string(),
        path: {
            let uri = super::auth::original_uri(&req);
            let resource = params.iter().flat_map(|p| p.iter()).find(|(k, _)| *k == "resource").map(|(_, v)| v);
            super::audit_pii::stored_path(&app.catalog(), capability, resource, uri.path(), uri.query())
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
        slot: req.extensions().get::<AuditSlot>().cloned(),
    };
    let res = next.run(req).await;
    let (parts, body) = res.into_parts();
    let (body, bytes) = read_ahead(body).await;
    let Some(mut rec) = guard.rec.take() else { return unavailable() };
    rec.status = parts.status.as_u16();
    rec.stage = parts.extensions.get::<Rejected>().map(|r| r.0.as_str());
    rec.token_id = parts.extensions.get::<TokenId>().map(|t| t.0);
    rec.response_bytes = bytes;
    rec.duration_ms = guard.started.elapsed().as_millis() as u64;
    match app.audit.commit(rec).await {
        Ok(()) => Response::from_parts(parts, body),
        Err(e) => {
            tracing::warn!(error = %e, "audit record not durable: answering 503");
            unavailable()
        }
    }
}

/// The answer when the record cannot be made durable: nothing is served unrecorded.
fn unavailable() -> Response {
    let p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "audit-unavailable",
        "Service unavailable",
        "the audit log cannot be written; the response was withheld",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(1));
    reject(Stage::Audit, p)
}

/// The body's size when known; otherwise read up to [`READ_AHEAD`] bytes of it:
/// the whole body when it is shorter (exact size), else a replay of what was read
/// followed by the rest (size read so far).
async fn read_ahead(mut body: Body) -> (Body, u64) {
    if let Some(n) = body.size_hint().exact() {
        return (body, n);
    }
    let mut frames = VecDeque::new();
    let mut bytes = 0u64;
    while bytes <= READ_AHEAD {
        match body.frame().await {
            Some(Ok(frame)) => {
                bytes += frame.data_ref().map_or(0, |d| d.len() as u64);
                frames.push_back(frame);
            }
            Some(Err(e)) => {
                // Let the error reach hyper after what was read, as it would have.
                return (Body::new(Replay { frames, rest: None, error: Some(e) }), bytes);
            }
            None => return (Body::new(Replay { frames, rest: None, error: None }), bytes),
        }
    }
    (Body::new(Replay { frames, rest: Some(body), error: None }), bytes)
}

/// Frames already read, then the rest of the body (or the error that ended it).
struct Replay {
    frames: VecDeque<Frame<Bytes>>,
    rest: Option<Body>,
    error: Option<axum::Error>,
}

impl HttpBody for Replay {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Some(frame) = self.frames.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        if let Some(e) = self.error.take() {
            return Poll::Ready(Some(Err(e)));
        }
        match self.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty() && self.error.is_none() && self.rest.as_ref().is_none_or(|r| r.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let read: u64 = self.frames.iter().filter_map(|f| f.data_ref()).map(|d| d.len() as u64).sum();
        match (&self.rest, &self.error) {
            (None, None) => SizeHint::with_exact(read),
            _ => {
                let mut h = SizeHint::new();
                h.set_lower(read);
                h
            }
        }
    }
}
