//! The audit log (stage 6, `state::audit`) on real databases: batching and
//! flush, the hash chain and its tamper detection, retention, two writers on one
//! table, redaction, and the `databuilder logs` command. SQLite always; MariaDB
//! and PostgreSQL when `DATABUILDER_TEST_MYSQL_URL` / `DATABUILDER_TEST_POSTGRES_URL`
//! are set (each test gets a fresh database, dropped at the end).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use databuilder::store::audit::{self, AuditLog, AuditRecord, redact_path};
use databuilder::store::{Store, now};
use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::Db;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;
use proptest::prelude::*;
use rand::RngCore;

const PREFIX: &str = "tbl";

/// A fresh database with the state tables.
struct Fixture {
    state: Store,
    url: String,
    cleanup: Option<(Dialect, String, String)>,
    dir: PathBuf,
}

fn random_name(prefix: &str) -> String {
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}_{}", hex::encode(b))
}

fn with_database(url: &str, db: &str) -> String {
    let (head, _) = url.rsplit_once('/').expect("URL with a database path");
    format!("{head}/{db}")
}

/// Run one literal statement (database setup only).
async fn exec_raw(db: &Db, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Db::MySql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("setup statement failed: {e}"));
}

/// A fresh database for `dialect`, or `None` (with a printed reason) when that
/// dialect's server is not configured.
async fn fixture(dialect: Dialect) -> Option<Fixture> {
    let dir = std::env::temp_dir().join(random_name("dbaudit"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (url, cleanup) = match dialect {
        Dialect::Sqlite => (format!("sqlite://{}", dir.join("audit.sqlite").display()), None),
        Dialect::MySql | Dialect::Postgres => {
            let var =
                if dialect == Dialect::MySql { "DATABUILDER_TEST_MYSQL_URL" } else { "DATABUILDER_TEST_POSTGRES_URL" };
            let Ok(server) = std::env::var(var) else {
                eprintln!("skipping: {var} not set");
                let _ = std::fs::remove_dir_all(&dir);
                return None;
            };
            let name = random_name("dba");
            let admin = Db::connect(&server, 1).await.expect("connect to the test server");
            exec_raw(&admin, &format!("CREATE DATABASE {name}")).await;
            admin.close().await;
            (with_database(&server, &name), Some((dialect, server, name)))
        }
    };
    let db = Db::connect(&url, 4).await.expect("connect");
    let state = Store::open(db, PREFIX).await.expect("state tables");
    Some(Fixture { state, url, cleanup, dir })
}

impl Fixture {
    /// Another server instance: its own pool on the same database and table.
    async fn another_instance(&self) -> Store {
        let db = Db::connect(&self.url, 4).await.expect("connect");
        Store::open(db, PREFIX).await.expect("state tables")
    }

    /// Run a literal statement on the audit table.
    async fn exec(&self, template: &'static str, params: Vec<Value>) -> u64 {
        let sql = Sql::fixed_table(self.state.db.dialect(), template, &self.state.table("api_logs"), params);
        self.state.db.execute(&sql).await.expect("statement").0
    }

    async fn count(&self) -> i64 {
        let sql = Sql::fixed_table(
            self.state.db.dialect(),
            "SELECT COUNT(*) FROM {t}",
            &self.state.table("api_logs"),
            vec![],
        );
        self.state.db.fetch_i64(&sql).await.expect("count").unwrap_or(0)
    }

    async fn ids(&self) -> Vec<i64> {
        let rows = audit::tail(&self.state, u32::MAX / 2).await.expect("tail");
        rows.iter().map(|r| r["id"].as_i64().expect("id")).collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let Some((dialect, server, name)) = self.cleanup.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(db) = Db::connect(&server, 1).await {
                    let sql = if dialect == Dialect::Postgres {
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    } else {
                        format!("DROP DATABASE IF EXISTS {name}")
                    };
                    exec_raw(&db, &sql).await;
                    db.close().await;
                }
            })
        })
        .join();
    }
}

/// One test per case per dialect.
macro_rules! each_dialect {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(f) = super::fixture(databuilder_engine::catalog::Dialect::Sqlite).await { super::$name(&f).await }
            } )*
        }
        mod mysql {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(f) = super::fixture(databuilder_engine::catalog::Dialect::MySql).await { super::$name(&f).await }
            } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(f) = super::fixture(databuilder_engine::catalog::Dialect::Postgres).await { super::$name(&f).await }
            } )*
        }
    };
}

