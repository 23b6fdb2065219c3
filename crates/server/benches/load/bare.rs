//! The bare floor: plain axum + sqlx handlers running the statements Data
//! Builder runs for W1, W2, W3, G1 and G2, on each dialect, rows to JSON by the
//! value's type. No planning, no catalog, no envelope beyond `data` (and `total`
//! for W2/W3): what any hand-written endpoint would at least have to do.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Map, Value as J, json};
use sqlx::mysql::{MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteRow};
use sqlx::{Column, Row, TypeInfo, ValueRef};

use crate::POOL_SIZE;
use crate::servers::{serve_plain, spawn_server};

/// A pool the bare handlers can query: rows as JSON objects, at most one bound integer.
pub trait Bare: Clone + Send + Sync + 'static {
    /// `?` or `$1`.
    const PH: &'static str;
    fn rows(&self, sql: String, arg: Option<i64>) -> impl Future<Output = Result<Vec<J>, StatusCode>> + Send;
}

fn internal(e: sqlx::Error) -> StatusCode {
    eprintln!("bare handler: {e}");
    StatusCode::INTERNAL_SERVER_ERROR
}

macro_rules! bare_impl {
    ($pool:ty, $ph:expr, $row:path) => {
        impl Bare for $pool {
            const PH: &'static str = $ph;
            fn rows(&self, sql: String, arg: Option<i64>) -> impl Future<Output = Result<Vec<J>, StatusCode>> + Send {
                let pool = self.clone();
                async move {
                    let q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    let q = match arg {
                        Some(a) => q.bind(a),
                        None => q,
                    };
                    Ok(q.fetch_all(&pool).await.map_err(internal)?.iter().map($row).collect())
                }
            }
        }
    };
}

bare_impl!(SqlitePool, "?", sqlite_row);
bare_impl!(MySqlPool, "?", mysql_row);
bare_impl!(PgPool, "$1", pg_row);

fn router<B: Bare>(pool: B) -> Router {
    Router::new()
        .route("/invoices", get(list::<B>))
        .route("/invoices/{id}", get(get_one::<B>))
        .route("/graphql", post(graphql::<B>))
        .with_state(pool)
}

fn start<B: Bare, F, Fut>(name: &'static str, connect: F) -> String
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = B>,
{
    spawn_server(name, move |tx| async move {
        let pool = connect().await;
        tx.send(serve_plain(router(pool), name).await).expect("the main thread waits");
        std::future::pending::<()>().await;
    })
}

pub fn start_sqlite(db: &Path) -> String {
    let db: PathBuf = db.to_path_buf();
    start::<SqlitePool, _, _>("bare-sqlite", move || async move {
        // Same size as Data Builder's default pool, WAL like Data Builder.
        let opts = SqliteConnectOptions::new()
            .filename(&db)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        sqlx::pool::PoolOptions::new().max_connections(POOL_SIZE).connect_with(opts).await.expect("bare SQLite pool")
    })
}

pub fn start_mysql(url: &str) -> String {
    let url = url.to_string();
    start::<MySqlPool, _, _>("bare-mariadb", move || async move {
        MySqlPoolOptions::new().max_connections(POOL_SIZE).connect(&url).await.expect("bare MariaDB pool")
    })
}

pub fn start_postgres(url: &str) -> String {
    let url = url.to_string();
    start::<PgPool, _, _>("bare-postgres", move || async move {
        PgPoolOptions::new().max_connections(POOL_SIZE).connect(&url).await.expect("bare PostgreSQL pool")
    })
}

fn param(q: &Option<String>, name: &str) -> Option<String> {
    form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// W1: `GET /invoices/{id}`, the whole row.
async fn get_one<B: Bare>(State(b): State<B>, UrlPath(id): UrlPath<i64>) -> Result<axum::Json<J>, StatusCode> {
    let sql = format!("SELECT * FROM tblinvoices WHERE id = {}", B::PH);
    let row = b.rows(sql, Some(id)).await?.pop().ok_or(StatusCode::NOT_FOUND)?;
    Ok(axum::Json(json!({ "data": row })))
}

fn page_sql<B: Bare>(columns: &str) -> String {
    format!("SELECT {columns} FROM tblinvoices WHERE status = {} ORDER BY date DESC, id LIMIT 25", B::PH)
}

/// The clients of `rows` (by `clientid`), one `IN (…)` statement, keyed by id.
async fn clients<B: Bare>(b: &B, rows: &[J], columns: &str) -> Result<Map<String, J>, StatusCode> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r["clientid"].as_i64()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Map::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let found = b.rows(format!("SELECT {columns} FROM tblclients WHERE userid IN ({list})"), None).await?;
    Ok(found.into_iter().map(|c| (c["userid"].to_string(), c)).collect())
}

/// W2: `GET /invoices?status=N`, 25 rows newest first and the total; W3 adds
/// `include=client`: each row's client embedded.
async fn list<B: Bare>(State(b): State<B>, RawQuery(q): RawQuery) -> Result<axum::Json<J>, StatusCode> {
    let status: i64 = param(&q, "status").and_then(|s| s.parse().ok()).ok_or(StatusCode::BAD_REQUEST)?;
    let count = format!("SELECT COUNT(*) AS n FROM tblinvoices WHERE status = {}", B::PH);
    let (rows, total) = tokio::join!(b.rows(page_sql::<B>("*"), Some(status)), b.rows(count, Some(status)));
    let mut rows = rows?;
    let total = total?.first().map(|r| r["n"].clone()).unwrap_or(J::Null);
    if param(&q, "include").as_deref() == Some("client") {
        let by_id = clients(&b, &rows, "*").await?;
        for r in &mut rows {
            let c = by_id.get(&r["clientid"].to_string()).cloned().unwrap_or(J::Null);
            r["client"] = c;
        }
    }
    Ok(axum::Json(json!({ "data": rows, "meta": { "total": total } })))
}

/// G1 / G2 (`?client=1`): the GraphQL answer's shape, without GraphQL.
async fn graphql<B: Bare>(State(b): State<B>, RawQuery(q): RawQuery) -> Result<axum::Json<J>, StatusCode> {
    let nested = param(&q, "client").is_some();
    let mut rows = b.rows(page_sql::<B>("id, total, date, clientid"), Some(2)).await?;
    let by_id = if nested { clients(&b, &rows, "userid, company").await? } else { Map::new() };
    for r in &mut rows {
        let obj = r.as_object_mut().expect("rows are objects");
        let cid = obj.remove("clientid").unwrap_or(J::Null);
        if nested {
            let company = by_id.get(&cid.to_string()).map(|c| json!({ "company": c["company"] }));
            obj.insert("client".into(), company.unwrap_or(J::Null));
        }
    }
    Ok(axum::Json(json!({ "data": { "invoices": rows } })))
}

/// Every column of a row to JSON, by the value's SQLite storage class.
fn sqlite_row(row: &SqliteRow) -> J {
    let mut obj = Map::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let class = match row.try_get_raw(i) {
            Ok(raw) if !raw.is_null() => raw.type_info().name().to_string(),
            _ => {
                obj.insert(col.name().to_string(), J::Null);
                continue;
            }
        };
        let v = match class.as_str() {
            "INTEGER" => row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null),
            "REAL" => row.try_get::<f64, _>(i).ok().and_then(serde_json::Number::from_f64).map_or(J::Null, J::Number),
            _ => row.try_get::<String, _>(i).map_or(J::Null, J::String),
        };
        obj.insert(col.name().to_string(), v);
    }
    J::Object(obj)
}

