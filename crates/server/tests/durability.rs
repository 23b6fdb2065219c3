//! Audit durability with real processes (SPEC §8, issue 14): the built
//! `databuilder` binary serves a fresh demo database while 8 client tasks send
//! `GET /taxes?per_page=1` with an admin token; after about 3 s the server is
//! killed (`kill -9`) or stopped (SIGTERM). Every `X-Request-Id` that was
//! answered 200 must have its audit record. SQLite always; MariaDB and PostgreSQL
//! when `DATABUILDER_TEST_MYSQL_URL` / `DATABUILDER_TEST_POSTGRES_URL` are set
//! (each case gets a fresh database, dropped at the end).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use databuilder_engine::catalog::{ColumnKind, Dialect};
use databuilder_engine::exec::Db;
use databuilder_engine::sql::Sql;
use rand::RngCore;

const CLIENTS: usize = 8;
const LOAD: Duration = Duration::from_secs(3);

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_databuilder"))
}

fn random_name(prefix: &str) -> String {
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}_{}", hex::encode(b))
}

/// A fresh database for `dialect` (and a working directory for the key file),
/// or `None` with a printed reason.
struct Target {
    url: String,
    dir: PathBuf,
    drop_db: Option<(String, String)>,
}

async fn raw(db: &Db, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Db::MySql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("setup statement failed: {e}"));
}

async fn target(dialect: Dialect) -> Option<Target> {
    let dir = std::env::temp_dir().join(random_name("dbdur"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let var = match dialect {
        Dialect::Sqlite => {
            let url = format!("sqlite://{}", dir.join("demo.sqlite").display());
            return Some(Target { url, dir, drop_db: None });
        }
        Dialect::MySql => "DATABUILDER_TEST_MYSQL_URL",
        Dialect::Postgres => "DATABUILDER_TEST_POSTGRES_URL",
    };
    let Ok(server) = std::env::var(var) else {
        eprintln!("skipping: {var} not set");
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    };
    let name = random_name("dbadur");
    let admin = Db::connect(&server, 1).await.expect("connect to the test server");
    raw(&admin, &format!("CREATE DATABASE {name}")).await;
    admin.close().await;
    let (head, _) = server.rsplit_once('/').expect("URL with a database");
    Some(Target { url: format!("{head}/{name}"), dir, drop_db: Some((server, name)) })
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let Some((server, name)) = self.drop_db.take() else { return };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(db) = Db::connect(&server, 1).await {
                    let force = if db.dialect() == Dialect::Postgres { " WITH (FORCE)" } else { "" };
                    raw(&db, &format!("DROP DATABASE IF EXISTS {name}{force}")).await;
                    db.close().await;
                }
            })
        })
        .join();
    }
}

fn run_cli(t: &Target, args: &[&str]) -> String {
    let out = bin().current_dir(&t.dir).args(args).args(["--database-url", &t.url]).output().expect("run databuilder");
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Load the demo, create an admin token, start `serve`; the child, its address, the token.
fn start(t: &Target) -> (Child, String, String) {
    run_cli(t, &["demo-load", "--scale", "0.01"]);
    let created: serde_json::Value = serde_json::from_str(&run_cli(
        t,
        &["token", "create", "--name", "load", "--admin", "--rate", "1000000000", "--json"],
    ))
    .expect("json");
    let token = created["token"].as_str().expect("token").to_string();
    let mut child = bin()
        .current_dir(&t.dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &t.url])
        .env("DATABUILDER_LOG", "warn")
        // The per-IP throttle still runs on every request, but never answers 429.
        .env("DATABUILDER_SECURITY_IP_RATE", "1000000000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut addr = None;
    for line in reader.lines() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("Listening on http://") {
            addr = rest.split(' ').next().map(str::to_string);
            break;
        }
    }
    (child, addr.expect("the server printed its address"), token)
}

/// Send requests from `CLIENTS` tasks until the server goes away; the request
/// ids answered 200.
async fn load(addr: &str, token: &str, stop: impl FnOnce()) -> Vec<String> {
    let done = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let url = format!("http://{addr}/api/data_builder/v1/taxes?per_page=1");
        let token = token.to_string();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
            let mut ok = Vec::new();
            let mut failures = 0;
            while failures < 3 {
                match client.get(&url).bearer_auth(&token).send().await {
                    Ok(res) if res.status() == 200 => {
                        let id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
                        // The answer counts once its head arrived; the body may be cut by the kill.
                        ok.push(id.expect("every response has an X-Request-Id"));
                        let _ = res.bytes().await;
                    }
                    Ok(res) => assert_eq!(res.status(), 503, "only 200, or 503 while stopping"),
                    Err(_) if done.load(Ordering::Relaxed) => failures += 1,
                    Err(e) => panic!("request failed before the stop: {e}"),
                }
            }
            ok
        }));
    }
    tokio::time::sleep(LOAD).await;
    done.store(true, Ordering::Relaxed);
    stop();
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.expect("client task"));
    }
    ids
}

