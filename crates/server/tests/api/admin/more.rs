//! Redirects, rate-limited probes, escaping, logs, validation, and the pages
//! doing their work (tokens that work at once, previews, audit records).

use databuilder::store::definitions::Kind;
use databuilder_engine::catalog::Dialect;
use reqwest::header::HeaderMap;

use super::{Console, HOME, ROOT, link, no_redirects, origin, post_login, sign_in};
use crate::each_dialect;
use crate::helpers::{TestApp, spawn_app_with};

async fn sqlite(tweak: fn(&mut databuilder::config::Config)) -> TestApp {
    spawn_app_with(Dialect::Sqlite, tweak).await.unwrap()
}

// ------------------------------------------------------------ 4. open redirects

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_only_keeps_same_origin_paths() {
    let app = sqlite(crate::helpers::defaults).await;
    let bad = [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example",
        "HTTPS://EVIL.EXAMPLE",
        "http:evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "%2F%2Fevil.example",
        "%2f%2fevil.example",
        "/%2F%2Fevil.example",
        "/%2fevil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "%252F%252Fevil.example",
        "/%252F/evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        " //evil.example",
        "",
    ];
    let client = no_redirects();
    for next in bad {
        // Stored as given, bypassing the CLI's own check: the sign-in must still refuse it.
        let l = app.state.store.create_admin_link(std::time::Duration::from_secs(60), next).await.unwrap();
        let r = post_login(&app, &client, &l).await;
        assert_eq!(r.status, 303, "{next:?}");
        assert_eq!(r.header("location"), Some(HOME), "{next:?} must land on the console home");
    }
    for good in ["/api/data_builder/admin/tokens", "/api/data_builder/admin/views?x=1"] {
        let r = post_login(&app, &client, &link(&app, good).await).await;
        assert_eq!(r.header("location"), Some(good));
    }
}

// ------------------------------------------------------------ 5. yes/no endpoints

async fn probes_are_limited_per_client_ip(app: &TestApp) {
    let c = sign_in(app).await;
    let probe = format!("{ROOT}/api/slug-available?kind=view&slug=client-invoices");
    for i in 0..10 {
        let r = c.call(&probe, HeaderMap::new()).await;
        assert_eq!(r.status, 200, "probe {i}: {}", r.text);
        assert_eq!(r.json()["available"], true, "no views applied in this database yet");
    }
    let r = c.call(&format!("{ROOT}/api/token-name-available?name=test"), HeaderMap::new()).await;
    assert_eq!(r.status, 429, "{}", r.text);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    // A spoofed X-Forwarded-For from an untrusted peer changes nothing.
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-for", "198.51.100.7".parse().unwrap());
    assert_eq!(c.call(&probe, h).await.status, 429);
}

