//! Operations: the load-balancer probes (`/health`, `/ready`), the Redis rate
//! store (exact windows, nonces, fail-closed when Redis is down and recovery
//! without a restart when it returns) and the Prometheus listener, scraped.
//!
//! Redis cases: the down/up case starts its own `redis-server` on a free port
//! (skipped when the binary is missing); the others use the Redis named by
//! `DATABUILDER_TEST_REDIS_URL` (skipped when unset), each with its own key prefix.

use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use databuilder::config::Config;
use databuilder::security::auth::signature_message;
use databuilder_engine::catalog::Dialect;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::each_dialect;
use crate::helpers::{Resp, TestApp, read, spawn_app_with};
use crate::redis_server::{self, RedisServer};

fn root(app: &TestApp) -> String {
    format!("http://{}/api/data_builder", app.addr())
}

/// A signed GET of `/invoices?per_page=1` with `nonce`.
async fn signed_get(app: &TestApp, token: &str, secret: &str, nonce: &str) -> Resp {
    let path = "/api/data_builder/v1/invoices";
    let ts = chrono::Utc::now().timestamp().to_string();
    let msg = signature_message("GET", path, "per_page=1", b"", &ts);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(msg.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let url = format!("http://{}{path}?per_page=1", app.addr());
    read(
        app.client
            .get(url)
            .bearer_auth(token)
            .header("x-signature", sig)
            .header("x-timestamp", ts)
            .header("x-nonce", nonce),
    )
    .await
}

async fn probes(app: &TestApp) {
    let health = read(app.client.get(format!("{}/health", root(app)))).await;
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"), "outer layers apply");
    assert_eq!(health.header("x-frame-options"), Some("DENY"));
    assert!(health.header("x-request-id").is_some());
    let ready = read(app.client.get(format!("{}/ready", root(app)))).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    let checks = &ready.json()["checks"];
    for dep in ["database", "state", "rate_store"] {
        assert_eq!(checks[dep], "ok", "{}", ready.text);
    }
    assert_eq!(ready.header("cache-control"), Some("no-store, no-cache, must-revalidate"));
    // Probes take no token: a bearer header is neither needed nor checked.
    let with_junk = read(app.client.get(format!("{}/health", root(app))).bearer_auth("dba_nonsense")).await;
    assert_eq!(with_junk.status, 200);
    let post = read(app.client.post(format!("{}/ready", root(app)))).await;
    assert_eq!(post.status, 405, "only GET: {}", post.text);
}

each_dialect!(probes);

static DOWN_UP_PORT: AtomicU16 = AtomicU16::new(0);

fn redis_on_down_up_port(cfg: &mut Config) {
    cfg.state.redis_url = format!("redis://127.0.0.1:{}", DOWN_UP_PORT.load(Ordering::SeqCst));
}

/// Poll `url` until it answers `status` (Redis reconnects in the background).
async fn until_status(app: &TestApp, what: &str, rb: impl Fn() -> reqwest::RequestBuilder, status: u16) -> Resp {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = read(rb()).await;
        if r.status == status {
            return r;
        }
        assert!(Instant::now() < deadline, "{what}: still {} after 15 s: {}", r.status, r.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = app;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_closed_and_recovers_without_a_restart() {
    if !redis_server::available() {
        return;
    }
    let mut redis = RedisServer::on_free_port();
    DOWN_UP_PORT.store(redis.port, Ordering::SeqCst);
    let app = spawn_app_with(Dialect::Sqlite, redis_on_down_up_port).await.expect("sqlite app");
    let t = app.token(&["--table", "invoices:r"]).await;
    let (signer, secret) = app.hmac_token(&["--table", "invoices:r"]).await;
    let url = format!("{}/invoices?per_page=1", app.base);
    let get = || app.client.get(&url).bearer_auth(&t);
    let ready = || app.client.get(format!("{}/ready", root(&app)));

    // Redis has never been up: not ready, naming Redis; requests fail closed.
    let r = read(ready()).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert!(r.json()["errors"]["redis"].is_array(), "names the failed store: {}", r.text);
    assert!(r.json()["detail"].as_str().unwrap().contains("redis"), "{}", r.text);
    assert!(r.json()["errors"].get("database").is_none(), "the database is fine: {}", r.text);
    let r = read(get()).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.json()["type"], "https://databuilder.dev/problems/rate-store-unavailable");
    assert!(!r.text.contains("\"data\""));
    let s = signed_get(&app, &signer, &secret, "down-1").await;
    assert_eq!(s.status, 503, "a nonce that cannot be recorded is refused: {}", s.text);
    assert_eq!(s.json()["type"], "https://databuilder.dev/problems/nonce-store-unavailable");

    // Redis comes up: the same process recovers.
    redis.start();
    until_status(&app, "ready after Redis started", ready, 200).await;
    let r = until_status(&app, "request after Redis started", get, 200).await;
    assert!(r.header("x-ratelimit-remaining").is_some());
    let s = signed_get(&app, &signer, &secret, "up-1").await;
    assert_eq!(s.status, 200, "{}", s.text);

    // Redis goes away under an established connection, then returns.
    redis.stop();
    until_status(&app, "request after Redis stopped", get, 503).await;
    let r = read(ready()).await;
    assert_eq!(r.status, 503, "{}", r.text);
    redis.start();
    until_status(&app, "request after Redis restarted", get, 200).await;
    let s = signed_get(&app, &signer, &secret, "up-1").await;
    assert_eq!(s.status, 200, "a fresh Redis forgot the nonce (the window lives in Redis): {}", s.text);
    redis.stop();
}

/// The shared test Redis, with a key prefix of its own.
fn shared_redis(cfg: &mut Config) {
    if let Ok(url) = std::env::var("DATABUILDER_TEST_REDIS_URL") {
        let mut b = [0u8; 6];
        rand::thread_rng().fill_bytes(&mut b);
        cfg.state.redis_url = url;
        cfg.state.redis_prefix = format!("dbtest_{}:", hex::encode(b));
    }
}

async fn on_redis(case: &str) -> Option<TestApp> {
    if std::env::var("DATABUILDER_TEST_REDIS_URL").is_err() {
        eprintln!("skipping {case}: DATABUILDER_TEST_REDIS_URL not set");
        return None;
    }
    spawn_app_with(Dialect::Sqlite, shared_redis).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_windows_are_exact_and_nonces_single_use() {
    let Some(app) = on_redis("redis_windows_are_exact_and_nonces_single_use").await else { return };
    let r = read(app.client.get(format!("{}/ready", root(&app)))).await;
    assert_eq!(r.json()["checks"]["redis"], "ok", "{}", r.text);

    let t = app.token(&["--table", "invoices:r", "--rate", "3"]).await;
    let url = format!("{}/invoices?per_page=1", app.base);
    for left in ["2", "1", "0"] {
        let r = read(app.client.get(&url).bearer_auth(&t)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some(left));
    }
    let r = read(app.client.get(&url).bearer_auth(&t)).await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));

    let burst = app.token(&["--table", "invoices:r", "--rate", "10"]).await;
    let all = futures_util::future::join_all((0..50).map(|_| read(app.client.get(&url).bearer_auth(&burst)))).await;
    assert_eq!(all.iter().filter(|r| r.status == 200).count(), 10, "exactly the limit");
    assert!(all.iter().filter(|r| r.status != 200).all(|r| r.status == 429 && !r.text.contains("\"data\"")));

    let (signer, secret) = app.hmac_token(&["--table", "invoices:r"]).await;
    assert_eq!(signed_get(&app, &signer, &secret, "once").await.status, 200);
    let replay = signed_get(&app, &signer, &secret, "once").await;
    assert_eq!(replay.status, 401, "{}", replay.text);
    assert!(replay.text.contains("replay"));
}

fn with_metrics(cfg: &mut Config) {
    cfg.server.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_in_prometheus_text() {
    let app = spawn_app_with(Dialect::Sqlite, with_metrics).await.expect("sqlite app");
    let addr = app.metrics.expect("a metrics listener");
    let t = app.token(&["--table", "invoices:r"]).await;
    assert_eq!(app.get_as(&t, "/invoices?per_page=1").await.status, 200);
    assert_eq!(read(app.client.get(format!("{}/invoices", app.base))).await.status, 401);
    assert_eq!(read(app.client.get(format!("{}/health", root(&app)))).await.status, 200);
    app.state.audit.flush().await;

    let scrape = read(app.client.get(format!("http://{addr}/metrics"))).await;
    assert_eq!(scrape.status, 200);
    assert!(scrape.header("content-type").unwrap().starts_with("text/plain"));
    let text = &scrape.text;
    let has = |name: &str, labels: &[&str]| {
        text.lines().any(|l| l.starts_with(name) && labels.iter().all(|want| l.contains(want)))
    };
    assert!(has("databuilder_requests_total", &["group=\"resources\"", "status=\"200\"", "stage=\"none\""]), "{text}");
    assert!(has("databuilder_requests_total", &["group=\"resources\"", "status=\"401\"", "stage=\"auth\""]), "{text}");
    assert!(has("databuilder_requests_total", &["group=\"ops\"", "status=\"200\""]), "{text}");
    assert!(has("databuilder_request_duration_seconds_bucket", &["group=\"resources\"", "le=\"0.1\""]), "{text}");
    assert!(has("databuilder_pool_connections", &["pool=\"target\"", "state=\"in_use\""]), "{text}");
    assert!(has("databuilder_pool_connections", &["pool=\"state\"", "state=\"idle\""]), "{text}");
    assert!(has("databuilder_audit_queue_depth", &[]), "{text}");
    assert!(has("databuilder_audit_write_seconds", &[]), "{text}");
    assert!(text.contains("# TYPE databuilder_requests_total counter"), "{text}");
    // Nothing identifying in any label: no token, no path.
    assert!(!text.contains(&t) && !text.contains("/invoices"), "{text}");
    // The API port does not serve the metrics.
    assert_eq!(read(app.client.get(format!("http://{}/metrics", app.addr()))).await.status, 404);
}
