//! The servers, each in its own runtime on its own OS thread: Data Builder
//! (with its pipeline-off twin on the same `AppState`); the bare axum + sqlx
//! floor is in `bare.rs`.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::serve::ListenerExt;
use databuilder::app_state::Shared;
use databuilder::config::Config;
use databuilder::startup::Application;
use databuilder_engine::principal::Policy;
use futures_util::StreamExt;

use crate::setup::runtime;
use crate::{NEVER_THROTTLE, TOKENS};

/// Data Builder on one database, reached three ways.
pub struct DataBuilder {
    /// `http://127.0.0.1:PORT` of the real server: every security stage on.
    pub origin: String,
    /// The same API routes and `AppState` with the whole pipeline off.
    pub off_origin: String,
    /// The admin token every "1 token" workload uses.
    pub token: String,
    /// `TOKENS` more admin tokens, rotated per request.
    pub tokens: Arc<Vec<String>>,
    pub state: Shared,
}

/// Run `serve` on a new OS thread with its own runtime; it reports what it started.
pub fn spawn_server<T, F, Fut>(name: &str, serve: F) -> T
where
    T: Send + 'static,
    F: FnOnce(std::sync::mpsc::Sender<T>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let thread_name = name.to_string();
    std::thread::Builder::new()
        .name(thread_name.clone())
        .spawn(move || runtime(&thread_name).block_on(serve(tx)))
        .expect("spawn a server thread");
    rx.recv().unwrap_or_else(|_| panic!("the {name} server failed to start"))
}

/// Serve `router` with `axum::serve` on a fresh loopback port; returns its origin.
pub async fn serve_plain(router: Router, what: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("bound address");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true); // as Data Builder's accept loop does
    });
    let what = what.to_string();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap_or_else(|e| panic!("{what}: {e}")) });
    format!("http://{addr}")
}

/// The benchmark's token policy: admin; the per-token limiter still counts every
/// request (one UPSERT each) but never refuses one.
fn policy() -> Policy {
    Policy { admin: true, rate: Some(NEVER_THROTTLE), ..Policy::default() }
}

/// Data Builder with its default configuration except the two limits that would
/// refuse a benchmark, plus the pipeline-off router on its own port.
pub fn start_databuilder(name: &str, url: String, app_dir: &Path) -> DataBuilder {
    start_databuilder_with(name, url, app_dir, TOKENS)
}

/// [`start_databuilder`] with `tokens` extra admin tokens instead of `TOKENS`.
pub fn start_databuilder_with(name: &str, url: String, app_dir: &Path, tokens: usize) -> DataBuilder {
    let mut cfg = Config::default();
    cfg.database.url = url;
    cfg.base_dir = app_dir.to_path_buf();
    cfg.catalog.reload_interval = "0s".parse().unwrap();
    // All load comes from one address: the per-IP throttle (600 a minute by
    // default) would answer 429s. It still runs, with a limit never reached.
    cfg.security.ip_rate = NEVER_THROTTLE;
    let label = name.to_string();
    spawn_server(name, move |tx| async move {
        let app = Application::build(cfg, "127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{label}: Data Builder does not start: {e}"));
        let state = app.state();
        let (record, token) =
            state.store.create_token("load benchmark", &policy(), None).await.expect("create the admin token");
        let tokens = create_tokens(&state, tokens).await;
        let off_router = databuilder::routes::router_without_pipeline(state.clone(), record.principal());
        let off_origin = serve_plain(off_router, "the pipeline-off server").await;
        let server = DataBuilder {
            origin: format!("http://{}", app.local_addr()),
            off_origin,
            token,
            tokens: Arc::new(tokens),
            state,
        };
        tx.send(server).expect("the main thread waits for the server");
        app.run_until(std::future::pending()).await;
    })
}

/// `n` admin tokens, 8 inserts at a time.
async fn create_tokens(state: &Shared, n: usize) -> Vec<String> {
    futures_util::stream::iter(1..=n)
        .map(|i| {
            let state = state.clone();
            async move {
                let (_, token) = state
                    .store
                    .create_token(&format!("load benchmark {i}"), &policy(), None)
                    .await
                    .expect("create a benchmark token");
                token
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}
