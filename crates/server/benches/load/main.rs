//! # Load benchmark
//!
//! ```sh
//! cargo bench -p databuilder --bench load
//! ```
//!
//! One command, release build. On the scale-1 Perfex-shaped demo (2,000
//! clients, 20,000 invoices, 60,000 line items), on SQLite and on MariaDB:
//!
//! 1. **Demo data**: `target/bench-demo/demo.sqlite` is created once (the marker
//!    file `demo.ok` is written after a complete load) and each run serves a fresh
//!    copy of it (`target/bench-demo/run/`). On MariaDB (`BENCH_MYSQL_URL`, default
//!    `mysql://root@127.0.0.1:3306/databuilder_bench`) the database is created if
//!    missing and loaded once (the marker table `tbldata_builder_bench_demo`, hidden
//!    from the catalog like Data Builder's state tables, says the load completed);
//!    each run drops Data Builder's state tables there so it starts without
//!    earlier tokens, rate windows or audit records. An unreachable MariaDB is
//!    skipped with the reason. Delete `target/bench-demo/` or drop the database
//!    to time the generation again.
//! 2. **Catalog introspection** (SQLite): `exec::load_catalog` 20 times; min, median.
//! 3. **SQL statements per request**, on quiet servers before any load, through
//!    the pipeline-off router (token, rate and audit statements do not exist
//!    there): 200 sequential requests of W1, W2, W2 `count=none`, G1 and G2,
//!    counted from sqlx's per-statement trace events and, on MariaDB, also from
//!    the server's `Com_select`. Target: G2 exactly 2.
//! 4. **Throughput and latency** at concurrency 32 on loopback, 5 s per workload
//!    (`BENCH_SECS`) after a 1 s warm-up:
//!    - W1 `GET /invoices/{id}`, a pseudo-random id in 1..=20000 per request;
//!    - W2 `GET /invoices?filter[status]=2&sort=-date&count=exact` (25 rows + total),
//!      and the same with `count=none`;
//!    - W3 (SQLite) W2 with `include=client`;
//!    - G1 `POST /graphql` `{ invoices(limit: 25, filter: {status: 2}, sort: "-date") { id total date } }`,
//!      G2 the same with `client { company }`.
//!
//!    W1 and W2 run four ways: the bare axum + sqlx floor (same queries, same
//!    pool size 16), Data Builder's routes with the whole security pipeline off
//!    (`routes::router_without_pipeline` on the same `AppState`, a fixed admin
//!    principal, served by `axum::serve` like the bare floor), and the real server
//!    with every stage on, with one token and with a different one of 1,000 admin
//!    tokens per request. Targets: pipeline on ≥ 70 % of off; Data Builder ≥ 60 %
//!    of bare; G1 ≥ 80 % of REST W2 (also shown against W2 `count=none`).
//! 5. **W4** (SQLite): one CSV export of all invoices, read fast and then slowly
//!    (~2 s), with the peak growth of this process's RSS. Target: < 50 MB.
//!
//! Data Builder runs with its default configuration except two limits that would
//! otherwise refuse a benchmark: the per-IP throttle and every token's rate limit
//! are a billion a minute, so both still run on every request but never answer 429.
//!
//! The load generator is `wrk` when it is on `PATH` (`BENCH_GENERATOR=builtin`
//! forces the other one), else a built-in one: 32 tokio tasks sharing one
//! HTTP/1 keep-alive `reqwest::Client`. Each server runs in its own runtime on
//! its own OS thread. Targets are reported with PASS/FAIL, never asserted.

mod export;
mod generator;
mod mariadb;
mod report;
mod servers;
mod setup;
mod statements;
mod workloads;

use std::time::Duration;

use generator::{Generator, Stats};
use report::{DbRun, Report};
use servers::DataBuilder;
use setup::{Paths, runtime};
use statements::Counts;
use workloads::{Query, Via, Workload, http_client};

/// Concurrent connections of the load generator.
const CONCURRENCY: usize = 32;
/// Invoices in the scale-1 demo: W1 ids are drawn from 1..=INVOICES.
const INVOICES: u64 = 20_000;
/// Data Builder's default `database.max_connections`; the bare pools get the same.
const POOL_SIZE: u32 = 16;
const DEMO_SCALE: f64 = 1.0;
const API: &str = "/api/data_builder/v1";
const WARM_UP: Duration = Duration::from_secs(1);
const DEFAULT_SECS: u64 = 5;
const CATALOG_RUNS: usize = 20;
/// How long the slow W4 reader takes to read the export.
const SLOW_READ_SECS: f64 = 2.0;
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(5);
/// Requests a minute for the per-IP throttle and every token's rate limit.
const NEVER_THROTTLE: u32 = 1_000_000_000;
/// Distinct tokens of the "1,000 tokens" workloads.
const TOKENS: usize = 1_000;

