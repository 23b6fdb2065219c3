//! The MariaDB database `databuilder_bench`: created if missing, loaded with the
//! scale-1 demo once (a marker table says the load completed), and given fresh
//! Data Builder state tables on every run. Skipped, with the reason, when the
//! server cannot be reached.

use std::time::{Duration, Instant};

use databuilder_engine::demo::load_demo;
use databuilder_engine::exec::Db;
use sqlx::Row;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};

use crate::DEMO_SCALE;
use crate::setup::Demo;

pub const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306/databuilder_bench";
/// Hidden from the catalog like Data Builder's own state tables (`tbl` +
/// `data_builder_`), so the served schema is exactly the demo's.
const MARKER: &str = "tbldata_builder_bench_demo";
/// Data Builder's state tables (`tbl` prefix + its mark), as a LIKE pattern.
const STATE_TABLES: &str = "tbldata\\_builder\\_%";

/// A MariaDB database holding the complete scale-1 demo.
pub struct Maria {
    pub url: String,
    /// A connection to the server (no default database) for the benchmark's own statements.
    pub admin: MySqlPool,
    pub demo: Demo,
    pub version: String,
    /// `innodb_flush_log_at_trx_commit`: 1 means an fsync per committed write.
    pub flush_at_commit: String,
}

/// `BENCH_MYSQL_URL`, else the default.
pub fn url() -> String {
    std::env::var("BENCH_MYSQL_URL").ok().filter(|u| !u.trim().is_empty()).unwrap_or_else(|| DEFAULT_URL.to_string())
}

/// `mysql://user@host:port/name?opts` → (`mysql://user@host:port/?opts`, `name`).
fn split_url(url: &str) -> Result<(String, String), String> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| format!("`{url}` is not a mysql:// URL"))?;
    if scheme != "mysql" && scheme != "mariadb" {
        return Err(format!("`{url}` is not a mysql:// URL"));
    }
    let (authority, path) = rest.split_once('/').ok_or_else(|| format!("`{url}` names no database"))?;
    let (name, query) = path.split_once('?').map_or((path, None), |(n, q)| (n, Some(q)));
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("`{url}`: the database name must be letters, digits and underscores"));
    }
    let server = match query {
        Some(q) => format!("mysql://{authority}/?{q}"),
        None => format!("mysql://{authority}/"),
    };
    Ok((server, name.to_string()))
}

/// Connect, create and load the database if needed, reset the state tables.
pub async fn prepare() -> Result<Maria, String> {
    let url = url();
    let (server, name) = split_url(&url)?;
    let admin = MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect(&server)
        .await
        .map_err(|e| format!("cannot connect to {server}: {e}"))?;
    let q = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    let fail = |what: &str, e: sqlx::Error| format!("{what}: {e}");
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&admin)
        .await
        .map_err(|e| fail("cannot read the server version", e))?;
    let flush_at_commit = global_variable(&admin, "innodb_flush_log_at_trx_commit").await.unwrap_or_default();

    q(format!("CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"))
        .execute(&admin)
        .await
        .map_err(|e| fail(&format!("cannot create the database {name}"), e))?;
    let demo = if loaded(&admin, &name).await {
        eprintln!("reusing the MariaDB database {name} (marker table {MARKER})");
        Demo::Reused
    } else {
        // An incomplete earlier load leaves tables behind: start from nothing.
        q(format!("DROP DATABASE `{name}`")).execute(&admin).await.map_err(|e| fail("cannot drop the database", e))?;
        q(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .execute(&admin)
            .await
            .map_err(|e| fail("cannot create the database", e))?;
        eprintln!("loading the scale-1 demo into the MariaDB database {name}…");
        let started = Instant::now();
        let db = Db::connect(&url, 1).await.map_err(|e| format!("cannot connect to {url}: {e}"))?;
        load_demo(&db, DEMO_SCALE, &|_rows_done: u64| {}).await.map_err(|e| format!("loading the demo failed: {e}"))?;
        db.close().await;
        q(format!("CREATE TABLE `{name}`.`{MARKER}` (scale DOUBLE NOT NULL, loaded_at DATETIME NOT NULL)"))
            .execute(&admin)
            .await
            .map_err(|e| fail("cannot create the marker table", e))?;
        q(format!("INSERT INTO `{name}`.`{MARKER}` (scale, loaded_at) VALUES (?, NOW())"))
            .bind(DEMO_SCALE)
            .execute(&admin)
            .await
            .map_err(|e| fail("cannot write the marker row", e))?;
        let took = started.elapsed();
        eprintln!("MariaDB demo loaded in {:.1} s", took.as_secs_f64());
        Demo::Generated(took)
    };
    reset_state(&admin, &name).await?;
    Ok(Maria { url, admin, demo, version, flush_at_commit })
}

/// Whether the marker table says a scale-1 load completed.
async fn loaded(admin: &MySqlPool, name: &str) -> bool {
    let exists: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?")
            .bind(name)
            .bind(MARKER)
            .fetch_one(admin)
            .await
            .unwrap_or(0);
    if exists == 0 {
        return false;
    }
    let sql = format!("SELECT COUNT(*) FROM `{name}`.`{MARKER}` WHERE scale = ?");
    let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(DEMO_SCALE).fetch_one(admin).await.unwrap_or(0);
    rows > 0
}

/// Drop Data Builder's state tables (tokens, rate windows, audit records…) so
/// that, as on SQLite, a run never inherits another's; Data Builder recreates them.
async fn reset_state(admin: &MySqlPool, name: &str) -> Result<(), String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE ? AND table_name <> ?",
    )
    .bind(name)
    .bind(STATE_TABLES)
    .bind(MARKER)
    .fetch_all(admin)
    .await
    .map_err(|e| format!("cannot list the state tables: {e}"))?;
    for t in tables {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE `{name}`.`{t}`")))
            .execute(admin)
            .await
            .map_err(|e| format!("cannot drop {t}: {e}"))?;
    }
    Ok(())
}

async fn global_variable(admin: &MySqlPool, name: &str) -> Option<String> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SHOW GLOBAL VARIABLES LIKE '{name}'")))
        .fetch_optional(admin)
        .await
        .ok()??;
    row.try_get::<String, _>(1).ok()
}

/// The server's `Com_select`: SELECT statements run since it started (all
/// clients). `SHOW` statements do not count themselves.
pub async fn com_select(admin: &MySqlPool) -> u64 {
    let row = sqlx::query("SHOW GLOBAL STATUS LIKE 'Com_select'").fetch_one(admin).await.expect("read Com_select");
    row.try_get::<String, _>(1).ok().and_then(|v| v.parse().ok()).expect("Com_select is a number")
}

/// The URL without its password, for the report.
pub fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => match rest.split_once('@') {
            Some((user, host)) if user.contains(':') => {
                format!("{scheme}://{}:***@{host}", user.split(':').next().unwrap_or(""))
            }
            _ => url.to_string(),
        },
        _ => url.to_string(),
    }
}
