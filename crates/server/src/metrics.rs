//! Prometheus metrics (`[server] metrics_listen`, off by default), served on
//! their own address by our own axum listener: the exporter crate only renders
//! the text format (its HTTP listener feature is off, so there is no second
//! HTTP stack). What is measured:
//! - `databuilder_requests_total{group,status,stage}` and
//!   `databuilder_request_duration_seconds{group}` (histogram), from the
//!   outermost layer ([`track`]); `group` is the route group of `routes.rs`,
//!   `stage` the security stage that rejected the request (`none` when none did);
//! - `databuilder_pool_connections{pool,state}` (in use / idle) for the target
//!   and the state database, read at scrape time;
//! - `databuilder_audit_queue_depth` and `databuilder_audit_write_seconds`;
//! - `databuilder_rate_store_errors_total{store,op}` (`store/hot.rs`);
//! - `databuilder_catalog_reloads_total{result}`.
//!
//! Without a listener no recorder is installed and every macro is a no-op.
//! Metrics carry no token, path or client address: labels are bounded sets.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use databuilder_engine::exec::Db;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::app_state::Shared;
use crate::security::Rejected;

/// Latency buckets in seconds: 1 ms to the 10 s handler deadline.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The route group a response came from (a response extension set in `routes.rs`).
#[derive(Debug, Clone, Copy)]
pub struct RouteGroup(pub &'static str);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Install the process-wide recorder once (several apps in one test process share it).
fn handle() -> Result<&'static PrometheusHandle, String> {
    if let Some(h) = HANDLE.get() {
        return Ok(h);
    }
    let recorder = PrometheusBuilder::new().set_buckets(BUCKETS).map_err(|e| format!("metrics: {e}"))?.build_recorder();
    let h = recorder.handle();
    // A lost race means another app installed it first; use that one.
    if metrics::set_global_recorder(recorder).is_err() {
        return HANDLE.get().ok_or_else(|| "metrics: another recorder is installed".to_string());
    }
    Ok(HANDLE.get_or_init(|| h))
}

/// Count and time every response, outermost (shield rejections and 404s included).
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let res = next.run(req).await;
    let group = res.extensions().get::<RouteGroup>().map_or("none", |g| g.0);
    let stage = res.extensions().get::<Rejected>().map_or("none", |r| r.0.as_str());
    metrics::counter!("databuilder_requests_total", "group" => group, "status" => res.status().as_u16().to_string(), "stage" => stage)
        .increment(1);
    metrics::histogram!("databuilder_request_duration_seconds", "group" => group)
        .record(started.elapsed().as_secs_f64());
    res
}

/// A bound metrics listener, served by [`serve`].
pub struct MetricsListener {
    listener: TcpListener,
}

impl MetricsListener {
    /// Install the recorder and bind `addr`.
    pub async fn bind(addr: &str) -> Result<MetricsListener, String> {
        handle()?;
        let listener =
            TcpListener::bind(addr).await.map_err(|e| format!("[server] metrics_listen {addr}: cannot listen: {e}"))?;
        Ok(MetricsListener { listener })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serve `GET /metrics` until the process ends.
    pub fn serve(self, app: Shared) {
        let router = Router::new().route("/metrics", get(scrape)).with_state(app);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(self.listener, router).await {
                tracing::error!(error = %e, "metrics listener stopped");
            }
        });
    }
}

fn pool_gauges(name: &'static str, db: &Db) {
    let (size, idle) = match db {
        Db::Sqlite(p) => (p.size(), p.num_idle()),
        Db::MySql(p) => (p.size(), p.num_idle()),
        Db::Postgres(p) => (p.size(), p.num_idle()),
    };
    let in_use = (size as usize).saturating_sub(idle);
    metrics::gauge!("databuilder_pool_connections", "pool" => name, "state" => "in_use").set(in_use as f64);
    metrics::gauge!("databuilder_pool_connections", "pool" => name, "state" => "idle").set(idle as f64);
}

async fn scrape(State(app): State<Shared>) -> Response {
    let Some(h) = HANDLE.get() else {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    pool_gauges("target", &app.db);
    pool_gauges("state", &app.store.db);
    metrics::gauge!("databuilder_audit_queue_depth").set(app.audit.queued() as f64);
    let in_flight = app.config.security.max_concurrency.max(1) - app.shield.concurrency.available_permits();
    metrics::gauge!("databuilder_requests_in_flight").set(in_flight as f64);
    h.run_upkeep();
    let mut res = h.render().into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    res
}