const TARGET_BARE: f64 = 0.60;
const TARGET_PIPELINE: f64 = 0.70;
const TARGET_GRAPHQL: f64 = 0.80;
const G2_STATEMENTS: u64 = 2;
const TARGET_RSS_MB: f64 = 50.0;
const TARGET_CATALOG_MS: f64 = 200.0;
const TARGET_DEMO_SECS: f64 = 30.0;

fn main() {
    statements::install();
    let secs = setup::bench_secs();
    let paths = Paths::new();
    let client_rt = runtime("bench-client");
    let client = http_client();

    let sqlite_demo = client_rt.block_on(setup::ensure_demo(&paths));
    setup::fresh_copy(&paths);
    let catalog = client_rt.block_on(setup::time_catalog(&paths));
    eprintln!("starting the SQLite servers (and creating {TOKENS} tokens) …");
    let sqlite = servers::start_databuilder("databuilder-sqlite", paths.db_url(), &paths.app_dir);
    let sqlite_bare = servers::start_bare_sqlite(paths.db());
    let sqlite_workloads = workloads::all("sqlite", &sqlite, &sqlite_bare, true);

    let maria = client_rt.block_on(mariadb::prepare());
    let maria = match maria {
        Ok(m) => {
            eprintln!("starting the MariaDB servers (and creating {TOKENS} tokens) …");
            let db = servers::start_databuilder("databuilder-mariadb", m.url.clone(), &paths.app_dir);
            let bare = servers::start_bare_mysql(&m.url);
            let workloads = workloads::all("mariadb", &db, &bare, false);
            Ok((m, db, workloads))
        }
        Err(why) => {
            eprintln!("MariaDB skipped: {why}");
            Err(why)
        }
    };

    // Statement counts first, on quiet servers (after their start-up housekeeping).
    std::thread::sleep(Duration::from_millis(500));
    let sqlite_counts = client_rt.block_on(count_statements(&client, "sqlite", &sqlite, None));
    let maria_counts = match &maria {
        Ok((m, db, _)) => client_rt.block_on(count_statements(&client, "mariadb", db, Some(&m.admin))),
        Err(_) => Vec::new(),
    };

    client_rt.block_on(workloads::check(&client, &sqlite_workloads));
    if let Ok((_, _, w)) = &maria {
        client_rt.block_on(workloads::check(&client, w));
    }

    // W4 before the load, while the process's heap is still small: RSS growth is
    // then not hidden by memory the allocator kept from the load runs.
    let exports = client_rt.block_on(export::run_exports(&client, &sqlite));

    let generator = Generator::choose();
    eprintln!(
        "load generator: {}; {CONCURRENCY} connections, {secs} s per workload after a {} s warm-up",
        generator.describe(),
        WARM_UP.as_secs()
    );
    let measure = |workloads: Vec<Workload>| -> Vec<(Workload, Stats)> {
        workloads
            .into_iter()
            .map(|w| {
                let stats = generator.measure(&client_rt, &client, &w, secs, &paths.dir);
                (w, stats)
            })
            .collect()
    };
    let sqlite_results = measure(sqlite_workloads);
    let sqlite_run = DbRun {
        name: "SQLite",
        detail: format!(
            "{} (scale 1; pool {POOL_SIZE}, WAL; state tables in the same file, one writer connection)",
            paths.db().display()
        ),
        results: sqlite_results,
        counts: sqlite_counts,
        counted_by: "sqlx statement events",
        audit_dropped: sqlite.state.audit.dropped(),
        demo: sqlite_demo,
    };
    let maria_run = maria.map(|(m, db, workloads)| {
        let results = measure(workloads);
        DbRun {
            name: "MariaDB",
            detail: format!(
                "{} at {} (scale 1; pool {POOL_SIZE} shared by data and state tables; innodb_flush_log_at_trx_commit={})",
                m.version,
                mariadb::redacted(&m.url),
                m.flush_at_commit
            ),
            results,
            counts: maria_counts,
            counted_by: "server Com_select delta (sqlx statement events in brackets)",
            audit_dropped: db.state.audit.dropped(),
            demo: m.demo,
        }
    });

    let report =
        Report { generator: generator.describe(), secs, sqlite: sqlite_run, mariadb: maria_run, catalog, exports };
    println!("{}", report.render());
}

/// Statements per request of W1, W2, W2 `count=none`, G1 and G2 through the
/// pipeline-off router.
async fn count_statements(
    client: &reqwest::Client,
    db: &'static str,
    server: &DataBuilder,
    admin: Option<&sqlx::MySqlPool>,
) -> Vec<Counts> {
    eprintln!("counting SQL statements per request on {db} …");
    let mut out = Vec::new();
    for q in [Query::W1, Query::W2, Query::W2NoCount, Query::G1, Query::G2] {
        let w = workloads::data_builder(db, server, q, Via::Off);
        out.push(statements::probe(client, &w, admin).await);
    }
    out
}
