//! The admin console over real HTTP (SPEC §7): every security pattern of the
//! console, on SQLite, MariaDB and PostgreSQL where the state matters.

use std::sync::Arc;
use std::time::Duration;

use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;
use reqwest::header::{COOKIE, HeaderMap};

use crate::each_dialect;
use crate::helpers::{Resp, TestApp, read};

const ROOT: &str = "/api/data_builder/admin";
const HOME: &str = "/api/data_builder/admin/";

/// A browser-like client of the console: no redirects followed, the cookie kept by hand.
pub struct Console {
    pub origin: String,
    pub client: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of `name="csrf" value="…"` (or the meta tag) in a page.
fn csrf_in(html: &str) -> String {
    for marker in ["name=\"csrf\" value=\"", "name=\"csrf-token\" content=\""] {
        if let Some(i) = html.find(marker) {
            let rest = &html[i + marker.len()..];
            return rest[..rest.find('"').unwrap()].to_string();
        }
    }
    panic!("no csrf token in the page: {html}")
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

pub fn origin(app: &TestApp) -> String {
    format!("http://{}", app.addr())
}

/// Issue a link in the store (as `databuilder admin link` does).
pub async fn link(app: &TestApp, next: &str) -> String {
    app.state.store.create_admin_link(Duration::from_secs(7200), next).await.unwrap()
}

/// POST the sign-in form of `link` (after GETting its page for the form's csrf).
pub async fn post_login(app: &TestApp, client: &reqwest::Client, link: &str) -> Resp {
    let page = read(client.get(format!("{}{ROOT}/login?link={link}", origin(app)))).await;
    let csrf = if page.status == 200 { csrf_in(&page.text) } else { String::new() };
    read(
        client
            .post(format!("{}{ROOT}/login", origin(app)))
            .header("origin", origin(app))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[("link", link), ("csrf", &csrf)])),
    )
    .await
}

fn cookie_of(r: &Resp) -> String {
    let c = r.header("set-cookie").unwrap_or_else(|| panic!("no cookie: {r:?}"));
    c.split(';').next().unwrap().to_string()
}

/// Sign in through a fresh link.
pub async fn sign_in(app: &TestApp) -> Console {
    let client = no_redirects();
    let l = link(app, HOME).await;
    let r = post_login(app, &client, &l).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let cookie = cookie_of(&r);
    let mut c = Console { origin: origin(app), client, cookie, csrf: String::new() };
    let home = c.get(HOME).await;
    assert_eq!(home.status, 200, "{}", home.text);
    c.csrf = csrf_in(&home.text);
    c
}

impl Console {
    pub async fn get(&self, path: &str) -> Resp {
        read(self.client.get(format!("{}{path}", self.origin)).header(COOKIE, &self.cookie)).await
    }

    /// A form post with the session's csrf and the console's Origin.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&self.origin)).await
    }

    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)], origin: Option<&str>) -> Resp {
        let mut rb = self
            .client
            .post(format!("{}{path}", self.origin))
            .header(COOKIE, &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields));
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        read(rb).await
    }

    /// A script call with `X-CSRF-Token`.
    pub async fn call(&self, path: &str, headers: HeaderMap) -> Resp {
        read(
            self.client
                .get(format!("{}{path}", self.origin))
                .header(COOKIE, &self.cookie)
                .header("x-csrf-token", &self.csrf)
                .headers(headers),
        )
        .await
    }

    pub async fn preview(&self, kind: &str, toml: &str, csrf: Option<&str>, origin: Option<&str>) -> Resp {
        let mut rb = self
            .client
            .post(format!("{}{ROOT}/api/preview", self.origin))
            .header(COOKIE, &self.cookie)
            .header("content-type", "application/json")
            .body(serde_json::json!({"kind": kind, "toml": toml}).to_string());
        if let Some(c) = csrf {
            rb = rb.header("x-csrf-token", c);
        }
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        read(rb).await
    }
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let t = app.state.store.table(table);
    let sql = Sql::fixed_table(app.dialect, "SELECT COUNT(*) FROM {t}", &t, vec![]);
    app.state.store.db.fetch_i64(&sql).await.unwrap().unwrap_or(0)
}

async fn exec(app: &TestApp, table: &str, template: &'static str, params: Vec<Value>) {
    let sql = Sql::fixed_table(app.dialect, template, &app.state.store.table(table), params);
    app.state.store.db.execute(&sql).await.unwrap();
}

// ------------------------------------------------------------ 1. magic links

async fn twenty_concurrent_consumes_make_one_session(app: &TestApp) {
    let l = link(app, HOME).await;
    let client = no_redirects();
    // Every form is fetched first (GET never consumes), then all 20 POSTs race.
    let page = read(client.get(format!("{}{ROOT}/login?link={l}", origin(app)))).await;
    let csrf = csrf_in(&page.text);
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, barrier, url, o, body) = (
            client.clone(),
            barrier.clone(),
            format!("{}{ROOT}/login", origin(app)),
            origin(app),
            form_body(&[("link", &l), ("csrf", &csrf)]),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            read(
                client
                    .post(url)
                    .header("origin", o)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body),
            )
            .await
        }));
    }
    let mut won = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            303 => won += 1,
            400 => refused += 1,
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((won, refused), (1, 19));
    assert_eq!(count(app, "admin_sessions").await, 1, "exactly one session");
}

