//! Several real `databuilder serve` processes against one target database and
//! one state database (SPEC §8), on MariaDB and PostgreSQL — with the state
//! tables in the target database, and with a separate `state_url` while the
//! target is reached through a read-only user. Skipped (with a printed reason)
//! when `DATABUILDER_TEST_MYSQL_URL` / `DATABUILDER_TEST_POSTGRES_URL` are unset;
//! the Redis case also needs `DATABUILDER_TEST_REDIS_URL`.
//!
//! What is shown: one exact rate limit across instances (SQL store and Redis),
//! nonces refused on another instance, revocation / rotation / scope changes on
//! every instance within 5 s (worst case of 20 trials printed), definitions and
//! catalog changes everywhere, and one audit chain that `logs verify` checks
//! with tampering detected in the records of each instance.

mod cluster;

use std::time::{Duration, Instant};

use databuilder::security::auth::signature_message;
use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::Db;
use futures_util::future::join_all;
use hmac::{Hmac, Mac};
use serde_json::Value as J;
use sha2::Sha256;

use cluster::{Cluster, Layout, eventually, exec_raw, start};

/// The SPEC's bound for revocations and scope changes (§7).
const PROPAGATION: Duration = Duration::from_secs(5);

/// Wait, if needed, so that at least `need` seconds remain in the current unix minute.
async fn room_in_this_minute(need: i64) {
    let sec = chrono::Utc::now().timestamp().rem_euclid(60);
    if 60 - sec < need {
        tokio::time::sleep(Duration::from_millis(((60 - sec) * 1000 + 1000) as u64)).await;
    }
}

/// 400 concurrent requests of a `--rate 100` token, spread over the instances,
/// inside one window: exactly 100 answered, 300 refused with correct headers.
async fn exact_shared_limit(c: &Cluster) {
    let t = c.token(&["--table", "invoices:r", "--rate", "100"]);
    let token = t["token"].as_str().unwrap().to_string();
    room_in_this_minute(25).await;
    let window = chrono::Utc::now().timestamp() / 60;
    let reqs = (0..400).map(|i| {
        let url = format!("{}/invoices?per_page=1", c.bases[i % c.bases.len()]);
        let rb = c.client.get(url).bearer_auth(&token);
        async move {
            let r = rb.send().await.expect("request");
            let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
            let head = (r.status().as_u16(), h("x-ratelimit-limit"), h("x-ratelimit-remaining"), h("retry-after"));
            let body = r.text().await.unwrap_or_default();
            (head, body)
        }
    });
    let results = join_all(reqs).await;
    assert_eq!(chrono::Utc::now().timestamp() / 60, window, "the burst stayed inside one window");
    let ok = results.iter().filter(|((s, ..), _)| *s == 200).count();
    let limited = results.iter().filter(|((s, ..), _)| *s == 429).count();
    let others: Vec<String> =
        results.iter().filter(|((s, ..), _)| *s != 200 && *s != 429).map(|((s, ..), b)| format!("{s} {b}")).collect();
    assert!(others.is_empty(), "{} answers neither 200 nor 429, e.g. {:?}", others.len(), others.first());
    assert_eq!((ok, limited), (100, 300), "one shared, exact limit");
    for ((status, limit, remaining, retry), body) in &results {
        assert_eq!(limit.as_deref(), Some("100"));
        if *status == 429 {
            assert_eq!(remaining.as_deref(), Some("0"));
            let retry: u64 = retry.as_deref().expect("Retry-After on 429").parse().unwrap();
            assert!((1..=60).contains(&retry));
            assert!(!body.contains("\"data\""), "a refused read carries no data");
        } else {
            assert!(retry.is_none());
        }
    }
    let mut remaining: Vec<u32> = results
        .iter()
        .filter(|((s, ..), _)| *s == 200)
        .map(|((_, _, r, _), _)| r.as_deref().unwrap().parse().unwrap())
        .collect();
    remaining.sort_unstable();
    assert_eq!(remaining, (0..100).collect::<Vec<_>>(), "each answered request got its own count");
}

