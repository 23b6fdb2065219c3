//! SQL statements per request, counted on a quiet server through the
//! pipeline-off router (so token, rate and audit statements do not count):
//!
//! - every database: sqlx's own per-statement trace events (`sqlx::query`),
//!   counted by a minimal `tracing` subscriber that is switched on only while
//!   the sequential probe runs — every statement any pool of this process runs;
//! - MariaDB also: the server's `Com_select` before and after (all clients).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::mysql::MySqlPool;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{Interest, Subscriber};
use tracing::{Event, Metadata};

use crate::mariadb::com_select;
use crate::workloads::{Query, Rng, Workload, send_json};

const SQLX_TARGET: &str = "sqlx::query";
/// Sequential requests per probe.
pub const PROBE_REQUESTS: u64 = 200;

static COUNTING: AtomicBool = AtomicBool::new(false);
static CAPTURING: AtomicBool = AtomicBool::new(false);
static STATEMENTS: AtomicU64 = AtomicU64::new(0);
static SELECTS: AtomicU64 = AtomicU64::new(0);
static CAPTURED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Install the counter as the global subscriber (nothing else is logged).
pub fn install() {
    let _ = tracing::subscriber::set_global_default(Counter);
}

/// Counts `sqlx::query` events while `COUNTING` is on; interested in nothing else.
struct Counter;

impl Subscriber for Counter {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.target() == SQLX_TARGET { Interest::sometimes() } else { Interest::never() }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.target() == SQLX_TARGET && COUNTING.load(Ordering::Relaxed)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() != SQLX_TARGET || !COUNTING.load(Ordering::Relaxed) {
            return;
        }
        let mut sql = Statement::default();
        event.record(&mut sql);
        STATEMENTS.fetch_add(1, Ordering::Relaxed);
        if sql.summary.split_whitespace().next().is_some_and(|w| w.eq_ignore_ascii_case("select")) {
            SELECTS.fetch_add(1, Ordering::Relaxed);
        }
        if CAPTURING.load(Ordering::Relaxed) {
            let text = if sql.statement.trim().is_empty() { sql.summary } else { sql.statement };
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Ok(mut seen) = CAPTURED.lock() {
                seen.push(text);
            }
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// The two fields of sqlx's statement event that matter here.
#[derive(Default)]
struct Statement {
    summary: String,
    statement: String,
}

impl Visit for Statement {
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

/// What one probe counted.
pub struct Counts {
    pub query: Query,
    pub requests: u64,
    /// Statements sqlx ran in this process.
    pub sqlx: u64,
    pub sqlx_selects: u64,
    /// The server's `Com_select` delta (MariaDB only).
    pub com_select: Option<u64>,
    /// The statements of the first counted request.
    pub first_request: Vec<String>,
}

impl Counts {
    pub fn per_request(&self) -> f64 {
        self.com_select.unwrap_or(self.sqlx) as f64 / self.requests as f64
    }

    pub fn sqlx_per_request(&self) -> f64 {
        self.sqlx as f64 / self.requests as f64
    }

    /// Exactly `n` statements for every request.
    pub fn exactly(&self, n: u64) -> bool {
        self.com_select.unwrap_or(self.sqlx) == n * self.requests && self.sqlx == n * self.requests
    }
}

/// `PROBE_REQUESTS` sequential requests of `w` (a pipeline-off workload), after
/// two uncounted ones (statement preparation, schema building).
pub async fn probe(client: &reqwest::Client, w: &Workload, admin: Option<&MySqlPool>) -> Counts {
    let mut rng = Rng::new(7);
    for _ in 0..2 {
        send_json(client, w, &mut rng, None).await;
    }
    let before = match admin {
        Some(a) => Some(com_select(a).await),
        None => None,
    };
    STATEMENTS.store(0, Ordering::Relaxed);
    SELECTS.store(0, Ordering::Relaxed);
    if let Ok(mut seen) = CAPTURED.lock() {
        seen.clear();
    }
    CAPTURING.store(true, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    for _ in 0..PROBE_REQUESTS {
        let (status, body) = send_json(client, w, &mut rng, None).await;
        assert_eq!(status, 200, "{} on {}: {body}", w.name(), w.db);
        CAPTURING.store(false, Ordering::Relaxed);
    }
    COUNTING.store(false, Ordering::Relaxed);
    let com_select = match (admin, before) {
        (Some(a), Some(b)) => Some(com_select(a).await - b),
        _ => None,
    };
    Counts {
        query: w.query,
        requests: PROBE_REQUESTS,
        sqlx: STATEMENTS.load(Ordering::Relaxed),
        sqlx_selects: SELECTS.load(Ordering::Relaxed),
        com_select,
        first_request: CAPTURED.lock().map(|s| s.clone()).unwrap_or_default(),
    }
}