fn behind_proxy(cfg: &mut databuilder::config::Config) {
    cfg.security.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_count_the_forwarded_client_behind_a_trusted_proxy() {
    let app = sqlite(behind_proxy).await;
    let c = sign_in(&app).await;
    let fwd = |ip: &str| {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", ip.parse().unwrap());
        h
    };
    let q = format!("{ROOT}/api/token-name-available?name=test");
    for _ in 0..10 {
        assert_eq!(c.call(&q, fwd("203.0.113.1")).await.status, 200);
    }
    assert_eq!(c.call(&q, fwd("203.0.113.1")).await.status, 429);
    let other = c.call(&q, fwd("203.0.113.2")).await;
    assert_eq!(other.status, 200, "another client behind the proxy has its own budget");
    assert_eq!(other.json()["available"], false, "the suite's admin token is named `test`");
    let bad = c.call(&format!("{ROOT}/api/slug-available?kind=table&slug=x"), fwd("203.0.113.3")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("kind"), "{}", bad.text);
}

// ------------------------------------------------------------ 6. escaping, links, CSP

const EVIL: &str = "<script>alert(1)</script>";

async fn pages(c: &Console) -> Vec<(String, crate::helpers::Resp)> {
    let mut out = Vec::new();
    for p in [
        "/",
        "/tokens",
        "/tokens/new",
        "/views",
        "/views/new",
        "/views/evil-view/edit",
        "/views/evil-view/delete",
        "/reports",
        "/reports/new",
        "/groups",
        "/audit",
        "/catalog",
    ] {
        let path = format!("{ROOT}{p}");
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        out.push((path, r));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_is_escaped_and_pages_are_strict() {
    let app = sqlite(crate::helpers::defaults).await;
    let c = sign_in(&app).await;
    let view = format!("slug = \"evil-view\"\nname = \"{EVIL}\"\nresource = \"invoices\"\n");
    let saved = c.post(&format!("{ROOT}/views"), &[("toml", &view)]).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let made = c.post(&format!("{ROOT}/tokens"), &[("name", EVIL), ("crud.invoices", "r")]).await;
    assert_eq!(made.status, 200, "{}", made.text);
    assert!(made.text.contains("&lt;script&gt;"), "the token page names it escaped");
    let csp = databuilder::pages::PAGE_CSP;
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    let all = pages(&c).await;
    for (path, r) in &all {
        assert!(!r.text.contains(EVIL), "{path} shows the name unescaped");
        assert_eq!(r.header("content-security-policy"), Some(csp), "{path}");
        let lower = r.text.to_ascii_lowercase();
        for (i, _) in lower.match_indices("target=\"_blank\"") {
            let tag_start = lower[..i].rfind('<').unwrap();
            let tag = &lower[tag_start..i + lower[i..].find('>').unwrap()];
            assert!(tag.contains("rel=\"noopener noreferrer\""), "{path}: {tag}");
        }
        assert!(!lower.contains(" style=\""), "{path} has an inline style");
        assert!(!lower.contains(" onclick=") && !lower.contains(" onload=") && !lower.contains(" onsubmit="));
        for (i, _) in lower.match_indices("<script") {
            let tag = &lower[i..i + lower[i..].find('>').unwrap()];
            assert!(tag.contains(" src=") || tag.contains("type=\"application/json\""), "{path}: inline script {tag}");
        }
    }
    let views = all.iter().find(|(p, _)| p.ends_with("/views")).unwrap();
    assert!(views.1.text.contains("&lt;script&gt;alert(1)&lt;"), "the list shows it as text");
    let tokens = all.iter().find(|(p, _)| p.ends_with("/tokens")).unwrap();
    assert!(tokens.1.text.contains("&lt;script&gt;alert(1)&lt;"));
    // The footer's external link is the one target=_blank: the scan saw it.
    assert!(all[0].1.text.contains("target=\"_blank\""));
}

// ------------------------------------------------------------ 7. PII-free logs

static LOG: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

#[derive(Clone)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> String {
    let buf = LOG.get_or_init(|| {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let w = Capture(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(move || w.clone())
            .try_init();
        buf
    });
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_output_holds_no_pii_tokens_or_secrets() {
    captured();
    let app = sqlite(crate::helpers::defaults).await;
    let l = link(&app, HOME).await;
    let client = no_redirects();
    let r = post_login(&app, &client, &l).await;
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let c = Console { origin: origin(&app), client, cookie: cookie.clone(), csrf: String::new() };
    let c = Console { csrf: super::csrf_in(&c.get(HOME).await.text), ..c };
    let email = "alice.owner@example.com";
    let made = c.post(&format!("{ROOT}/tokens"), &[("name", email), ("crud.clients", "r"), ("hmac", "1")]).await;
    assert_eq!(made.status, 200, "{}", made.text);
    let token = between(&made.text, "id=\"new-token-value\">", "<");
    let secret = between(&made.text, "id=\"new-hmac-value\">", "<");
    let clients =
        c.preview("view", "slug = \"c\"\nname = \"c\"\nresource = \"clients\"\n", Some(&c.csrf), Some(&c.origin)).await;
    assert_eq!(clients.status, 200, "{}", clients.text);
    let company = clients.json()["data"][0]["company"].as_str().unwrap().to_string();
    app.state.audit.flush().await;
    let log = captured();
    assert!(log.contains("admin action"), "the capture works and saw the console's events");
    for (what, s) in
        [("email", email), ("token", &token), ("hmac secret", &secret), ("link", &l), ("company", &company)]
    {
        assert!(!log.contains(s), "the log holds the {what}");
    }
    assert!(!log.contains(cookie.split_once('=').unwrap().1), "the log holds the session cookie");
    assert!(!log.contains(&c.csrf));
}

fn between(s: &str, a: &str, b: &str) -> String {
    let i = s.find(a).unwrap_or_else(|| panic!("no {a} in {s}")) + a.len();
    s[i..i + s[i..].find(b).unwrap()].trim().to_string()
}

// ------------------------------------------------------------ 8. validation

async fn invalid_forms_write_nothing(app: &TestApp) {
    let c = sign_in(app).await;
    let before = app.state.store.list_tokens().await.unwrap().len();
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("name", "")], "error-name"),
        (&[("name", "x"), ("rate", "fast")], "error-rate"),
        (&[("name", "x"), ("cidrs", "10.0.0.300/8")], "error-cidrs"),
        (&[("name", "x"), ("origins", "javascript:alert(1)")], "error-origins"),
        (&[("name", "x"), ("crud.staff", "r")], "error-tables"),
        (&[("name", "x"), ("crud.invoices", "r"), ("expires", "soon")], "error-expires"),
    ];
    for (fields, id) in cases {
        let r = c.post(&format!("{ROOT}/tokens"), fields).await;
        assert_eq!(r.status, 422, "{fields:?}");
        assert!(r.text.contains(&format!("id=\"{id}\"")), "{fields:?}: the error sits next to its field");
    }
    let sensitive = c.post(&format!("{ROOT}/tokens"), &[("name", "x"), ("crud.staff", "r")]).await;
    assert!(sensitive.text.contains("sensitive table; add --allow-sensitive"), "the CLI's message");
    assert_eq!(app.state.store.list_tokens().await.unwrap().len(), before, "nothing was written");

    let bad_view =
        "slug = \"bad-view\"\nname = \"Bad\"\nresource = \"invoices\"\nfields = [\"id\", \"no_such_column\"]\n";
    let r = c.post(&format!("{ROOT}/views"), &[("toml", bad_view)]).await;
    assert_eq!(r.status, 422);
    let catalog = app.state.catalog();
    let expected = databuilder::cli::defs::check_text(
        &app.state.store,
        &catalog,
        Kind::View,
        std::path::Path::new("views.toml"),
        bad_view,
    )
    .await
    .unwrap_err();
    assert!(
        r.text.contains(&expected.replace('`', "&#96;")) || r.text.contains(&expected),
        "apply's message: {expected}\n{}",
        r.text
    );
    let p = c.preview("view", bad_view, Some(&c.csrf), Some(&c.origin)).await;
    assert_eq!(p.status, 422);
    assert!(p.json()["errors"]["toml"][0].as_str().unwrap().ends_with(expected.split_once(": ").unwrap().1));
    let stored: Option<serde_json::Value> = app.state.store.definition(Kind::View, "bad-view").await.unwrap();
    assert!(stored.is_none());
}

// ------------------------------------------------------------ the pages at work

async fn console_tokens_work_at_once_and_actions_are_audited(app: &TestApp) {
    let c = sign_in(app).await;
    let made = c
        .post(
            &format!("{ROOT}/tokens"),
            &[
                ("name", "portal"),
                ("crud.invoices", "r"),
                ("columns", "invoices:id,total"),
                ("row_filters", "invoices:clientid=1"),
                ("rate", "100"),
                ("expires", "30d"),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.text);
    let token = between(&made.text, "id=\"new-token-value\">", "<");
    assert!(token[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
    let rows = app.get_as(&token, "/invoices").await;
    assert_eq!(rows.status, 200, "{}", rows.text);
    for row in rows.rows() {
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert!(keys.iter().all(|k| *k == "id" || *k == "total"), "{keys:?}");
    }
    let rec = app.state.store.token_by_hash(&databuilder::store::tokens::hash(&token)).await.unwrap().unwrap();
    assert_eq!(rec.policy.row_filters["invoices"], vec![("clientid".to_string(), "1".to_string())]);
    assert_eq!(rec.policy.rate, Some(100));
    // Rotate: the new token works, the old one stops.
    let rotated = c.post(&format!("{ROOT}/tokens/{}/rotate", rec.id), &[]).await;
    let new = between(&rotated.text, "id=\"new-token-value\">", "<");
    assert_eq!(app.get_as(&token, "/invoices").await.status, 401);
    assert_eq!(app.get_as(&new, "/invoices").await.status, 200);
    assert_eq!(c.post(&format!("{ROOT}/tokens/{}/revoke", rec.id), &[]).await.status, 303);
    assert_eq!(app.get_as(&new, "/invoices").await.status, 401);
    // Admin actions are audit records: stage, action path, ids; no name.
    app.state.audit.flush().await;
    let tail = databuilder::store::audit::tail(&app.state.store, 200).await.unwrap();
    let admin: Vec<&serde_json::Value> = tail.iter().filter(|r| r["stage"] == "admin").collect();
    for action in [
        "login",
        &format!("tokens/{}/create", rec.id),
        &format!("tokens/{}/rotate", rec.id),
        &format!("tokens/{}/revoke", rec.id),
    ] {
        let found =
            admin.iter().find(|r| r["path"].as_str().unwrap().starts_with(&format!("{ROOT}/{action}?session=")));
        let found = found.unwrap_or_else(|| panic!("no audit record of {action}: {admin:?}"));
        assert_eq!(found["method"], "POST");
    }
    assert!(admin.iter().filter(|r| r["token_id"] == rec.id).count() >= 3);
    assert!(!tail.iter().any(|r| r["path"].as_str().unwrap().contains("portal")));
    let log = c.get(&format!("{ROOT}/audit?stage=admin")).await;
    assert!(log.text.replace("&#x2f;", "/").contains(&format!("tokens/{}/revoke", rec.id)), "{}", log.text);
    let verify = c.post(&format!("{ROOT}/audit/verify"), &[]).await;
    assert!(verify.text.contains("Chain intact"), "{}", verify.text);
}

async fn tokens_of_both_generations_work(app: &TestApp) {
    use sha2::Digest;
    let body = "z4-cs2_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    let check = &hex::encode(sha2::Sha256::digest(format!("dba_{body}").as_bytes()))[..6];
    let old = format!("dba_{body}{check}");
    assert!(databuilder::store::tokens::well_formed(&old));
    let fresh = app.token(&["--table", "invoices:r"]).await;
    assert!(fresh[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    let id = app.state.store.token_by_hash(&databuilder::store::tokens::hash(&fresh)).await.unwrap().unwrap().id;
    // Give the stored token the hash of a first-generation token, as if issued before.
    let t = app.state.store.table("api_tokens");
    let sql = databuilder_engine::sql::Sql::fixed_table(
        app.dialect,
        "UPDATE {t} SET token_hash = ? WHERE id = ?",
        &t,
        vec![
            databuilder_engine::value::Value::Text(databuilder::store::tokens::hash(&old)),
            databuilder_engine::value::Value::Int(id),
        ],
    );
    app.state.store.db.execute(&sql).await.unwrap();
    assert_eq!(app.get_as(&old, "/invoices").await.status, 200, "a token issued before keeps working");
    assert_eq!(app.get_as(&app.token(&["--table", "invoices:r"]).await, "/invoices").await.status, 200);
}

async fn editor_previews_saves_exports_and_deletes(app: &TestApp) {
    let c = sign_in(app).await;
    let report = "slug = \"by-status\"\nname = \"By status\"\nresource = \"invoices\"\ngroup_by = [\"status\"]\nmetrics = [\"count(*)\"]\nchart = \"bar\"\n";
    let p = c.preview("report", report, Some(&c.csrf), Some(&c.origin)).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let j = p.json();
    assert_eq!(j["meta"]["chart"], "bar");
    assert!(!j["data"].as_array().unwrap().is_empty());
    let stored: Option<serde_json::Value> = app.state.store.definition(Kind::Report, "by-status").await.unwrap();
    assert!(stored.is_none(), "a preview writes nothing");
    assert_eq!(c.post(&format!("{ROOT}/reports"), &[("toml", report)]).await.status, 303);
    let export = c.get(&format!("{ROOT}/reports/by-status/export")).await;
    assert_eq!(export.status, 200);
    assert!(export.header("content-disposition").unwrap().contains("by-status.toml"));
    assert!(!export.text.contains("[having]") && !export.text.contains("null"), "{}", export.text);
    // The export is the TOML `apply` takes: applying it again works.
    let catalog = app.state.catalog();
    databuilder::cli::defs::apply_text(
        &app.state.store,
        &catalog,
        Kind::Report,
        std::path::Path::new("x.toml"),
        &export.text,
    )
    .await
    .unwrap();
    let edit = c.get(&format!("{ROOT}/reports/by-status/edit")).await;
    assert!(edit.text.contains("group_by"), "{}", edit.text);
    assert_eq!(c.get(&format!("{ROOT}/reports/by-status/delete")).await.status, 200, "a confirmation page first");
    let stored: Option<serde_json::Value> = app.state.store.definition(Kind::Report, "by-status").await.unwrap();
    assert!(stored.is_some(), "the GET deleted nothing");
    assert_eq!(c.post(&format!("{ROOT}/reports/by-status/delete"), &[]).await.status, 303);
    let stored: Option<serde_json::Value> = app.state.store.definition(Kind::Report, "by-status").await.unwrap();
    assert!(stored.is_none());
    assert_eq!(c.post(&format!("{ROOT}/catalog/reload"), &[]).await.status, 303);
}

each_dialect!(
    probes_are_limited_per_client_ip,
    invalid_forms_write_nothing,
    console_tokens_work_at_once_and_actions_are_audited,
    tokens_of_both_generations_work,
    editor_previews_saves_exports_and_deletes,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_page_says_where_each_relation_comes_from() {
    let app = sqlite(crate::helpers::defaults).await;
    let c = sign_in(&app).await;
    let page = c.get(&format!("{ROOT}/catalog")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("<code>client</code> (BelongsTo → clients, clientid → userid, preset)"),
        "{}",
        page.text
    );
}