async fn get_never_consumes_and_refusals_look_alike(app: &TestApp) {
    let client = no_redirects();
    let l = link(app, HOME).await;
    let older = link(app, HOME).await;
    // A mail scanner prefetching twice burns nothing: the page is one button.
    for _ in 0..2 {
        let page = read(client.get(format!("{}{ROOT}/login?link={l}", origin(app)))).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("id=\"sign-in\""), "{}", page.text);
    }
    assert_eq!(count(app, "admin_sessions").await, 0);
    assert_eq!(post_login(app, &client, &l).await.status, 303);
    // Issuing a new link left the older one valid.
    let _newer = link(app, HOME).await;
    assert_eq!(post_login(app, &client, &older).await.status, 303);

    let used = post_login(app, &client, &l).await;
    let expired_link = link(app, HOME).await;
    exec(
        app,
        "admin_links",
        "UPDATE {t} SET expires_at = ? WHERE hash = ?",
        vec![
            Value::DateTime(databuilder::store::now() - chrono::Duration::minutes(1)),
            Value::Text(databuilder::store::tokens::hash(&expired_link)),
        ],
    )
    .await;
    let expired = post_login(app, &client, &expired_link).await;
    let unknown = post_login(app, &client, &databuilder::store::admin::secret()).await;
    let garbage = post_login(app, &client, "not-a-link").await;
    for r in [&expired, &unknown, &garbage] {
        assert_eq!(r.status, used.status);
        assert_eq!(r.text, used.text, "used, expired and unknown links get the same page");
        assert!(r.header("set-cookie").is_none());
    }
    assert_eq!(used.status, 400);
    // The link is stored hashed only.
    let t = app.state.store.table("admin_links");
    let sql =
        Sql::fixed_table(app.dialect, "SELECT COUNT(*) FROM {t} WHERE hash = ?", &t, vec![Value::Text(l.clone())]);
    assert_eq!(app.state.store.db.fetch_i64(&sql).await.unwrap(), Some(0));
}

async fn housekeeping_deletes_used_and_expired_links(app: &TestApp) {
    let client = no_redirects();
    let used = link(app, HOME).await;
    assert_eq!(post_login(app, &client, &used).await.status, 303);
    let expired = link(app, HOME).await;
    exec(
        app,
        "admin_links",
        "UPDATE {t} SET expires_at = ? WHERE hash = ?",
        vec![
            Value::DateTime(databuilder::store::now() - chrono::Duration::hours(1)),
            Value::Text(databuilder::store::tokens::hash(&expired)),
        ],
    )
    .await;
    let fresh = link(app, HOME).await;
    assert_eq!(count(app, "admin_links").await, 3);
    let (links, _) = app.state.store.purge_admin().await.unwrap();
    assert_eq!(links, 2);
    assert_eq!(count(app, "admin_links").await, 1);
    assert_eq!(post_login(app, &client, &fresh).await.status, 303, "the valid link survives");
}

// ------------------------------------------------------------ 2. sessions

async fn session_cookie_timeouts_and_sign_out(app: &TestApp) {
    let client = no_redirects();
    let r = post_login(app, &client, &link(app, HOME).await).await;
    let set = r.header("set-cookie").unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api/data_builder/admin"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP without a trusted proxy: {set}");
    let c = sign_in(app).await;
    // Stored hashed: the cookie value is not in the table, its SHA-256 is.
    let value = c.cookie.split_once('=').unwrap().1.to_string();
    let t = app.state.store.table("admin_sessions");
    for (v, n) in [(value.clone(), 0), (databuilder::store::tokens::hash(&value), 1)] {
        let sql = Sql::fixed_table(app.dialect, "SELECT COUNT(*) FROM {t} WHERE hash = ?", &t, vec![Value::Text(v)]);
        assert_eq!(app.state.store.db.fetch_i64(&sql).await.unwrap(), Some(n));
    }
    let hash = databuilder::store::tokens::hash(&value);
    // Idle 31 minutes → signed out.
    exec(
        app,
        "admin_sessions",
        "UPDATE {t} SET last_seen_at = ? WHERE hash = ?",
        vec![Value::DateTime(databuilder::store::now() - chrono::Duration::minutes(31)), Value::Text(hash.clone())],
    )
    .await;
    assert_eq!(c.get(HOME).await.status, 401);
    // Absolute: active, but signed in more than 12 h ago.
    let c = sign_in(app).await;
    let hash = databuilder::store::tokens::hash(c.cookie.split_once('=').unwrap().1);
    assert_eq!(c.get(&format!("{ROOT}/tokens")).await.status, 200);
    exec(
        app,
        "admin_sessions",
        "UPDATE {t} SET expires_at = ? WHERE hash = ?",
        vec![Value::DateTime(databuilder::store::now() - chrono::Duration::seconds(1)), Value::Text(hash)],
    )
    .await;
    assert_eq!(c.get(&format!("{ROOT}/tokens")).await.status, 401);
    // Sign-out ends the session for every instance (the row is gone).
    let c = sign_in(app).await;
    let out = c.post(&format!("{ROOT}/logout"), &[]).await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(c.get(HOME).await.status, 401);
    let api = c.call(&format!("{ROOT}/api/token-name-available?name=x"), HeaderMap::new()).await;
    assert_eq!(api.status, 401);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
}