async fn recorded(t: &Target) -> HashSet<String> {
    let db = Db::connect(&t.url, 1).await.expect("connect");
    let sql = Sql::fixed_table(db.dialect(), "SELECT request_id FROM {t}", "tbldata_builder_api_logs", vec![]);
    let rows = db.fetch_all(&sql, &[Some(ColumnKind::Text)]).await.expect("read the audit table");
    db.close().await;
    rows.iter().filter_map(|r| r.first().and_then(|v| v.as_str()).map(str::to_string)).collect()
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().expect("kill").success();
    assert!(ok, "kill {sig}");
}

async fn no_answer_without_record(dialect: Dialect, sig: &'static str) {
    let Some(t) = target(dialect).await else { return };
    let (mut child, addr, token) = start(&t);
    let answered = load(&addr, &token, || signal(&child, sig)).await;
    let status = child.wait().expect("wait");
    if sig == "-TERM" {
        assert!(status.success(), "a graceful stop exits cleanly: {status}");
    }
    assert!(answered.len() > 20, "the load ran: {} answers", answered.len());
    let stored = recorded(&t).await;
    let missing: Vec<&String> = answered.iter().filter(|id| !stored.contains(*id)).collect();
    eprintln!("{dialect:?} {sig}: {} answered 200, {} without a record", answered.len(), missing.len());
    assert!(missing.is_empty(), "{} of {} answered requests have no audit record", missing.len(), answered.len());
    verify_chain(&t);
}

fn verify_chain(t: &Target) {
    let out = run_cli(t, &["logs", "verify"]);
    assert!(out.starts_with("ok:"), "the chain verifies: {out}");
}

macro_rules! cases {
    ($($name:ident: $dialect:ident, $sig:literal;)*) => {
        $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            no_answer_without_record(Dialect::$dialect, $sig).await
        } )*
    };
}

cases! {
    sqlite_kill_9: Sqlite, "-KILL";
    sqlite_sigterm: Sqlite, "-TERM";
    mysql_kill_9: MySql, "-KILL";
    mysql_sigterm: MySql, "-TERM";
    postgres_kill_9: Postgres, "-KILL";
    postgres_sigterm: Postgres, "-TERM";
}

/// Run one statement on the target database from outside the server.
async fn outside(t: &Target, sql: &str) {
    let db = Db::connect(&t.url, 1).await.expect("connect");
    raw(&db, sql).await;
    db.close().await;
}

/// The audit store cannot write (its table is gone): the API answers 503
/// problem+json instead of data; once the table is back it serves again, and the
/// record of the refused request is written as the 503 it was.
async fn store_down_answers_503(dialect: Dialect) {
    let Some(t) = target(dialect).await else { return };
    let (mut child, addr, token) = start(&t);
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/data_builder/v1/taxes?per_page=1");
    assert_eq!(client.get(&url).bearer_auth(&token).send().await.expect("send").status(), 200);
    outside(&t, "ALTER TABLE tbldata_builder_api_logs RENAME TO tbldata_builder_api_logs_away").await;
    let res = client.get(&url).bearer_auth(&token).send().await.expect("send");
    assert_eq!(res.status(), 503, "no data served without its record");
    let refused = res.headers()["x-request-id"].to_str().expect("id").to_string();
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert!(!body.to_string().contains("api_logs"), "no database text: {body}");
    outside(&t, "ALTER TABLE tbldata_builder_api_logs_away RENAME TO tbldata_builder_api_logs").await;
    let mut status = 0;
    for _ in 0..50 {
        status = client.get(&url).bearer_auth(&token).send().await.expect("send").status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "serves again once the store is back");
    signal(&child, "-TERM");
    assert!(child.wait().expect("wait").success());
    let db = Db::connect(&t.url, 1).await.expect("connect");
    let sql = Sql::fixed_table(
        db.dialect(),
        "SELECT status, stage FROM {t} WHERE request_id = ?",
        "tbldata_builder_api_logs",
        vec![databuilder_engine::value::Value::Text(refused)],
    );
    let rows = db.fetch_all(&sql, &[Some(ColumnKind::Int), Some(ColumnKind::Text)]).await.expect("read");
    assert_eq!(rows.len(), 1, "the refused request is recorded once");
    assert_eq!(rows[0][0].as_i64(), Some(503));
    assert_eq!(rows[0][1].as_str(), Some("audit"));
    verify_chain(&t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_down() {
    store_down_answers_503(Dialect::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_store_down() {
    store_down_answers_503(Dialect::MySql).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_store_down() {
    store_down_answers_503(Dialect::Postgres).await
}
