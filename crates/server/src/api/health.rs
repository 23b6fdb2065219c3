//! Probes for load balancers and orchestrators, outside the token pipeline:
//! - `GET /api/data_builder/health`: the process answers (no auth, no database);
//! - `GET /api/data_builder/ready`: the target database, the state database and
//!   the rate store (the state database or Redis) each answer a trivial query
//!   within a short deadline; else 503 naming which failed, so a balancer takes
//!   the instance out of rotation while its dependencies are down.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use databuilder_engine::exec::DbError;
use serde_json::{Map, Value as J, json};

use crate::app_state::Shared;
use crate::problem::Problem;
use crate::store::hot;

/// How long each dependency has to answer.
const PROBE_DEADLINE: Duration = Duration::from_secs(2);

pub async fn health() -> Json<J> {
    Json(json!({"status": "ok"}))
}

async fn probe(check: impl Future<Output = Result<(), DbError>>) -> Result<(), String> {
    match tokio::time::timeout(PROBE_DEADLINE, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err("does not answer".into()),
        Err(_) => Err(format!("no answer within {} s", PROBE_DEADLINE.as_secs())),
    }
}

pub async fn ready(State(app): State<Shared>) -> Response {
    let (database, state, rate) =
        tokio::join!(probe(hot::ping(&app.db)), probe(app.store.ping()), probe(app.rate.ping()));
    let rate_name = match app.rate.kind() {
        "redis" => "redis",
        _ => "rate_store",
    };
    let results = [("database", database), ("state", state), (rate_name, rate)];
    let failed: Vec<&str> = results.iter().filter(|(_, r)| r.is_err()).map(|(n, _)| *n).collect();
    if failed.is_empty() {
        let checks: Map<String, J> = results.iter().map(|(n, _)| (n.to_string(), J::from("ok"))).collect();
        return (StatusCode::OK, Json(json!({"status": "ready", "checks": checks}))).into_response();
    }
    let errors: Map<String, J> =
        results.iter().filter_map(|(n, r)| r.as_ref().err().map(|e| (n.to_string(), json!([e])))).collect();
    let mut p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not-ready",
        "Not ready",
        format!("not ready: {} unavailable", failed.join(", ")),
    );
    p.errors = Some(Box::new(J::Object(errors)));
    p.into_response()
}
