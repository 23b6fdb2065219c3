//! The attack suite: each case is an HTTP request (or a raw connection) against
//! the real server, with its expected status and headers, on every dialect.
//! Every rejection must carry the security headers and a request id.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Resp, TestApp, read};

/// Every response, accepted or rejected, carries these.
pub fn assert_security_headers(r: &Resp, case: &str) {
    for (h, v) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("cache-control", "no-store, no-cache, must-revalidate"),
        ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ] {
        assert_eq!(r.header(h), Some(v), "{case}: header {h}");
    }
    assert!(r.header("x-request-id").is_some(), "{case}: x-request-id");
    if r.status >= 400 {
        assert_eq!(r.header("content-type"), Some("application/problem+json"), "{case}: {}", r.text);
    }
}

async fn expect(case: &str, rb: reqwest::RequestBuilder, status: u16) -> Resp {
    let r = read(rb).await;
    assert_eq!(r.status, status, "{case}: {}", r.text);
    assert_security_headers(&r, case);
    r
}

fn sign(secret: &str, method: &str, path: &str, query: &str, body: &[u8], ts: &str) -> String {
    let msg = format!("{method}\n{path}\n{query}\n{}\n{ts}", hex::encode(Sha256::digest(body)));
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(msg.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Whether the server closes a connection that sends `first` and then stalls.
async fn closed_after_stall(app: &TestApp, first: &[u8]) -> bool {
    let mut s = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
    if !first.is_empty() {
        s.write_all(first).await.unwrap();
    }
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(4), s.read(&mut buf)).await {
            Err(_) => return false, // still open after 4 s
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 408 before closing is fine
        }
    }
}

mod shield {
    use super::*;
    use crate::each_dialect;

    fn tight(cfg: &mut databuilder::config::Config) {
        cfg.security.header_timeout = "1s".parse().unwrap();
        cfg.security.body_timeout = "1s".parse().unwrap();
    }

    async fn shield_limits(app: &TestApp) {
        let c = &app.client;
        let url = format!("{}/taxes", app.base);
        let big = format!("{{\"name\":\"{}\"}}", "x".repeat(300 * 1024));
        expect(
            "body over 256 KiB",
            c.post(&url).bearer_auth(&app.admin).header("content-type", "application/json").body(big.clone()),
            413,
        )
        .await;
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..40).map(|_| Ok(vec![b' '; 8 * 1024])).collect();
        let chunked = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        expect(
            "chunked body over 256 KiB",
            c.post(&url).bearer_auth(&app.admin).header("content-type", "application/json").body(chunked),
            413,
        )
        .await;
        let deep = format!("{}{}", "{\"a\":".repeat(11), "1}".repeat(11));
        expect(
            "JSON depth 11",
            c.post(&url).bearer_auth(&app.admin).header("content-type", "application/json").body(deep),
            400,
        )
        .await;
        let ten = format!("{{\"name\":\"ok\",\"taxrate\":1,\"x\":{}1{}}}", "[".repeat(9), "]".repeat(9));
        let r = expect(
            "JSON depth 10 passes the shield",
            c.post(&url).bearer_auth(&app.admin).header("content-type", "application/json").body(ten),
            422,
        )
        .await;
        assert!(r.json()["errors"]["x"].is_array(), "rejected by the guard, not the shield");
        let long = format!("{}/invoices?filter[prefix]={}", app.base, "a".repeat(4100));
        expect("query over 4 KiB", c.get(long).bearer_auth(&app.admin), 400).await;
        let many: Vec<String> = (0..101).map(|i| format!("p{i}=1")).collect();
        expect(
            "101 parameters",
            c.get(format!("{}/invoices?{}", app.base, many.join("&"))).bearer_auth(&app.admin),
            400,
        )
        .await;
        expect(
            "unsupported media type",
            c.post(&url).bearer_auth(&app.admin).header("content-type", "text/plain").body("x"),
            415,
        )
        .await;
        expect("unknown method", c.request(Method::from_bytes(b"BREW").unwrap(), &url).bearer_auth(&app.admin), 405)
            .await;
        expect("route 404", c.get(format!("{}/invoices/1/extra", app.base)), 404).await;
        let mut s = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
        let head =
            format!("GET /api/data_builder/v1/tables HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "x".repeat(120 * 1024));
        s.write_all(head.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 64];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 431"), "oversized headers → 431");

        assert!(
            closed_after_stall(app, b"GET /api/data_builder/v1/auth/test HTTP/1.1\r\nHost: x\r\n").await,
            "slow headers are cut"
        );
        assert!(closed_after_stall(app, b"").await, "a silent connection is cut");
        let slow_body = format!(
            "POST /api/data_builder/v1/taxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
            app.admin
        );
        assert!(closed_after_stall(app, slow_body.as_bytes()).await, "a stalled body is cut");
        let r =
            expect("server banner absent", c.get(format!("{}/auth/test", app.base)).bearer_auth(&app.admin), 200).await;
        assert!(r.header("server").is_none(), "no server banner");
    }