each_dialect!(
    batches_and_flush,
    chain_verifies_and_detects_an_edit,
    detects_a_deleted_record,
    prune_keeps_the_chain_verifiable,
    two_writers_make_one_chain,
    stored_paths_never_hold_a_token,
    tail_and_stats,
);

fn rec(i: usize, created_at: NaiveDateTime) -> AuditRecord {
    AuditRecord {
        request_id: format!("r{i:06}"),
        token_id: (!i.is_multiple_of(3)).then_some(i as i64 % 7),
        client_ip: "203.0.113.9".into(),
        method: if i.is_multiple_of(2) { "GET" } else { "POST" }.into(),
        path: format!("/api/data_builder/v1/clients?page={i}&note=é \"quoted\""),
        status: 200,
        stage: None,
        duration_ms: i as u64,
        response_bytes: 100 + i as u64,
        created_at,
    }
}

fn recs(range: std::ops::Range<usize>, created_at: NaiveDateTime) -> Vec<AuditRecord> {
    range.map(|i| rec(i, created_at)).collect()
}

async fn assert_verifies(state: &Store, rows: u64) {
    let report = audit::verify(state).await.expect("verify");
    assert!(report.ok, "chain should verify: {report:?}");
    assert_eq!(report.rows, rows);
}

async fn batches_and_flush(f: &Fixture) {
    let log = AuditLog::start(f.state.clone());
    // Group commit: the writer takes what is queued at once (no batch timer; a
    // response waits for its record, SPEC §8), so the record arrives without a flush.
    log.record(rec(0, now()));
    let deadline = Instant::now() + Duration::from_secs(5);
    while f.count().await == 0 {
        assert!(Instant::now() < deadline, "the writer writes without a flush");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for i in 1..=1200 {
        log.record(rec(i, now()));
    }
    log.flush().await;
    assert_eq!(f.count().await, 1201, "flush waits for every record queued before it");
    assert_eq!(log.dropped(), 0);
    let last = audit::tail(&f.state, 2).await.expect("tail");
    assert_eq!(last[0]["request_id"], "r001199", "oldest first, in record order");
    assert_eq!(last[1]["request_id"], "r001200");
    assert_eq!(last[1]["id"], 1201);
    assert_verifies(&f.state, 1201).await;
}

async fn chain_verifies_and_detects_an_edit(f: &Fixture) {
    assert_verifies(&f.state, 0).await;
    audit::append(&f.state, &recs(0..4, now())).await.expect("append");
    audit::append(&f.state, &recs(4..10, now())).await.expect("append");
    assert_verifies(&f.state, 10).await;
    f.exec("UPDATE {t} SET status = 599 WHERE id = ?", vec![Value::Int(5)]).await;
    let report = audit::verify(&f.state).await.expect("verify");
    assert!(!report.ok);
    assert_eq!(report.first_bad_id, Some(5), "{report:?}");
    assert!(report.reason.as_deref().unwrap_or_default().contains("edited"), "{report:?}");
    // Put it back, then forge a row's hash consistently: the next row's link breaks.
    f.exec("UPDATE {t} SET status = 200 WHERE id = ?", vec![Value::Int(5)]).await;
    assert_verifies(&f.state, 10).await;
    f.exec("UPDATE {t} SET path = ? WHERE id = ?", vec![Value::Text("/forged".into()), Value::Int(8)]).await;
    assert_eq!(audit::verify(&f.state).await.expect("verify").first_bad_id, Some(8));
}

async fn detects_a_deleted_record(f: &Fixture) {
    audit::append(&f.state, &recs(0..10, now())).await.expect("append");
    f.exec("DELETE FROM {t} WHERE id = ?", vec![Value::Int(5)]).await;
    let report = audit::verify(&f.state).await.expect("verify");
    assert!(!report.ok);
    assert_eq!(report.first_bad_id, Some(6), "{report:?}");
    assert!(report.reason.as_deref().unwrap_or_default().contains("deleted"), "{report:?}");
}

async fn prune_keeps_the_chain_verifiable(f: &Fixture) {
    let old = now() - chrono::Duration::days(100);
    let recent = now() - chrono::Duration::hours(1);
    for chunk in [0..10, 10..20, 20..25] {
        audit::append(&f.state, &recs(chunk, old)).await.expect("append old");
    }
    audit::append(&f.state, &recs(25..35, recent)).await.expect("append recent");
    let deleted = audit::prune(&f.state, now() - chrono::Duration::days(90), 7).await.expect("prune");
    assert_eq!(deleted, 25);
    assert_eq!(f.ids().await, (26..=35).collect::<Vec<_>>(), "only the old prefix went");
    assert_verifies(&f.state, 10).await;
    assert_eq!(audit::prune(&f.state, now() - chrono::Duration::days(90), 7).await.expect("prune"), 0);

    // Everything is old: the newest record stays as the chain's anchor.
    let deleted = audit::prune(&f.state, now() + chrono::Duration::days(1), 4).await.expect("prune all");
    assert_eq!(deleted, 9);
    assert_eq!(f.ids().await, vec![35]);
    assert_verifies(&f.state, 1).await;
    audit::append(&f.state, &recs(35..40, now())).await.expect("append after prune");
    assert_eq!(f.ids().await, (35..=40).collect::<Vec<_>>(), "ids are never reused");
    assert_verifies(&f.state, 6).await;

    // Tampering after a prune is still caught.
    f.exec("DELETE FROM {t} WHERE id = ?", vec![Value::Int(37)]).await;
    assert_eq!(audit::verify(&f.state).await.expect("verify").first_bad_id, Some(38));
}

async fn two_writers_make_one_chain(f: &Fixture) {
    let logs = [AuditLog::start(f.state.clone()), AuditLog::start(f.another_instance().await)];
    let mut tasks = Vec::new();
    for (w, log) in logs.iter().enumerate() {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            for chunk in 0..20 {
                for i in 0..60 {
                    log.record(rec(w * 100_000 + chunk * 100 + i, now()));
                }
                if chunk % 2 == w {
                    log.flush().await;
                }
            }
            log.flush().await;
        }));
    }
    for t in tasks {
        t.await.expect("writer task");
    }
    assert_eq!(logs[0].dropped() + logs[1].dropped(), 0, "no batch gave up");
    assert_eq!(f.count().await, 2400);
    assert_eq!(f.ids().await, (1..=2400).collect::<Vec<_>>(), "one gapless sequence");
    assert_verifies(&f.state, 2400).await;
}

