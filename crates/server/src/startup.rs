//! Building and running the application: connect, introspect, open the state
//! store, bind, then serve with our own accept loop. `axum::serve` installs no
//! hyper timer and so has no header-read timeout (DEPENDENCIES.md): here every
//! connection must send its first byte and complete its headers within
//! `header_timeout`, or it is closed (slowloris).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use databuilder_engine::catalog::perfex::RelationSpec;
use databuilder_engine::catalog::{CatalogConfig, Dialect};
use databuilder_engine::exec::Db;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::app_state::{AppState, Shared};
use crate::config::{Config, Preset};
use crate::store::Store;
use crate::store::hot::RateStore;
use crate::store::keys::MasterKey;
use crate::store::redis::RedisStore;

/// A built application, bound to its address.
pub struct Application {
    listener: TcpListener,
    app: Shared,
    router: Router,
    metrics: Option<crate::metrics::MetricsListener>,
}

/// The catalog part of the configuration.
pub fn catalog_config(cfg: &Config) -> Result<CatalogConfig, String> {
    let split = |s: &str| {
        s.split_once('.')
            .map(|(t, c)| (t.to_string(), c.to_string()))
            .ok_or_else(|| format!("relation endpoint `{s}` must be `table.column`"))
    };
    let mut relations = Vec::new();
    for r in &cfg.catalog.relations {
        let (from_table, from_col) = split(&r.from)?;
        let (to_table, to_col) = split(&r.to)?;
        relations.push(RelationSpec { from_table, from_col, to_table, to_col, has_many_name: None, condition: None });
    }
    let perfex_preset = match cfg.catalog.perfex_preset {
        Preset::On => Some(true),
        Preset::Off => Some(false),
        Preset::Auto => None,
    };
    Ok(CatalogConfig {
        prefix: cfg.database.prefix.clone(),
        sensitive: Some(cfg.security.sensitive_tables.clone()),
        relations,
        perfex_preset,
    })
}

/// Connect to the target database and the state store.
pub async fn connect(cfg: &Config) -> Result<(Db, Store), String> {
    let url = cfg.database_url();
    if url.is_empty() {
        return Err("no database configured: pass --database-url, --config, or use `serve --demo`".into());
    }
    let deadline = cfg.handler_timeout();
    let statement_timeout = deadline.saturating_sub(deadline / 10).max(std::time::Duration::from_millis(100));
    let db = Db::connect_with(&url, cfg.database.max_connections, Some(statement_timeout))
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    // SQLite admits one writer at a time, and the state store writes on every
    // request (the rate counter). One connection queues those writes fairly in the
    // pool instead of letting them sleep in SQLite's busy handler; readers of the
    // target database keep their own pool (WAL).
    let state_url = cfg.state_url();
    let state_db = match (cfg.database.state_url.is_empty(), Dialect::from_url(&state_url)) {
        (_, Some(Dialect::Sqlite)) => Db::connect(&state_url, 1).await,
        (true, _) => Ok(db.clone()),
        (false, _) => Db::connect(&state_url, 8).await,
    }
    .map_err(|e| format!("cannot connect to the state database: {e}"))?;

    let state = Store::open(state_db, &cfg.database.prefix)
        .await
        .map_err(|e| format!("cannot create the state tables: {e}"))?;
    Ok((db, state))
}

impl Application {
    /// Connect, introspect and bind `listen` (port 0 picks a free port).
    pub async fn build(cfg: Config, listen: &str) -> Result<Application, String> {
        let (db, state) = connect(&cfg).await?;
        crate::pages::explorer::check_public_token(&cfg, &state).await?;
        let key = MasterKey::load(&cfg.master_key_path())?;
        let catalog_cfg = catalog_config(&cfg)?;
        let started = std::time::Instant::now();
        let catalog = databuilder_engine::exec::load_catalog(&db, &catalog_cfg)
            .await
            .map_err(|e| format!("cannot read the schema: {e}"))?;
        tracing::info!(
            tables = catalog.tables.len(),
            perfex = catalog.perfex,
            ms = started.elapsed().as_millis() as u64,
            "catalog loaded"
        );
        let mut app = AppState::new(db, state, cfg, catalog_cfg, catalog, key);
        if !app.config.state.redis_url.is_empty() {
            let prefix = match app.config.state.redis_prefix.as_str() {
                "" => format!("{}data_builder:", app.config.database.prefix),
                p => p.to_string(),
            };
            let redis = RedisStore::open(&app.config.state.redis_url, &prefix)?;
            app.rate = RateStore::Redis(redis);
        }
        let metrics = match app.config.server.metrics_listen {
            None => None,
            Some(addr) => Some(crate::metrics::MetricsListener::bind(&addr.to_string()).await?),
        };
        let app = Arc::new(app);
        let listener = TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let router = crate::routes::router(app.clone());
        Ok(Application { listener, app, router, metrics })
    }

