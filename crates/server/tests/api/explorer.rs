//! The Explorer page over HTTP (its behaviour in a browser is `tests/browser.rs`):
//! `/` redirects to it, it sends its own strict CSP, holds no inline script or
//! style, serves its modules, and tells the page the public token; the server
//! refuses to start with a public token that is not an active sandbox token.

use databuilder::config::Config;
use databuilder::pages::PAGE_CSP;
use databuilder::startup::Application;
use databuilder_engine::catalog::Dialect;
use reqwest::Method;

use crate::helpers::{TestApp, read, spawn_app_with};

fn origin(app: &TestApp) -> String {
    format!("http://{}", app.addr())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_with_its_own_csp() {
    let Some(app) = spawn_app_with(Dialect::Sqlite, crate::helpers::defaults).await else { return };
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let root = read(plain.get(format!("{}/", origin(&app)))).await;
    assert!([303, 307].contains(&root.status), "{}", root.status);
    assert_eq!(root.header("location"), Some("/api/data_builder/explorer"));

    let page = read(plain.get(format!("{}/api/data_builder/explorer", origin(&app)))).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-security-policy"), Some(PAGE_CSP));
    assert!(PAGE_CSP.contains("script-src 'self';") && !PAGE_CSP.contains("unsafe"));
    assert!(PAGE_CSP.contains("frame-ancestors 'none'"));
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let html = page.text.to_ascii_lowercase();
    assert!(!html.contains(" style="), "no inline style attribute");
    let handler = html.match_indices(" on").any(|(i, _)| {
        let rest = &html[i + 3..];
        let name = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name > 0 && rest[name..].starts_with('=')
    });
    assert!(!handler, "no inline event handler");
    for (i, tag) in html.match_indices("<script").map(|(i, _)| (i, &html[i..])) {
        let end = tag.find('>').unwrap();
        assert!(tag[..end].contains(" src=\"/api/data_builder/"), "script at {i} is same-origin, not inline");
        assert!(tag[end + 1..].starts_with("</script>"), "script at {i} has no inline body");
    }
    assert!(!html.contains("http://") && !html.contains("https://"), "no other origin in the page");

    for file in ["app.js", "api.js", "dom.js", "browse.js", "tryit.js", "response.js", "charts.js", "graphql.js"] {
        let r = read(plain.get(format!("{}/api/data_builder/explorer/assets/{file}", origin(&app)))).await;
        assert_eq!(r.status, 200, "{file}");
        assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"), "{file}");
        assert!(
            !r.text.contains("eval(") && !r.text.contains("new Function") && !r.text.contains("innerHTML"),
            "{file}"
        );
        assert!(!r.text.contains("http://") && !r.text.contains("https://"), "{file} names no other origin");
    }
    let css = read(plain.get(format!("{}/api/data_builder/explorer/assets/style.css", origin(&app)))).await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let missing = read(plain.get(format!("{}/api/data_builder/explorer/assets/..%2Fapp.js", origin(&app)))).await;
    assert_eq!(missing.status, 404);

    let cfg = read(plain.get(format!("{}/api/data_builder/explorer/config", origin(&app)))).await.json();
    assert_eq!(cfg["public_token"], serde_json::Value::Null);
    assert_eq!(cfg["base"], "/api/data_builder/v1");

    databuilder::cli::defs::apply_built_in(&app.state.store, &app.state.catalog()).await.unwrap();
    let groups = app.get("/report-groups").await;
    assert_eq!(groups.status, 200, "{}", groups.text);
    assert!(groups.rows().iter().any(|g| g["slug"] == "finance" && g["reports"].is_array()), "{}", groups.text);
    let narrow = app.token(&["--table", "clients:r"]).await;
    let groups = app.request(Method::GET, "/report-groups", Some(&narrow), None).await.rows();
    let reports = app.request(Method::GET, "/reports", Some(&narrow), None).await.rows();
    assert_eq!(groups.is_empty(), reports.is_empty(), "groups follow the same rule as reports");
}

async fn build_with_public(app: &TestApp, token: &str) -> Result<Application, String> {
    let mut cfg: Config = app.state.config.clone();
    cfg.explorer.public_token = token.to_string();
    Application::build(cfg, "127.0.0.1:0").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_token_must_be_an_active_sandbox_token() {
    let Some(app) = spawn_app_with(Dialect::Sqlite, crate::helpers::defaults).await else { return };
    let refused = |r: Result<Application, String>, why: &str| match r {
        Ok(_) => panic!("started with a bad public token ({why})"),
        Err(e) => assert!(e.contains("[explorer] public_token") && e.contains(why), "{e}"),
    };
    refused(build_with_public(&app, &app.admin).await, "sandbox");
    refused(build_with_public(&app, "dba_nope").await, "not a Data Builder token");
    refused(build_with_public(&app, &databuilder::store::tokens::generate()).await, "unknown token");
    let narrow = app.token(&["--table", "clients:r"]).await;
    refused(build_with_public(&app, &narrow).await, "sandbox");
    let (signing, _) = app.hmac_token(&["--sandbox"]).await;
    refused(build_with_public(&app, &signing).await, "signs");
    let past = databuilder::store::now() - chrono::Duration::hours(1);
    let pol = databuilder_engine::principal::Policy { sandbox: true, ..Default::default() };
    let (_, expired) = app.state.store.create_token("old", &pol, Some(past)).await.unwrap();
    refused(build_with_public(&app, &expired).await, "revoked or expired");

    let sandbox = app.token(&["--sandbox"]).await;
    let ok = build_with_public(&app, &sandbox).await.expect("a sandbox token is accepted");
    let addr = ok.local_addr();
    tokio::spawn(ok.run_until(std::future::pending()));
    let cfg = read(app.client.get(format!("http://{addr}/api/data_builder/explorer/config"))).await.json();
    assert_eq!(cfg["public_token"], sandbox.as_str());
    let who = read(app.client.get(format!("http://{addr}/api/data_builder/v1/auth/test")).bearer_auth(&sandbox)).await;
    assert!(who.json()["data"]["scopes"].as_array().unwrap().contains(&"sandbox".into()));
}