async fn stored_paths_never_hold_a_token(f: &Fixture) {
    let token = format!("dba_{}", random_name("x"));
    let query = format!("limit=5&token={token}&access_token={token}&filter[password]=hunter2&Api-Key=k3y");
    let log = AuditLog::start(f.state.clone());
    log.record(AuditRecord { path: redact_path("/api/data_builder/v1/clients", Some(&query)), ..rec(1, now()) });
    log.flush().await;
    let rows = audit::tail(&f.state, 10).await.expect("tail");
    let dump = serde_json::to_string(&rows).expect("json");
    for secret in [token.as_str(), "hunter2", "k3y"] {
        assert!(!dump.contains(secret), "{secret} stored: {dump}");
    }
    assert_eq!(
        rows[0]["path"],
        "/api/data_builder/v1/clients?limit=5&token=REDACTED&access_token=REDACTED&filter[password]=REDACTED&Api-Key=REDACTED"
    );
}

async fn tail_and_stats(f: &Fixture) {
    let shapes: [(u16, Option<&'static str>, u64); 6] = [
        (200, None, 5),
        (201, None, 10),
        (304, None, 1),
        (401, Some("auth"), 2),
        (429, Some("rate"), 3),
        (500, None, 80),
    ];
    let records: Vec<AuditRecord> = shapes
        .iter()
        .enumerate()
        .map(|(i, &(status, stage, ms))| AuditRecord { status, stage, duration_ms: ms, ..rec(i, now()) })
        .collect();
    audit::append(&f.state, &[rec(99, now() - chrono::Duration::days(3))]).await.expect("append old");
    audit::append(&f.state, &records).await.expect("append");
    let last = audit::tail(&f.state, 3).await.expect("tail");
    assert_eq!(last.iter().map(|r| r["id"].as_i64().unwrap_or(0)).collect::<Vec<_>>(), vec![5, 6, 7]);
    assert_eq!(last[1]["stage"], "rate");
    assert!(last[0]["created_at"].as_str().unwrap_or_default().ends_with('Z'));
    let s = audit::stats(&f.state, now() - chrono::Duration::hours(24)).await.expect("stats");
    assert_eq!(s["count"], 6, "{s}");
    assert_eq!(s["by_status"], serde_json::json!({"2xx": 2, "3xx": 1, "4xx": 2, "5xx": 1, "other": 0}));
    assert_eq!(s["by_stage"]["handler"], 4);
    assert_eq!(s["by_stage"]["auth"], 1);
    assert_eq!(s["by_stage"]["rate"], 1);
    assert_eq!(s["duration_ms"]["p50"], 3);
    assert_eq!(s["duration_ms"]["p95"], 80);
    assert_eq!(s["duration_ms"]["sample"], 6);
}

// ---------------------------------------------------------------- redaction, by property

const SECRET_NAMES: [&str; 14] = [
    "token",
    "access_token",
    "signature",
    "password",
    "PassWord",
    "filter[password]",
    "filter%5Bpasswd%5D",
    "client_secret",
    "API_KEY",
    "apikey",
    "x-auth",
    "hash",
    "salt",
    "sessionKey",
];
const PLAIN_NAMES: [&str; 5] = ["limit", "page", "sort", "filter[status]", "include"];

/// (name, value, secret?) parameters: secret values are marked `s3cr…` so they
/// cannot occur anywhere else in the output by chance.
fn params() -> impl Strategy<Value = Vec<(String, String, bool)>> {
    let secret = (prop::sample::select(&SECRET_NAMES[..]), "[a-z0-9%._~+-]{1,24}")
        .prop_map(|(n, v)| (n.to_string(), format!("s3cr{v}"), true));
    let plain =
        (prop::sample::select(&PLAIN_NAMES[..]), "[A-Z0-9._~-]{0,12}").prop_map(|(n, v)| (n.to_string(), v, false));
    prop::collection::vec(prop_oneof![secret, plain], 0..12)
}

proptest! {
    #[test]
    fn redact_path_never_keeps_a_secret_value(ps in params()) {
        let query = ps.iter().map(|(n, v, _)| format!("{n}={v}")).collect::<Vec<_>>().join("&");
        let out = redact_path("/api/data_builder/v1/clients", Some(&query));
        for (_, v, secret) in &ps {
            if *secret {
                prop_assert!(!out.contains(v.as_str()), "{} kept in {}", v, out);
            }
        }
        // Names and order are kept; plain values are untouched.
        let (_, q) = out.split_once('?').unwrap_or((&out, ""));
        let pairs: Vec<&str> = if ps.is_empty() { vec![] } else { q.split('&').collect() };
        prop_assert_eq!(pairs.len(), ps.len());
        for ((n, v, secret), pair) in ps.iter().zip(pairs) {
            let expected = if *secret { format!("{n}=REDACTED") } else { format!("{n}={v}") };
            prop_assert_eq!(pair, expected);
        }
    }

    #[test]
    fn redact_path_hides_any_token_value(name in "[a-z_]{1,10}", body in "[A-Za-z0-9_-]{43}") {
        let token = format!("dba_{body}");
        let out = redact_path("/x", Some(&format!("{name}={token}&a=1")));
        prop_assert!(!out.contains(&body), "{}", out);
    }
}

// ---------------------------------------------------------------- the command line

fn cli(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_databuilder"))
        .args(args)
        .args(["--database-url", url])
        .env_remove("DATABUILDER_DATABASE_URL")
        .output()
        .expect("run databuilder")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_command() {
    let Some(f) = fixture(Dialect::Sqlite).await else { return };
    audit::append(&f.state, &recs(0..5, now() - chrono::Duration::days(200))).await.expect("append");
    audit::append(&f.state, &recs(5..8, now())).await.expect("append");

    let help = String::from_utf8_lossy(&cli(&f.url, &["logs", "--help"]).stdout).to_string();
    for sub in ["tail", "prune", "stats", "verify"] {
        assert!(help.contains(sub), "{help}");
    }
    let prune_help = String::from_utf8_lossy(&cli(&f.url, &["logs", "prune", "--help"]).stdout).to_string();
    assert!(prune_help.contains("--older-than"), "{prune_help}");

    let out = cli(&f.url, &["logs", "tail", "-n", "2", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("tail --json");
    assert_eq!(rows[0]["id"], 7);
    assert_eq!(rows[1]["id"], 8);
    let out = cli(&f.url, &["logs", "tail"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 8);

    let out = cli(&f.url, &["logs", "stats", "--since", "1h"]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    assert_eq!(stats["count"], 3);

    let out = cli(&f.url, &["logs", "prune", "--older-than", "90d"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("deleted 5 "), "{out:?}");

    let out = cli(&f.url, &["logs", "verify"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 3 "), "{out:?}");

    f.exec("UPDATE {t} SET response_bytes = 1 WHERE id = ?", vec![Value::Int(7)]).await;
    let out = cli(&f.url, &["logs", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("record 7"), "{out:?}");
    let out = cli(&f.url, &["logs", "verify", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("verify --json");
    assert_eq!(report["first_bad_id"], 7);
    assert_eq!(report["ok"], false);
}