fn sign(secret: &str, path: &str, query: &str, ts: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signature_message("GET", path, query, b"", ts).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A signed request accepted by one instance is a replay on every other.
async fn nonce_replayed_elsewhere(c: &Cluster) {
    let t = c.token(&["--table", "invoices:r", "--hmac"]);
    let (token, secret) = (t["token"].as_str().unwrap(), t["hmac_secret"].as_str().unwrap());
    let path = "/api/data_builder/v1/invoices";
    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = sign(secret, path, "per_page=1", &ts);
    let send = |i: usize| {
        let origin = c.bases[i].trim_end_matches("/api/data_builder/v1");
        c.client
            .get(format!("{origin}{path}?per_page=1"))
            .bearer_auth(token)
            .header("x-signature", &sig)
            .header("x-timestamp", &ts)
            .header("x-nonce", "multi-once")
            .send()
    };
    assert_eq!(send(0).await.unwrap().status(), 200);
    for i in 1..c.bases.len() {
        let r = send(i).await.unwrap();
        assert_eq!(r.status(), 401, "replay on instance {i}");
        assert!(r.text().await.unwrap().contains("replay"));
    }
}

/// Every instance answers `path` for `token` with `status`.
async fn all_answer(c: &Cluster, token: &str, path: &str, status: u16) -> bool {
    statuses(c, token, path).await.iter().all(|s| *s == status)
}

async fn statuses(c: &Cluster, token: &str, path: &str) -> Vec<u16> {
    join_all((0..c.bases.len()).map(|i| c.get(i, token, path))).await.into_iter().map(|(s, _)| s).collect()
}

/// These tests start several servers each; one at a time keeps the host sane.
static ONE_CLUSTER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Revocation, rotation and scope change, made with the CLI while every
/// instance has the token cached, seen by all within 5 s; `trials` rounds.
async fn token_changes_everywhere(c: &Cluster, trials: usize) {
    let mut worst = (Duration::ZERO, "");
    for trial in 0..trials {
        let t = c.token(&["--table", "invoices:r", "--table", "clients:r"]);
        let (id, token) = (t["id"].as_i64().unwrap().to_string(), t["token"].as_str().unwrap().to_string());
        let warm = statuses(c, &token, "/clients?per_page=1").await;
        assert!(warm.iter().all(|s| *s == 200), "warm every cache: {warm:?}");
        let kind = ["revoke", "rotate", "update"][trial % 3];
        let took = match kind {
            "revoke" => {
                c.cli(&["token", "revoke", &id]);
                eventually("revocation", PROPAGATION, || all_answer(c, &token, "/invoices?per_page=1", 401)).await
            }
            "rotate" => {
                let out: J = serde_json::from_str(c.cli(&["token", "rotate", &id, "--json"]).trim()).unwrap();
                let fresh = out["token"].as_str().unwrap().to_string();
                let changed = Instant::now();
                eventually("rotation", PROPAGATION, || all_answer(c, &token, "/invoices?per_page=1", 401)).await;
                assert!(all_answer(c, &fresh, "/invoices?per_page=1", 200).await, "the new secret works everywhere");
                changed.elapsed()
            }
            _ => {
                c.cli(&["token", "update", &id, "--table", "invoices:r"]);
                let took =
                    eventually("scope change", PROPAGATION, || all_answer(c, &token, "/clients?per_page=1", 403)).await;
                assert!(all_answer(c, &token, "/invoices?per_page=1", 200).await, "the remaining grant still works");
                took
            }
        };
        if took > worst.0 {
            worst = (took, kind);
        }
    }
    println!(
        "[{:?}] token changes reached all {} instances: worst case {} ms ({}) over {trials} trials",
        c.dialect,
        c.bases.len(),
        worst.0.as_millis(),
        worst.1
    );
}

/// A view changed (with the CLI) answers the new way on every instance at once.
async fn definitions_everywhere(c: &Cluster) {
    let admin = c.token(&["--admin"])["token"].as_str().unwrap().to_string();
    let file = c.config.with_file_name("multi-view.toml");
    let apply = |fields: &str| {
        std::fs::write(
            &file,
            format!("slug = \"multi\"\nname = \"Multi\"\nresource = \"invoices\"\nfields = {fields}\n"),
        )
        .unwrap();
        c.cli(&["views", "apply", file.to_str().unwrap()]);
    };
    let keys = |body: &J| {
        let mut k: Vec<String> = body["data"][0].as_object().expect("a row").keys().cloned().collect();
        k.sort();
        k
    };
    apply("[\"id\", \"total\"]");
    for i in 0..c.bases.len() {
        let (s, body) = c.get(i, &admin, "/views/multi?per_page=1").await;
        assert_eq!((s, keys(&body)), (200, vec!["id".to_string(), "total".to_string()]), "instance {i}");
    }
    apply("[\"id\", \"date\"]");
    for i in 0..c.bases.len() {
        let (s, body) = c.get(i, &admin, "/views/multi?per_page=1").await;
        assert_eq!((s, keys(&body)), (200, vec!["date".to_string(), "id".to_string()]), "instance {i}, at once");
    }
}

/// A table a module adds appears everywhere within the reload interval; a
/// dropped column stops being served.
async fn catalog_everywhere(c: &Cluster) {
    let admin = c.token(&["--admin"])["token"].as_str().unwrap().to_string();
    let db = &c.target_admin;
    exec_raw(db, "CREATE TABLE tblmulti_module (id INT PRIMARY KEY, label VARCHAR(50), note VARCHAR(50))").await;
    exec_raw(db, "INSERT INTO tblmulti_module (id, label, note) VALUES (1, 'one', 'kept')").await;
    let row_has = |want_label: bool| {
        let admin = admin.clone();
        async move {
            let all = join_all((0..c.bases.len()).map(|i| c.get(i, &admin, "/multi_module"))).await;
            all.iter().all(|(s, b)| *s == 200 && b["data"][0].get("label").is_some() == want_label)
        }
    };
    let appeared = eventually("new table on every instance", Duration::from_secs(10), || row_has(true)).await;
    exec_raw(db, "ALTER TABLE tblmulti_module DROP COLUMN label").await;
    let dropped = eventually("dropped column gone everywhere", Duration::from_secs(10), || row_has(false)).await;
    println!(
        "[{:?}] catalog (reload 1s): new table everywhere after {} ms, dropped column after {} ms",
        c.dialect,
        appeared.as_millis(),
        dropped.as_millis()
    );
}

/// `logs verify` over the records of every instance; an edit in the records of
/// each instance is detected (one chain, serialised by the append lock).
async fn audit_chain_of_all_instances(c: &mut Cluster) {
    let t = c.token(&["--table", "invoices:r"])["token"].as_str().unwrap().to_string();
    for i in 0..c.bases.len() {
        for _ in 0..5 {
            assert_eq!(c.get(i, &t, &format!("/invoices?per_page={}", 11 + i)).await.0, 200);
        }
    }
    c.stop_gracefully();
    let (ok, out) = c.cli_status(&["logs", "verify", "--json"]);
    let report: J = serde_json::from_str(out.trim()).unwrap();
    assert!(ok && report["ok"] == true, "{out}");
    assert!(report["rows"].as_u64().unwrap() >= 5 * c.bases.len() as u64);
    let state = &c.state;
    for i in 0..c.bases.len() {
        let id = record_of(state, &format!("%per_page={}", 11 + i)).await;
        exec_raw(state, &format!("UPDATE tbldata_builder_api_logs SET status = 299 WHERE id = {id}")).await;
        let (ok, out) = c.cli_status(&["logs", "verify", "--json"]);
        let report: J = serde_json::from_str(out.trim()).unwrap();
        assert!(!ok && report["ok"] == false, "an edit in instance {i}'s records is detected: {out}");
        assert_eq!(report["first_bad_id"], id, "{out}");
        exec_raw(state, &format!("UPDATE tbldata_builder_api_logs SET status = 200 WHERE id = {id}")).await;
        let (ok, out) = c.cli_status(&["logs", "verify", "--json"]);
        assert!(ok, "restored: {out}");
    }
    let middle = record_of(state, "%per_page=12").await;
    exec_raw(state, &format!("DELETE FROM tbldata_builder_api_logs WHERE id = {middle}")).await;
    let (ok, out) = c.cli_status(&["logs", "verify", "--json"]);
    assert!(!ok, "a deleted record is detected: {out}");
}

/// The id of one audit record whose path matches `like`.
async fn record_of(state: &Db, like: &str) -> i64 {
    let sql = databuilder_engine::sql::Sql::fixed_table(
        state.dialect(),
        "SELECT MIN(id) FROM {t} WHERE path LIKE ?",
        "tbldata_builder_api_logs",
        vec![databuilder_engine::value::Value::Text(like.into())],
    );
    state.fetch_i64(&sql).await.expect("query").expect("a record of that instance")
}

async fn whole_story(dialect: Dialect, layout: Layout) {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let Some(mut c) = start(dialect, layout, 3, None).await else { return };
    exact_shared_limit(&c).await;
    nonce_replayed_elsewhere(&c).await;
    token_changes_everywhere(&c, 20).await;
    definitions_everywhere(&c).await;
    catalog_everywhere(&c).await;
    audit_chain_of_all_instances(&mut c).await;
}

async fn with_redis(dialect: Dialect) {
    let Ok(redis) = std::env::var("DATABUILDER_TEST_REDIS_URL") else {
        eprintln!("skipping: DATABUILDER_TEST_REDIS_URL not set");
        return;
    };
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let Some(c) = start(dialect, Layout::SharedDatabase, 3, Some(&redis)).await else { return };
    exact_shared_limit(&c).await;
    nonce_replayed_elsewhere(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_instances_share_one_state() {
    whole_story(Dialect::MySql, Layout::SharedDatabase).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_share_one_state() {
    whole_story(Dialect::Postgres, Layout::SharedDatabase).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_separate_state_database_read_only_target() {
    whole_story(Dialect::MySql, Layout::SeparateStateReadOnlyTarget).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_separate_state_database_read_only_target() {
    whole_story(Dialect::Postgres, Layout::SeparateStateReadOnlyTarget).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_instances_share_redis() {
    with_redis(Dialect::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_share_redis() {
    with_redis(Dialect::Postgres).await;
}
