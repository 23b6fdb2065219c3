//! The PostgreSQL database `databuilder_bench` (`BENCH_POSTGRES_URL`), like the
//! MariaDB one: created if missing, loaded with the demo once (a marker table
//! says the load completed), analysed, given the bench index on
//! `tblinvoices(status, date)`, and fresh Data Builder state tables on every
//! run. Skipped, with the reason, when the server cannot be reached.

use std::time::{Duration, Instant};

use databuilder_engine::demo::load_demo;
use databuilder_engine::exec::Db;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::setup::Demo;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/databuilder_bench";
const MARKER: &str = "tbldata_builder_bench_demo";

pub struct Pg {
    pub url: String,
    pub demo: Demo,
    pub version: String,
}

pub fn url() -> String {
    std::env::var("BENCH_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty()).unwrap_or_else(|| DEFAULT_URL.to_string())
}

/// `postgres://user@host:port/name` → (`…/postgres`, `name`), `name` with `suffix`.
fn split_url(url: &str, suffix: &str) -> Result<(String, String, String), String> {
    let (head, name) = url.rsplit_once('/').ok_or_else(|| format!("`{url}` names no database"))?;
    let name = format!("{}{suffix}", name.split('?').next().unwrap_or(name));
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("`{url}`: the database name must be letters, digits and underscores"));
    }
    Ok((format!("{head}/postgres"), format!("{head}/{name}"), name))
}

async fn pool(url: &str) -> Result<PgPool, String> {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect(url)
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))
}

async fn run(pool: &PgPool, sql: String) -> Result<(), String> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(pool).await.map(|_| ()).map_err(|e| format!("{sql}: {e}"))
}

/// Create and load the database at `scale` if needed (name suffix `suffix`), reset the state tables.
pub async fn prepare(scale: f64, suffix: &str) -> Result<Pg, String> {
    let (server, url, name) = split_url(&url(), suffix)?;
    let admin = pool(&server).await?;
    let version: String =
        sqlx::query_scalar("SHOW server_version").fetch_one(&admin).await.map_err(|e| e.to_string())?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&admin)
        .await
        .map_err(|e| e.to_string())?;
    let loaded = exists && {
        let db = pool(&url).await?;
        let sql = format!("SELECT COUNT(*) FROM {MARKER} WHERE scale = $1");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(scale).fetch_one(&db).await.unwrap_or(0);
        db.close().await;
        n > 0
    };
    let demo = if loaded {
        eprintln!("reusing the PostgreSQL database {name}");
        Demo::Reused
    } else {
        if exists {
            run(&admin, format!("DROP DATABASE {name}")).await?;
        }
        run(&admin, format!("CREATE DATABASE {name}")).await?;
        eprintln!("loading the scale-{scale} demo into the PostgreSQL database {name}…");
        let started = Instant::now();
        let db = Db::connect(&url, 1).await.map_err(|e| format!("cannot connect to {url}: {e}"))?;
        load_demo(&db, scale, &|_rows_done: u64| {}).await.map_err(|e| format!("loading the demo failed: {e}"))?;
        db.close().await;
        let p = pool(&url).await?;
        run(&p, "ANALYZE".into()).await?;
        run(&p, format!("CREATE TABLE {MARKER} (scale DOUBLE PRECISION NOT NULL, loaded_at TIMESTAMP NOT NULL)"))
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO {MARKER} VALUES ($1, now())")))
            .bind(scale)
            .execute(&p)
            .await
            .map_err(|e| e.to_string())?;
        p.close().await;
        let took = started.elapsed();
        eprintln!("PostgreSQL demo loaded in {:.1} s", took.as_secs_f64());
        Demo::Generated(took)
    };
    admin.close().await;
    let p = pool(&url).await?;
    run(&p, "CREATE INDEX IF NOT EXISTS idx_bench_status_date ON tblinvoices (status, date)".into()).await?;
    let state: Vec<String> = sqlx::query_scalar(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'tbldata\\_builder\\_%' AND tablename <> $1",
    )
    .bind(MARKER)
    .fetch_all(&p)
    .await
    .map_err(|e| e.to_string())?;
    for t in state {
        run(&p, format!("DROP TABLE \"{t}\"")).await?;
    }
    run(&p, "ANALYZE tblinvoices".into()).await?;
    p.close().await;
    Ok(Pg { url, demo, version })
}