    /// Where the metrics are served, when `[server] metrics_listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|m| m.local_addr())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> Shared {
        self.app.clone()
    }

    /// Serve until `shutdown` resolves, then stop gracefully: stop accepting,
    /// let in-flight requests finish (keep-alive connections close after their
    /// current request), write every audit record, return. A second Ctrl-C or
    /// SIGTERM, or `[server] shutdown_timeout` (default 30 s), cuts the wait short:
    /// connections still open are dropped (their requests are recorded as
    /// unanswered) and the audit log is flushed with whatever time is left.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) {
        spawn_reloader(self.app.clone());
        spawn_maintenance(self.app.clone());
        spawn_change_watch(self.app.clone());
        if let Some(m) = self.metrics.take() {
            m.serve(self.app.clone());
        }
        let header_timeout = self.app.config.header_timeout();
        let (stopping, stop_rx) = tokio::sync::watch::channel(false);
        let mut connections = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let conn = serve_connection(stream, peer, self.router.clone(), header_timeout, stop_rx.clone());
                    connections.spawn(conn);
                    while connections.try_join_next().is_some() {}
                }
                _ = &mut shutdown => break,
            }
        }
        drop(self.listener);
        let _ = stopping.send(true);
        let deadline = tokio::time::Instant::now() + self.app.config.shutdown_timeout();
        tracing::info!(connections = connections.len(), "stopping: draining in-flight requests");
        let force = shutdown_signal();
        tokio::pin!(force);
        let drained = tokio::select! {
            _ = async { while connections.join_next().await.is_some() {} } => true,
            _ = tokio::time::sleep_until(deadline) => false,
            _ = &mut force => false,
        };
        if !drained {
            tracing::warn!(connections = connections.len(), "stop forced: dropping the connections still open");
            connections.shutdown().await;
        }
        tokio::select! {
            _ = self.app.audit.flush() => tracing::info!("stopped; audit log flushed"),
            _ = tokio::time::sleep_until(deadline + Duration::from_secs(5)) => {
                tracing::error!("stopped before the audit log was flushed (deadline)")
            }
            _ = &mut force => tracing::error!("stopped before the audit log was flushed (second signal)"),
        }
    }
}

/// Housekeeping of the state tables: old rate windows and nonces every minute,
/// audit retention daily.
fn spawn_maintenance(app: Shared) {
    crate::store::audit::spawn_retention(app.store.clone(), app.config.security.log_retention_days);
    crate::store::admin::spawn_housekeeping(app.store.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = chrono::Utc::now().timestamp();
            if let Err(e) = app.store.purge_rate_windows(now - 120).await {
                tracing::warn!(error = %e, "purging rate windows failed");
            }
            if let Err(e) = app.store.purge_nonces(2 * app.config.security.signature_window).await {
                tracing::warn!(error = %e, "purging nonces failed");
            }
        }
    });
}

/// Serve one connection until it closes, or, once `stopping` turns true, until
/// its current request is answered (hyper's graceful shutdown: no new request is
/// read on a keep-alive connection).
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    header_timeout: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    // A connection that never sends a byte is not covered by hyper's header timer.
    let mut first = [0u8; 1];
    tokio::select! {
        peeked = tokio::time::timeout(header_timeout, stream.peek(&mut first)) => match peeked {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        },
        _ = stopping.wait_for(|s| *s) => return,
    }
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(req)
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout).max_buf_size(64 * 1024);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopping.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Reload the catalog on SIGHUP and periodically, so tables added by modules appear.
fn spawn_reloader(app: Shared) {
    let every = app.config.reload_interval();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut tick = tokio::time::interval(if every.is_zero() { Duration::from_secs(86_400 * 365) } else { every });
        tick.tick().await;
        loop {
            #[cfg(unix)]
            let hup_recv = async {
                match hup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hup_recv = std::future::pending::<Option<()>>();
            tokio::select! {
                _ = tick.tick() => {}
                _ = hup_recv => tracing::info!("SIGHUP: reloading the catalog"),
            }
            match app.reload_catalog().await {
                Ok(n) => {
                    metrics::counter!("databuilder_catalog_reloads_total", "result" => "ok").increment(1);
                    tracing::debug!(tables = n, "catalog reloaded")
                }
                Err(e) => {
                    metrics::counter!("databuilder_catalog_reloads_total", "result" => "error").increment(1);
                    tracing::warn!(error = %e, "catalog reload failed")
                }
            }
        }
    });
}

/// How often each instance reads the state store's change marker.
pub const CHANGE_POLL: Duration = Duration::from_secs(1);

/// Poll the change marker (`store::epoch`) every second; when it moved, token
/// and definition changes made elsewhere (the CLI, another instance) are read
/// afresh instead of waiting for the cache TTL. A failed read changes nothing:
/// the TTLs still bound staleness.
fn spawn_change_watch(app: Shared) {
    tokio::spawn(async move {
        let mut seen = app.store.epoch().await.ok();
        let mut tick = tokio::time::interval(CHANGE_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match app.store.epoch().await {
                Ok(now) if seen != Some(now) => {
                    if seen.is_some() {
                        tracing::debug!(epoch = now, "state changed elsewhere: caches dropped");
                    }
                    app.forget_cached().await;
                    seen = Some(now);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reading the change marker failed"),
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
