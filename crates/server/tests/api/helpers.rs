//! `spawn_app`: the real application on 127.0.0.1:0 over a fresh database loaded
//! with the demo schema, for SQLite always and for MariaDB/PostgreSQL when
//! `DATABUILDER_TEST_MYSQL_URL` / `DATABUILDER_TEST_POSTGRES_URL` are set.

use std::path::PathBuf;

use clap::Parser;
use databuilder::app_state::Shared;
use databuilder::cli::token::{CreateArgs, policy};
use databuilder::config::Config;
use databuilder::startup::Application;
use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::Db;
use rand::RngCore;
use reqwest::Method;
use serde_json::Value as J;

/// Demo scale for tests: 20 clients, 200 invoices, 600 line items, …
pub const SCALE: f64 = 0.01;

/// Generate one test per case per dialect: `each_dialect!(case_a, case_b)`, or
/// `each_dialect!(config = tweak; case_a)` with `fn tweak(&mut Config)`.
#[macro_export]
macro_rules! each_dialect {
    (config = $cfg:path; $($name:ident),* $(,)?) => {
        $crate::each_dialect!(@one sqlite, Sqlite, $cfg; $($name),*);
        $crate::each_dialect!(@one mysql, MySql, $cfg; $($name),*);
        $crate::each_dialect!(@one postgres, Postgres, $cfg; $($name),*);
    };
    (@one $module:ident, $dialect:ident, $cfg:path; $($name:ident),*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let dialect = databuilder_engine::catalog::Dialect::$dialect;
                if let Some(app) = $crate::helpers::spawn_app_with(dialect, $cfg).await { super::$name(&app).await }
            } )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::each_dialect!(config = $crate::helpers::defaults; $($name),*);
    };
}

/// No configuration changes.
pub fn defaults(_: &mut Config) {}

/// A running application.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub state: Shared,
    pub dialect: Dialect,
    cleanup: Option<(Dialect, String, String)>,
    _dir: PathBuf,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> J {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `data` array's rows.
    pub fn rows(&self) -> Vec<J> {
        self.json()["data"].as_array().cloned().unwrap_or_else(|| panic!("no data array: {}", self.text))
    }
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

/// Start the app on a fresh demo database, or `None` (with a printed reason)
/// when that dialect's server is not configured.
pub async fn spawn_app_with(dialect: Dialect, tweak: fn(&mut Config)) -> Option<TestApp> {
    let dir = std::env::temp_dir().join(random_name("dbtest"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (url, cleanup) = match dialect {
        Dialect::Sqlite => (format!("sqlite://{}", dir.join("demo.sqlite").display()), None),
        Dialect::MySql | Dialect::Postgres => {
            let var =
                if dialect == Dialect::MySql { "DATABUILDER_TEST_MYSQL_URL" } else { "DATABUILDER_TEST_POSTGRES_URL" };
            let Ok(server) = std::env::var(var) else {
                eprintln!("skipping: {var} not set");
                return None;
            };
            let name = random_name("dbt");
            let admin = Db::connect(&server, 1).await.expect("connect to the test server");
            exec_raw(&admin, &format!("CREATE DATABASE {name}")).await;
            admin.close().await;
            (with_database(&server, &name), Some((dialect, server, name)))
        }
    };
    let db = Db::connect(&url, 2).await.expect("connect");
    databuilder_engine::demo::load_demo(&db, SCALE, &|_| {}).await.expect("load demo");
    db.close().await;
    let mut cfg = Config::default();
    cfg.database.url = url.clone();
    cfg.base_dir = dir.clone();
    cfg.catalog.reload_interval = "0s".parse().unwrap();
    // The suite makes many requests with one token; the limiter has its own cases.
    cfg.security.default_rate = 1_000_000;
    cfg.security.ip_rate = 1_000_000;
    tweak(&mut cfg);
    let app = Application::build(cfg, "127.0.0.1:0").await.expect("build app");
    let state = app.state();
    let addr = app.local_addr();
    tokio::spawn(app.run_until(std::future::pending()));
    let mut t = TestApp {
        base: format!("http://{addr}/api/data_builder/v1"),
        client: reqwest::Client::new(),
        admin: String::new(),
        state,
        dialect,
        cleanup,
        _dir: dir,
    };
    t.admin = t.token(&["--admin"]).await;
    Some(t)
}

/// Run one statement on a database (test setup only).
pub async fn exec_raw(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
        Db::MySql(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    args: CreateArgs,
}

impl TestApp {
    /// Create a token with `databuilder token create` flags (`--name` is added).
    pub async fn token(&self, flags: &[&str]) -> String {
        let mut argv = vec!["x", "--name", "test"];
        argv.extend_from_slice(flags);
        let args = Wrap::try_parse_from(argv).expect("token flags").args;
        let catalog = self.state.catalog();
        let pol = policy(&catalog, &args).expect("policy");
        self.state.store.create_token("test", &pol, None).await.expect("create token").1
    }

    /// A token that must sign its requests: (token, HMAC secret).
    pub async fn hmac_token(&self, flags: &[&str]) -> (String, String) {
        let token = self.token(flags).await;
        let rec = self.state.store.token_by_hash(&databuilder::store::tokens::hash(&token)).await.unwrap().unwrap();
        let secret =
            databuilder::cli::token::new_hmac_secret(&self.state.store, &self.state.master_key, rec.id).await.unwrap();
        (token, secret)
    }

    /// The server's socket address.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").split('/').next().unwrap().to_string()
    }

    /// Run raw SQL on the target database.
    pub async fn sql(&self, stmt: &str) {
        exec_raw(&self.state.db, stmt).await;
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<&J>) -> Resp {
        let url = format!("{}{path}", self.base);
        let mut rb = self.client.request(method, url);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        read(rb).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Method::GET, path, Some(&self.admin.clone()), None).await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn send(&self, method: Method, path: &str, body: &J) -> Resp {
        self.request(method, path, Some(&self.admin.clone()), Some(body)).await
    }

    /// Every row of a list, by walking pages of 500.
    pub async fn all(&self, path_and_query: &str) -> Vec<J> {
        let sep = if path_and_query.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        for page in 1.. {
            let r = self.get(&format!("{path_and_query}{sep}per_page=500&page={page}")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let rows = r.rows();
            let n = rows.len();
            out.extend(rows);
            if n < 500 {
                break;
            }
        }
        out
    }
}

pub async fn read(rb: reqwest::RequestBuilder) -> Resp {
    let res = rb.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    Resp { status, headers, text }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self._dir);
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