    each_dialect!(config = tight; shield_limits);
}

mod throttle {
    use super::*;
    use crate::each_dialect;

    fn five_per_minute(cfg: &mut databuilder::config::Config) {
        cfg.security.ip_rate = 5;
    }

    async fn ip_throttle_comes_first(app: &TestApp) {
        for i in 0..5 {
            expect(&format!("request {i} under the IP limit"), app.client.get(format!("{}/invoices", app.base)), 401)
                .await;
        }
        // Over the IP limit and unauthenticated: the shield answers before the auth gate.
        let r = expect("over the IP limit", app.client.get(format!("{}/invoices", app.base)), 429).await;
        assert!(r.header("retry-after").is_some());
        assert_eq!(r.json()["type"], "https://databuilder.dev/problems/ip-throttled");
    }

    each_dialect!(config = five_per_minute; ip_throttle_comes_first);
}

mod auth_gate {
    use super::*;
    use crate::each_dialect;

    fn cors(cfg: &mut databuilder::config::Config) {
        cfg.security.cors_origins = vec!["https://good.example".parse().unwrap()];
    }

    async fn tokens_and_signatures(app: &TestApp) {
        let c = &app.client;
        let url = format!("{}/invoices?per_page=1", app.base);
        expect("no token", c.get(&url), 401).await;
        expect("basic auth", c.get(&url).header("authorization", "Basic YTpi"), 401).await;
        expect("malformed", c.get(&url).bearer_auth("dba_xyz"), 401).await;
        let mut bad = app.admin.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        expect("bad checksum", c.get(&url).bearer_auth(String::from_utf8(bad).unwrap()), 401).await;
        expect("unknown", c.get(&url).bearer_auth(databuilder::store::tokens::generate()), 401).await;
        expect("query token refused", c.get(format!("{url}&token={}", app.admin)), 401).await;
        expect("lower-case scheme", c.get(&url).header("authorization", format!("bearer {}", app.admin)), 200).await;
        let past = databuilder::store::now() - chrono::Duration::hours(1);
        let (_, expired) = app.state.store.create_token("old", &Default::default(), Some(past)).await.unwrap();
        expect("expired", c.get(&url).bearer_auth(&expired), 401).await;

        let (token, secret) = app.hmac_token(&["--table", "taxes:cr"]).await;
        let path = "/api/data_builder/v1/taxes";
        let body = br#"{"name":"Signed","taxrate":"1.00"}"#.to_vec();
        let signed = |method: &str, p: &str, q: &str, b: &[u8], ts: i64, nonce: &str| {
            let sig = sign(&secret, method, p, q, b, &ts.to_string());
            let full = if q.is_empty() {
                format!("http://{}{path}", app.addr())
            } else {
                format!("http://{}{path}?{q}", app.addr())
            };
            c.request(Method::from_bytes(method.as_bytes()).unwrap(), full)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .header("x-signature", sig)
                .header("x-timestamp", ts.to_string())
                .header("x-nonce", nonce.to_string())
                .body(b.to_vec())
        };
        expect("unsigned request of a signing token", c.get(format!("{}/taxes", app.base)).bearer_auth(&token), 401)
            .await;
        expect("good signature", signed("POST", path, "", &body, now(), "n1"), 201).await;
        expect("replayed nonce", signed("POST", path, "", &body, now(), "n1"), 401).await;
        let ts = now();
        let sig = sign(&secret, "POST", path, "", &body, &ts.to_string());
        let tamper = |m: Method, url: String, b: Vec<u8>, t: i64, nonce: &str| {
            c.request(m, url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .header("x-signature", sig.clone())
                .header("x-timestamp", t.to_string())
                .header("x-nonce", nonce.to_string())
                .body(b)
        };
        let base = format!("http://{}{path}", app.addr());
        expect("tampered method", tamper(Method::PUT, format!("{base}/1"), body.clone(), ts, "n2"), 401).await;
        expect(
            "tampered path",
            tamper(Method::POST, format!("http://{}/api/data_builder/v1/invoices", app.addr()), body.clone(), ts, "n3"),
            401,
        )
        .await;
        expect("tampered query", tamper(Method::POST, format!("{base}?dry_run=true"), body.clone(), ts, "n4"), 401)
            .await;
        expect(
            "tampered body",
            tamper(Method::POST, base.clone(), br#"{"name":"Evil","taxrate":"1.00"}"#.to_vec(), ts, "n5"),
            401,
        )
        .await;
        expect("tampered timestamp", tamper(Method::POST, base.clone(), body.clone(), ts + 1, "n6"), 401).await;
        expect("skewed clock, correctly signed", signed("POST", path, "", &body, now() - 400, "n7"), 401).await;
        expect("future clock, correctly signed", signed("POST", path, "", &body, now() + 400, "n8"), 401).await;
        expect("signed GET with a query", signed("GET", path, "per_page=1", b"", now(), "n9"), 200).await;
        let no_nonce = c
            .get(base.clone())
            .bearer_auth(&token)
            .header("x-signature", "00")
            .header("x-timestamp", now().to_string());
        expect("missing nonce", no_nonce, 401).await;
    }

    async fn cors_policy(app: &TestApp) {
        let c = &app.client;
        let url = format!("{}/invoices", app.base);
        let pre = |origin: &str| {
            c.request(Method::OPTIONS, &url).header("origin", origin).header("access-control-request-method", "GET")
        };
        let r = expect("preflight from an allowed origin, no auth", pre("https://good.example"), 204).await;
        assert_eq!(r.header("access-control-allow-origin"), Some("https://good.example"));
        assert!(r.header("access-control-allow-headers").unwrap().contains("authorization"));
        expect("preflight from another origin", pre("https://evil.example"), 403).await;
        let t = app.token(&["--table", "invoices:r", "--origin", "https://good.example"]).await;
        let r = expect(
            "token origin whitelist: allowed",
            c.get(&url).bearer_auth(&t).header("origin", "https://good.example"),
            200,
        )
        .await;
        assert_eq!(r.header("access-control-allow-origin"), Some("https://good.example"));
        expect(
            "token origin whitelist: other origin",
            c.get(&url).bearer_auth(&t).header("origin", "https://evil.example"),
            403,
        )
        .await;
        expect("token origin whitelist: server to server", c.get(&url).bearer_auth(&t), 200).await;
    }

    each_dialect!(config = cors; tokens_and_signatures, cors_policy);
}

mod query_tokens {
    use super::*;
    use crate::each_dialect;

    fn allow_query(cfg: &mut databuilder::config::Config) {
        cfg.security.allow_query_token = true;
    }

    async fn query_token_when_enabled(app: &TestApp) {
        expect(
            "query token allowed",
            app.client.get(format!("{}/invoices?per_page=1&token={}", app.base, app.admin)),
            200,
        )
        .await;
    }

    each_dialect!(config = allow_query; query_token_when_enabled);
}

mod limiter {
    use super::*;
    use crate::each_dialect;

    async fn rate_windows(app: &TestApp) {
        let t = app.token(&["--table", "invoices:r", "--rate", "3"]).await;
        let url = format!("{}/invoices?per_page=1", app.base);
        for left in [2, 1, 0] {
            let r = expect("inside the window", app.client.get(&url).bearer_auth(&t), 200).await;
            assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
            assert_eq!(r.header("x-ratelimit-remaining"), Some(left.to_string().as_str()));
            assert!(r.header("x-ratelimit-reset").is_some());
        }
        let r = expect("over the token limit", app.client.get(&url).bearer_auth(&t), 429).await;
        assert!(r.header("retry-after").is_some());
        // Order: over the limit AND asking for a forbidden table → the limiter (stage 4) answers before scopes (stage 5).
        expect("over limit, forbidden table", app.client.get(format!("{}/clients", app.base)).bearer_auth(&t), 429)
            .await;
        let fresh = app.token(&["--table", "invoices:r"]).await;
        expect(
            "forbidden table under the limit",
            app.client.get(format!("{}/clients", app.base)).bearer_auth(&fresh),
            403,
        )
        .await;
    }

    async fn exactly_one_of_fifty_gets_the_last_slot(app: &TestApp) {
        let t = app.token(&["--table", "invoices:r", "--rate", "10"]).await;
        let url = format!("{}/invoices?per_page=1", app.base);
        for _ in 0..9 {
            expect("warm-up", app.client.get(&url).bearer_auth(&t), 200).await;
        }
        let futs = (0..50).map(|_| read(app.client.get(&url).bearer_auth(&t)));
        let results = futures_util::future::join_all(futs).await;
        let ok = results.iter().filter(|r| r.status == 200).count();
        let limited = results.iter().filter(|r| r.status == 429).count();
        assert_eq!((ok, limited), (1, 49), "the UPSERT is atomic");
    }

    /// A fresh token's reads run while they are counted (speculation), yet no answer
    /// past the limit ever carries data.
    async fn a_burst_from_a_fresh_token_gets_exactly_its_limit(app: &TestApp) {
        let t = app.token(&["--table", "invoices:r", "--rate", "10"]).await;
        let url = format!("{}/invoices?per_page=1", app.base);
        let results = futures_util::future::join_all((0..50).map(|_| read(app.client.get(&url).bearer_auth(&t)))).await;
        let ok = results.iter().filter(|r| r.status == 200).count();
        assert_eq!(ok, 10, "exactly the limit");
        for r in results.iter().filter(|r| r.status != 200) {
            assert_eq!(r.status, 429);
            assert!(!r.text.contains("\"data\""), "a refused read carries no data");
        }
    }

    async fn fail_closed_without_the_rate_store(app: &TestApp) {
        let t = app.token(&["--table", "invoices:r"]).await;
        let url = format!("{}/invoices?per_page=1", app.base);
        expect("before", app.client.get(&url).bearer_auth(&t), 200).await;
        app.sql("DROP TABLE tbldata_builder_api_rate").await;
        let r = expect("rate store unavailable", app.client.get(&url).bearer_auth(&t), 503).await;
        assert_eq!(r.json()["type"], "https://databuilder.dev/problems/rate-store-unavailable");
    }

    each_dialect!(
        rate_windows,
        exactly_one_of_fifty_gets_the_last_slot,
        a_burst_from_a_fresh_token_gets_exactly_its_limit,
        fail_closed_without_the_rate_store
    );
}

mod cidr {
    use super::*;
    use crate::each_dialect;

    async fn cidr_from_the_socket(app: &TestApp) {
        let url = format!("{}/invoices?per_page=1", app.base);
        let t = app.token(&["--table", "invoices:r", "--cidr", "10.0.0.0/8"]).await;
        expect("outside the CIDR allowlist", app.client.get(&url).bearer_auth(&t), 403).await;
        expect(
            "spoofed X-Forwarded-For from an untrusted peer",
            app.client.get(&url).bearer_auth(&t).header("x-forwarded-for", "10.1.2.3"),
            403,
        )
        .await;
        let local = app.token(&["--table", "invoices:r", "--cidr", "127.0.0.0/8"]).await;
        expect("inside the allowlist", app.client.get(&url).bearer_auth(&local), 200).await;
    }

    fn behind_proxy(cfg: &mut databuilder::config::Config) {
        cfg.security.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    }

    async fn cidr_behind_a_trusted_proxy(app: &TestApp) {
        let url = format!("{}/invoices?per_page=1", app.base);
        let t = app.token(&["--table", "invoices:r", "--cidr", "10.0.0.0/8"]).await;
        expect(
            "forwarded client inside",
            app.client.get(&url).bearer_auth(&t).header("x-forwarded-for", "10.1.2.3"),
            200,
        )
        .await;
        expect(
            "forwarded client outside",
            app.client.get(&url).bearer_auth(&t).header("x-forwarded-for", "192.0.2.1"),
            403,
        )
        .await;
        let r = expect(
            "HSTS when the trusted proxy says https",
            app.client
                .get(&url)
                .bearer_auth(&t)
                .header("x-forwarded-for", "10.1.2.3")
                .header("x-forwarded-proto", "https"),
            200,
        )
        .await;
        assert!(r.header("strict-transport-security").is_some());
    }

    each_dialect!(cidr_from_the_socket);
    mod proxied {
        use super::*;
        each_dialect!(config = behind_proxy; cidr_behind_a_trusted_proxy);
    }
}

mod injection {
    use super::*;
    use crate::each_dialect;

    async fn sql_injection_in_every_parameter(app: &TestApp) {
        let payloads = [
            "1' OR '1'='1",
            "1; DROP TABLE tblinvoices; --",
            "id`,(SELECT 1)",
            "\"id\"",
            "1) UNION SELECT password FROM tblstaff --",
        ];
        for p in payloads {
            let e = urlencode(p);
            for q in [
                format!("fields={e}"),
                format!("sort={e}"),
                format!("filter[{e}]=1"),
                format!("filter[id]={e}"),
                format!("filter[status.in]=1,{e}"),
                format!("include={e}"),
                format!("cursor={e}"),
                format!("page={e}"),
                format!("per_page={e}"),
                format!("since={e}"),
                format!("format={e}"),
                format!("or[0][{e}]=1"),
            ] {
                let r = read(app.client.get(format!("{}/invoices?{q}", app.base)).bearer_auth(&app.admin)).await;
                assert_eq!(r.status, 400, "{q}: {}", r.text);
                assert_security_headers(&r, &q);
            }
            let r = read(app.client.get(format!("{}/invoices/{e}", app.base)).bearer_auth(&app.admin)).await;
            assert_eq!(r.status, 404, "id {p}: {}", r.text);
            let r =
                read(app.client.get(format!("{}/invoices?filter[prefix]={e}", app.base)).bearer_auth(&app.admin)).await;
            assert_eq!(r.status, 200, "a text filter value is only a value");
            assert_eq!(r.json()["meta"]["total"], 0);
        }
        assert_eq!(app.get("/invoices?per_page=1").await.json()["meta"]["total"], 200, "the table is intact");
    }

    fn urlencode(s: &str) -> String {
        form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    each_dialect!(sql_injection_in_every_parameter);
}

mod slow {
    use super::*;
    use crate::each_dialect;
    use databuilder_engine::catalog::Dialect;

    fn two_seconds(cfg: &mut databuilder::config::Config) {
        cfg.security.handler_timeout = "2s".parse().unwrap();
    }

    /// A deliberately slow statement (a trigger that sleeps) is cancelled on the
    /// database server, not only abandoned by the handler.
    async fn slow_statement_is_cancelled_on_the_server(app: &TestApp) {
        let count_running = match app.dialect {
            Dialect::MySql => {
                app.sql("CREATE TABLE tblslow (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL)").await;
                app.sql("CREATE TRIGGER tblslow_sleep BEFORE INSERT ON tblslow FOR EACH ROW SET NEW.name = CONCAT(NEW.name, SLEEP(30))").await;
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO `tblslow`%'"
            }
            Dialect::Postgres => {
                app.sql("CREATE TABLE tblslow (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL)").await;
                app.sql("CREATE FUNCTION slow_trigger() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$ LANGUAGE plpgsql").await;
                app.sql("CREATE TRIGGER tblslow_sleep BEFORE INSERT ON tblslow FOR EACH ROW EXECUTE FUNCTION slow_trigger()").await;
                "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO \"tblslow\"%' AND state = 'active'"
            }
            Dialect::Sqlite => return,
        };
        app.request(Method::POST, "/admin/catalog/reload", Some(&app.admin.clone()), None).await;
        let started = std::time::Instant::now();
        let r = app.send(Method::POST, "/slow", &json!({"name": "x"})).await;
        assert_eq!(r.status, 503, "{}", r.text);
        assert_security_headers(&r, "timeout");
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let running = app
            .state
            .db
            .fetch_i64(&databuilder_engine::sql::Sql::fixed(app.dialect, count_running, vec![]))
            .await
            .unwrap();
        assert_eq!(running, Some(0), "the statement is gone from the server's process list");
    }

    each_dialect!(config = two_seconds; slow_statement_is_cancelled_on_the_server);
}

mod audit_log {
    use super::*;
    use crate::each_dialect;
    use databuilder::store::audit;
    use databuilder_engine::principal::{Crud, Policy};

    async fn records(app: &TestApp) -> Vec<serde_json::Value> {
        tokio::time::sleep(Duration::from_millis(150)).await;
        app.state.audit.flush().await;
        audit::tail(&app.state.store, 1000).await.unwrap()
    }

    fn stage_of(rows: &[serde_json::Value], needle: &str) -> Option<serde_json::Value> {
        rows.iter().find(|r| r["path"].as_str().unwrap_or_default().contains(needle)).map(|r| r["stage"].clone())
    }

    async fn every_request_that_reached_auth_is_recorded(app: &TestApp) {
        let c = &app.client;
        let base = &app.base;
        expect(
            "unknown parameter",
            c.get(format!("{base}/invoices?per_page=1&marker=ok")).bearer_auth(&app.admin),
            400,
        )
        .await;
        expect("accepted", c.get(format!("{base}/invoices?per_page=2")).bearer_auth(&app.admin), 200).await;
        expect("auth rejection", c.get(format!("{base}/invoices?per_page=3")), 401).await;
        let limited = app.token(&["--table", "invoices:r", "--rate", "1"]).await;
        expect("first", c.get(format!("{base}/invoices?per_page=4")).bearer_auth(&limited), 200).await;
        expect("rate rejection", c.get(format!("{base}/invoices?per_page=5")).bearer_auth(&limited), 429).await;
        // The scope verifier refuses a sensitive table on its own, even for a policy that
        // bypassed the CLI's refusal (the planner would refuse it too).
        let mut pol = Policy::default();
        pol.tables.insert("staff".into(), Crud::READ);
        let (_, sneaky) = app.state.store.create_token("sneaky", &pol, None).await.unwrap();
        expect("scope rejection", c.get(format!("{base}/staff?per_page=6")).bearer_auth(&sneaky), 403).await;
        // Secrets in the query string never reach the log.
        expect(
            "query token refused and redacted",
            c.get(format!("{base}/invoices?per_page=7&token={}&filter[password]=hunter2", app.admin)),
            401,
        )
        .await;
        let rows = records(app).await;
        assert_eq!(stage_of(&rows, "per_page=2"), Some(serde_json::Value::Null), "answered by the handler");
        assert_eq!(stage_of(&rows, "per_page=3"), Some(json!("auth")));
        assert_eq!(stage_of(&rows, "per_page=5"), Some(json!("rate")));
        assert_eq!(stage_of(&rows, "per_page=6"), Some(json!("scope")));
        let ok = rows.iter().find(|r| r["path"].as_str().unwrap().contains("per_page=2")).unwrap();
        assert_eq!(ok["status"], 200);
        assert!(ok["token_id"].is_i64(), "{ok}");
        assert!(ok["response_bytes"].as_i64().unwrap() > 100, "{ok}");
        assert_eq!(ok["client_ip"], "127.0.0.1");
        let redacted = rows.iter().find(|r| r["path"].as_str().unwrap().contains("per_page=7")).unwrap();
        let path = redacted["path"].as_str().unwrap();
        assert!(!path.contains("hunter2") && !path.contains(&app.admin), "{path}");
        assert!(path.contains("REDACTED"));
        let all = serde_json::to_string(&rows).unwrap();
        assert!(!all.contains("dba_"), "no token ever reaches the audit table");
        assert!(audit::verify(&app.state.store).await.unwrap().ok, "the chain verifies");
    }

    async fn shield_rejections_before_auth_are_not_audited(app: &TestApp) {
        let long = format!("{}/invoices?x={}", app.base, "a".repeat(5000));
        expect("query too long", app.client.get(long).bearer_auth(&app.admin), 400).await;
        let rows = records(app).await;
        assert!(
            !rows.iter().any(|r| r["path"].as_str().unwrap().contains("aaaa")),
            "SPEC §6.6: only requests that reached stage 3"
        );
    }

    each_dialect!(every_request_that_reached_auth_is_recorded, shield_rejections_before_auth_are_not_audited);
}
