//! Stage 1 (the parts in place so far): the handler time limit and panic
//! containment. Body limits are enforced while reading (`api/body.rs`); header
//! read timeouts in the accept loop (`startup.rs`).

use std::panic::AssertUnwindSafe;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use crate::api::error::Problem;
use crate::app_state::Shared;

/// Answer 503 when the handler runs longer than the configured limit.
pub async fn time_limit(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let limit = app.config.handler_timeout();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "Timed out",
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
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
