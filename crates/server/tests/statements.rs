//! SQL statements per request, pinned: an ad-hoc aggregate is one statement
//! (two with `count=exact`), over REST and GraphQL, on every dialect.
//!
//! Its own test binary with a single test, because the counter is process-wide:
//! sqlx's per-statement trace events (`sqlx::query`), counted by a minimal
//! `tracing` subscriber only while one request runs. Requests go through the
//! pipeline-off router (as the load benchmark counts them), so token, rate and
//! audit statements do not exist; two uncounted requests come first (statement
//! preparation, schema building).

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use databuilder_engine::catalog::Dialect;
use databuilder_engine::principal::{Policy, Principal};
use serde_json::{Value as J, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{Interest, Subscriber};
use tracing::{Event, Metadata};

const SQLX_TARGET: &str = "sqlx::query";

static COUNTING: AtomicBool = AtomicBool::new(false);
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Counter;

impl Subscriber for Counter {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.target() == SQLX_TARGET { Interest::sometimes() } else { Interest::never() }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.target() == SQLX_TARGET && COUNTING.load(Ordering::SeqCst)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() != SQLX_TARGET || !COUNTING.load(Ordering::SeqCst) {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        let sql = if text.statement.trim().is_empty() { text.summary } else { text.statement };
        let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        // Background work on the state tables (the once-a-minute purge of rate
        // windows and nonces, the change marker polled every second) is not the
        // request's: the pipeline is off, so a request touches the target tables only.
        if sql.contains("data_builder_") {
            return;
        }
        SEEN.lock().unwrap().push(sql);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[derive(Default)]
struct Text {
    summary: String,
    statement: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.statement = value.to_string(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" && self.summary.is_empty() {
            self.summary = format!("{value:?}").trim_matches('"').to_string();
        }
    }
}

/// The statements one request runs (after two uncounted runs of it).
async fn statements(client: &reqwest::Client, req: impl Fn() -> reqwest::RequestBuilder) -> (Vec<String>, J) {
    for _ in 0..2 {
        assert!(req().send().await.unwrap().status().is_success());
    }
    SEEN.lock().unwrap().clear();
    COUNTING.store(true, Ordering::SeqCst);
    let res = client.execute(req().build().unwrap()).await.unwrap();
    let status = res.status();
    let body: J = res.json().await.unwrap();
    COUNTING.store(false, Ordering::SeqCst);
    assert!(status.is_success(), "{body}");
    (std::mem::take(&mut *SEEN.lock().unwrap()), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_statement_per_aggregate() {
    let _ = tracing::subscriber::set_global_default(Counter);
    for dialect in [Dialect::Sqlite, Dialect::MySql, Dialect::Postgres] {
        let Some(app) = helpers::spawn_app_with(dialect, helpers::defaults).await else { continue };
        let admin =
            Principal { token_id: 0, name: "count".into(), policy: Policy { admin: true, ..Policy::default() } };
        let router = databuilder::routes::router_without_pipeline(app.state.clone(), admin);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/data_builder/v1", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        let client = reqwest::Client::new();

        let q = "group_by=status,month(date)&metrics=count(*),sum(total)&filter[total.gte]=1&having[count(*).gt]=0&sort=-sum(total)";
        let url = format!("{base}/invoices/aggregate?{q}");
        let (seen, body) = statements(&client, || client.get(&url)).await;
        assert_eq!(seen.len(), 1, "{dialect:?}: {seen:#?}");
        assert!(seen[0].contains("GROUP BY") && body["data"].as_array().is_some_and(|d| !d.is_empty()));
        let url = format!("{base}/invoices/aggregate?{q}&count=exact");
        let (seen, body) = statements(&client, || client.get(&url)).await;
        assert_eq!(seen.len(), 2, "{dialect:?}: with a total: {seen:#?}");
        assert!(body["meta"]["total"].as_i64().is_some_and(|n| n > 0));

        let gql = json!({"query": r#"{ invoices_aggregate(group_by: ["status"], metrics: ["sum(total)"]) }"#});
        let (seen, body) = statements(&client, || client.post(format!("{base}/graphql")).json(&gql)).await;
        assert_eq!(seen.len(), 1, "{dialect:?}: GraphQL: {seen:#?} {body}");
        assert!(body["data"]["invoices_aggregate"]["data"].is_array(), "{body}");
        server.abort();
    }
}