fn https_on(cfg: &mut databuilder::config::Config) {
    cfg.security.https = true;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_is_secure_over_https() {
    let app = crate::helpers::spawn_app_with(databuilder_engine::catalog::Dialect::Sqlite, https_on).await.unwrap();
    let client = no_redirects();
    let l = link(&app, HOME).await;
    let page = read(client.get(format!("{}{ROOT}/login?link={l}", origin(&app)))).await;
    let https_origin = format!("https://{}", app.addr());
    let post = |o: String| {
        client
            .post(format!("{}{ROOT}/login", origin(&app)))
            .header("origin", o)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[("link", &l), ("csrf", &csrf_in(&page.text))]))
    };
    // Over HTTPS the console's own origin is https://…: the http:// one is foreign.
    assert_eq!(read(post(origin(&app))).await.status, 403);
    let r = read(post(https_origin)).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert!(r.header("set-cookie").unwrap().contains("; Secure"), "{:?}", r.header("set-cookie"));
}

// ------------------------------------------------------------ 3. CSRF and Origin

async fn csrf_and_origin_guard_every_change(app: &TestApp) {
    let c = sign_in(app).await;
    let victim = app.token(&["--table", "invoices:r"]).await;
    let id = app.state.store.token_by_hash(&databuilder::store::tokens::hash(&victim)).await.unwrap().unwrap().id;
    let view = "slug = \"csrf-view\"\nname = \"x\"\nresource = \"invoices\"\n";
    let tokens_before = count(app, "api_tokens").await;
    let revoke = format!("{ROOT}/tokens/{id}/revoke");
    let rotate = format!("{ROOT}/tokens/{id}/rotate");
    let tokens = format!("{ROOT}/tokens");
    let views = format!("{ROOT}/views");
    let reload = format!("{ROOT}/catalog/reload");
    let verify = format!("{ROOT}/audit/verify");
    let logout = format!("{ROOT}/logout");
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (tokens.as_str(), vec![("name", "csrf-made"), ("crud.invoices", "r")]),
        (revoke.as_str(), vec![]),
        (rotate.as_str(), vec![]),
        (views.as_str(), vec![("toml", view)]),
        (reload.as_str(), vec![]),
        (verify.as_str(), vec![]),
        (logout.as_str(), vec![]),
    ];
    let own = c.origin.clone();
    for (path, fields) in &cases {
        let mut wrong = vec![("csrf", "0000")];
        wrong.extend_from_slice(fields);
        let mut right = vec![("csrf", c.csrf.as_str())];
        right.extend_from_slice(fields);
        for (body, origin, why) in [
            (fields.clone(), Some(own.as_str()), "no csrf field"),
            (wrong, Some(own.as_str()), "wrong csrf"),
            (right.clone(), Some("http://evil.example"), "foreign Origin"),
            (right, None, "no Origin"),
        ] {
            let r = c.post_raw(path, &body, origin).await;
            assert_eq!(r.status, 403, "{path} with {why}: {}", r.text);
            assert_eq!(r.header("content-type"), Some("application/problem+json"), "{path}");
        }
    }
    // A script call without the header, or from another origin.
    assert_eq!(c.preview("view", view, None, Some(&own)).await.status, 403);
    assert_eq!(c.preview("view", view, Some(&c.csrf), Some("http://evil.example")).await.status, 403);
    let probe =
        read(c.client.get(format!("{own}{ROOT}/api/slug-available?kind=view&slug=x")).header(COOKIE, &c.cookie)).await;
    assert_eq!(probe.status, 403);
    // Nothing changed.
    assert_eq!(count(app, "api_tokens").await, tokens_before);
    assert_eq!(app.get_as(&victim, "/invoices").await.status, 200, "neither revoked nor rotated");
    let v: Option<serde_json::Value> =
        app.state.store.definition(databuilder::store::definitions::Kind::View, "csrf-view").await.unwrap();
    assert!(v.is_none());
    assert_eq!(c.get(HOME).await.status, 200, "still signed in");
    // And with both right, the same requests work.
    assert_eq!(c.post(&revoke, &[]).await.status, 303);
    assert_eq!(app.get_as(&victim, "/invoices").await.status, 401, "this instance forgets it at once");
}

each_dialect!(
    twenty_concurrent_consumes_make_one_session,
    get_never_consumes_and_refusals_look_alike,
    housekeeping_deletes_used_and_expired_links,
    session_cookie_timeouts_and_sign_out,
    csrf_and_origin_guard_every_change,
);

mod more;