fn text(v: Option<String>) -> J {
    v.map_or(J::Null, J::String)
}

/// Every column of a MariaDB row to JSON, by its declared type: integers as
/// numbers, DECIMAL as an exact string, dates as ISO strings, the rest as text.
fn mysql_row(row: &MySqlRow) -> J {
    let mut obj = Map::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let ty = match row.try_get_raw(i) {
            Ok(raw) if !raw.is_null() => raw.type_info().name().to_string(),
            _ => {
                obj.insert(col.name().to_string(), J::Null);
                continue;
            }
        };
        let v = match ty.as_str() {
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
                text(row.try_get::<chrono::NaiveDateTime, _>(i).ok().map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string()))
            }
            _ => text(row.try_get::<String, _>(i).ok()),
        };
        obj.insert(col.name().to_string(), v);
    }
    J::Object(obj)
}

/// Every column of a PostgreSQL row to JSON, by its type, as for MariaDB.
fn pg_row(row: &PgRow) -> J {
    let mut obj = Map::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let ty = match row.try_get_raw(i) {
            Ok(raw) if !raw.is_null() => raw.type_info().name().to_string(),
            _ => {
                obj.insert(col.name().to_string(), J::Null);
                continue;
            }
        };
        let v = match ty.as_str() {
            "INT2" => row.try_get::<i16, _>(i).map(J::from).unwrap_or(J::Null),
            "INT4" => row.try_get::<i32, _>(i).map(J::from).unwrap_or(J::Null),
            "INT8" => row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null),
            "BOOL" => row.try_get::<bool, _>(i).map(J::from).unwrap_or(J::Null),
            "NUMERIC" => text(row.try_get::<rust_decimal::Decimal, _>(i).ok().map(|d| d.to_string())),
            "FLOAT4" | "FLOAT8" => {
                row.try_get::<f64, _>(i).ok().and_then(serde_json::Number::from_f64).map_or(J::Null, J::Number)
            }
            "DATE" => text(row.try_get::<chrono::NaiveDate, _>(i).ok().map(|d| d.to_string())),
            "TIMESTAMP" => {
                text(row.try_get::<chrono::NaiveDateTime, _>(i).ok().map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string()))
            }
            _ => text(row.try_get::<String, _>(i).ok()),
        };
        obj.insert(col.name().to_string(), v);
    }
    J::Object(obj)
}
