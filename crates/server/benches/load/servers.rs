//! The servers, each in its own runtime on its own OS thread: Data Builder
//! (with its pipeline-off twin on the same `AppState`) and the bare axum + sqlx
//! floor, on SQLite and on MariaDB.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::serve::ListenerExt;
use databuilder::app_state::Shared;
use databuilder::config::Config;
use databuilder::startup::Application;
use databuilder_engine::principal::Policy;
use futures_util::StreamExt;
use serde_json::{Map, Value as J, json};
use sqlx::mysql::{MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteRow};
use sqlx::{Column, Row, TypeInfo, ValueRef};

use crate::setup::runtime;
use crate::{NEVER_THROTTLE, POOL_SIZE, TOKENS};

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
fn spawn_server<T, F, Fut>(name: &str, serve: F) -> T
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
async fn serve_plain(router: Router, what: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("bound address");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true); // as Data Builder's accept loop does
    });
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
        let tokens = create_tokens(&state).await;
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

/// `TOKENS` admin tokens, 8 inserts at a time.
async fn create_tokens(state: &Shared) -> Vec<String> {
    futures_util::stream::iter(1..=TOKENS)
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

// ---------------------------------------------------------------------------
// The bare floor: the same two queries in plain axum + sqlx handlers.
// ---------------------------------------------------------------------------

const BARE_GET: &str = "SELECT * FROM tblinvoices WHERE id = ?";
const BARE_PAGE: &str = "SELECT * FROM tblinvoices WHERE status = ? ORDER BY date DESC, id LIMIT 25";
const BARE_COUNT: &str = "SELECT COUNT(*) FROM tblinvoices WHERE status = ?";

pub fn start_bare_sqlite(db: &Path) -> String {
    let db: PathBuf = db.to_path_buf();
    spawn_server("bare-sqlite", move |tx| async move {
        // Same size as Data Builder's default pool, WAL like Data Builder.
        let opts = SqliteConnectOptions::new()
            .filename(&db)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        let pool = sqlx::pool::PoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect_with(opts)
            .await
            .expect("open the bare server's SQLite pool");
        let router = Router::new()
            .route("/invoices", get(sqlite_list))
            .route("/invoices/{id}", get(sqlite_get))
            .with_state(pool);
        tx.send(serve_plain(router, "the bare SQLite server").await).expect("the main thread waits");
        std::future::pending::<()>().await;
    })
}

pub fn start_bare_mysql(url: &str) -> String {
    let url = url.to_string();
    spawn_server("bare-mariadb", move |tx| async move {
        let pool = MySqlPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect(&url)
            .await
            .expect("open the bare server's MariaDB pool");
        let router =
            Router::new().route("/invoices", get(mysql_list)).route("/invoices/{id}", get(mysql_get)).with_state(pool);
        tx.send(serve_plain(router, "the bare MariaDB server").await).expect("the main thread waits");
        std::future::pending::<()>().await;
    })
}

fn internal(_: sqlx::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

fn status_param(q: Option<String>) -> Result<i64, StatusCode> {
    form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "status")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or(StatusCode::BAD_REQUEST)
}

/// `GET /invoices/{id}`: the whole row as a JSON object.
async fn sqlite_get(State(pool): State<SqlitePool>, UrlPath(id): UrlPath<i64>) -> Result<axum::Json<J>, StatusCode> {
    let row =
        sqlx::query(BARE_GET).bind(id).fetch_optional(&pool).await.map_err(internal)?.ok_or(StatusCode::NOT_FOUND)?;
    Ok(axum::Json(sqlite_row(&row)))
}

/// `GET /invoices?status=N`: 25 rows newest first, plus the total.
async fn sqlite_list(State(pool): State<SqlitePool>, RawQuery(q): RawQuery) -> Result<axum::Json<J>, StatusCode> {
    let status = status_param(q)?;
    let rows = sqlx::query(BARE_PAGE).bind(status).fetch_all(&pool).await.map_err(internal)?;
    let total: i64 = sqlx::query_scalar(BARE_COUNT).bind(status).fetch_one(&pool).await.map_err(internal)?;
    let data: Vec<J> = rows.iter().map(sqlite_row).collect();
    Ok(axum::Json(json!({ "data": data, "total": total })))
}

/// Every column of a row to JSON, by the value's SQLite storage class.
fn sqlite_row(row: &SqliteRow) -> J {
    let mut obj = Map::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        obj.insert(col.name().to_string(), sqlite_cell(row, i));
    }
    J::Object(obj)
}

fn sqlite_cell(row: &SqliteRow, i: usize) -> J {
    let class = match row.try_get_raw(i) {
        Ok(raw) if !raw.is_null() => raw.type_info().name().to_string(),
        _ => return J::Null,
    };
    match class.as_str() {
        "INTEGER" => row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null),
        "REAL" => row.try_get::<f64, _>(i).ok().and_then(serde_json::Number::from_f64).map_or(J::Null, J::Number),
        _ => row.try_get::<String, _>(i).map_or(J::Null, J::String),
    }
}

async fn mysql_get(State(pool): State<MySqlPool>, UrlPath(id): UrlPath<i64>) -> Result<axum::Json<J>, StatusCode> {
    let row =
        sqlx::query(BARE_GET).bind(id).fetch_optional(&pool).await.map_err(internal)?.ok_or(StatusCode::NOT_FOUND)?;
    Ok(axum::Json(mysql_row(&row)))
}

async fn mysql_list(State(pool): State<MySqlPool>, RawQuery(q): RawQuery) -> Result<axum::Json<J>, StatusCode> {
    let status = status_param(q)?;
    let rows = sqlx::query(BARE_PAGE).bind(status).fetch_all(&pool).await.map_err(internal)?;
    let total: i64 = sqlx::query_scalar(BARE_COUNT).bind(status).fetch_one(&pool).await.map_err(internal)?;
    let data: Vec<J> = rows.iter().map(mysql_row).collect();
    Ok(axum::Json(json!({ "data": data, "total": total })))
}

/// Every column of a MariaDB row to JSON, by its declared type: integers as
/// numbers, DECIMAL as an exact string, dates as ISO strings, the rest as text.
fn mysql_row(row: &MySqlRow) -> J {
    let mut obj = Map::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        obj.insert(col.name().to_string(), mysql_cell(row, i));
    }
    J::Object(obj)
}

fn mysql_cell(row: &MySqlRow, i: usize) -> J {
    let ty = match row.try_get_raw(i) {
        Ok(raw) if !raw.is_null() => raw.type_info().name().to_string(),
        _ => return J::Null,
    };
    let text = |v: Option<String>| v.map_or(J::Null, J::String);
    match ty.as_str() {
        "BOOLEAN" | "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" => {
            row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null)
        }
        t if t.ends_with("UNSIGNED") => row.try_get::<u64, _>(i).map(J::from).unwrap_or(J::Null),
        "DECIMAL" => text(row.try_get::<rust_decimal::Decimal, _>(i).ok().map(|d| d.to_string())),
        "FLOAT" | "DOUBLE" => {
            row.try_get::<f64, _>(i).ok().and_then(serde_json::Number::from_f64).map_or(J::Null, J::Number)
        }
        "DATE" => text(row.try_get::<chrono::NaiveDate, _>(i).ok().map(|d| d.to_string())),
        "DATETIME" | "TIMESTAMP" => {
            text(row.try_get::<chrono::NaiveDateTime, _>(i).ok().map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()))
        }
        _ => text(row.try_get::<String, _>(i).ok()),
    }
}
