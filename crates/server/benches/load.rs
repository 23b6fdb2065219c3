//! # Load benchmark
//!
//! ```sh
//! cargo bench -p databuilder --bench load
//! ```
//!
//! One command, release build. It measures, on the scale-1 Perfex-shaped demo
//! database (2,000 clients, 20,000 invoices, 60,000 line items):
//!
//! 1. **Demo generation**: `target/bench-demo/demo.sqlite` is created once (a
//!    marker file `demo.ok` is written after a successful load) and reused after;
//!    the run that creates it prints how long that took (target < 30 s). Delete
//!    `target/bench-demo/` to time it again. Each run serves a fresh copy of it
//!    (`target/bench-demo/run/`), so runs do not inherit each other's tokens,
//!    rate windows or audit records.
//! 2. **Catalog introspection**: `catalog::load` 20 times; min and median (< 200 ms).
//! 3. **Throughput and latency** at concurrency 32 on loopback, for a fixed time per
//!    workload (5 s, `BENCH_SECS` changes it) after a 1 s warm-up:
//!    - W1 `GET /invoices/{id}`, a pseudo-random id in 1..=20000 per request;
//!    - W2 `GET /invoices?filter[status]=2&sort=-date&count=exact` (25 rows + total);
//!    - W3 the same with `include=client`;
//!
//!    and, as the floor of this stack, W1 and W2 through a bare axum + sqlx
//!    handler on the same database file (same pool size, WAL), each in its own
//!    runtime on its own OS thread. Target: Data Builder at ≥ 60 % of the bare
//!    handler's requests/s on W1 and W2.
//! 4. **W4**: one CSV export of all invoices (no paging: 20,000 rows + header),
//!    read fast and then read slowly (~2 s); rows, seconds, MB/s and the peak
//!    growth of this process's RSS while it runs (sampled from `/proc/self/status`
//!    every 5 ms; the server runs in-process). Target: < 50 MB.
//!
//! Data Builder runs with its default configuration (state tables in the same
//! database, every security stage on) except two limits that would otherwise
//! refuse a benchmark: the per-IP throttle and the token's rate limit are set to
//! a billion a minute, so both still run on every request but never answer 429.
//!
//! The load generator is `wrk` when it is on `PATH` (`BENCH_GENERATOR=builtin`
//! forces the other one), else a built-in one: 32 tokio tasks sharing one
//! HTTP/1 keep-alive `reqwest::Client` in a third runtime. Targets are reported
//! with PASS/FAIL, never asserted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::serve::ListenerExt;
use databuilder::config::Config;
use databuilder::startup::{Application, catalog_config};
use databuilder_engine::catalog;
use databuilder_engine::exec::{Db, load_demo};
use databuilder_engine::principal::Policy;
use serde_json::{Map, Value as J, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteRow};
use sqlx::{Column, Row, TypeInfo, ValueRef};
use tokio::runtime::Runtime;

/// Concurrent connections of the load generator.
const CONCURRENCY: usize = 32;
/// Invoices in the scale-1 demo: W1 ids are drawn from 1..=INVOICES.
const INVOICES: u64 = 20_000;
/// Data Builder's default `database.max_connections`; the bare pool gets the same.
const POOL_SIZE: u32 = 16;
const DEMO_SCALE: f64 = 1.0;
const API: &str = "/api/data_builder/v1";
const WARM_UP: Duration = Duration::from_secs(1);
const DEFAULT_SECS: u64 = 5;
const CATALOG_RUNS: usize = 20;
/// How long the slow W4 reader takes to read the export.
const SLOW_READ_SECS: f64 = 2.0;
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(5);
/// Requests a minute for the per-IP throttle and the token's rate limit.
const NEVER_THROTTLE: u32 = 1_000_000_000;

const TARGET_RATIO: f64 = 0.60;
/// `TARGET_RATIO` as the table shows it.
const RATIO_TARGET: &str = "≥ 60% of bare";
const TARGET_RSS_MB: f64 = 50.0;
const TARGET_CATALOG_MS: f64 = 200.0;
const TARGET_DEMO_SECS: f64 = 30.0;

/// The W2 query string (brackets percent-encoded, as a browser would send them).
const W2_QUERY: &str = "filter%5Bstatus%5D=2&sort=-date&count=exact";

fn main() {
    let secs = bench_secs();
    let paths = Paths::new();
    let client_rt = runtime("bench-client");

    let demo = client_rt.block_on(ensure_demo(&paths));
    fresh_copy(&paths);
    let catalog = client_rt.block_on(time_catalog(&paths));
    let databuilder = start_databuilder(&paths);
    let bare = start_bare(&paths);
    let client = http_client();
    let workloads = workloads(&databuilder, &bare);
    client_rt.block_on(check_workloads(&client, &workloads));

    // W4 first, while the process's heap is still small: RSS growth is then not
    // hidden by memory the allocator kept from the load runs.
    let exports = client_rt.block_on(run_exports(&client, &databuilder));

    let generator = Generator::choose();
    eprintln!(
        "load generator: {}; {CONCURRENCY} connections, {secs} s per workload after a {} s warm-up",
        generator.describe(),
        WARM_UP.as_secs()
    );
    let results: Vec<(Workload, Stats)> = workloads
        .into_iter()
        .map(|w| {
            let stats = generator.measure(&client_rt, &client, &w, secs, &paths.dir);
            (w, stats)
        })
        .collect();

    let report = Report { generator: generator.describe(), secs, demo, catalog, results, exports };
    println!("{}", report.render());
}

// ---------------------------------------------------------------------------
// Setup: settings, paths, runtimes, the demo database, catalog timing.
// ---------------------------------------------------------------------------

fn bench_secs() -> u64 {
    std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .unwrap_or(DEFAULT_SECS)
}

/// Where the benchmark keeps its files: `<target>/bench-demo/`.
struct Paths {
    dir: PathBuf,
    /// The demo database as generated; never served.
    demo: PathBuf,
    /// Written after `demo` was loaded completely.
    marker: PathBuf,
    /// This run's copy of `demo`, which both servers use.
    db: PathBuf,
    /// Data Builder's `base_dir` (its master key file).
    app_dir: PathBuf,
}

impl Paths {
    fn new() -> Paths {
        let dir = target_dir().join("bench-demo");
        for sub in ["app", "run"] {
            std::fs::create_dir_all(dir.join(sub)).expect("create the folders in target/bench-demo");
        }
        let dir = dir.canonicalize().expect("target/bench-demo has an absolute path");
        Paths {
            demo: dir.join("demo.sqlite"),
            marker: dir.join("demo.ok"),
            db: dir.join("run").join("demo.sqlite"),
            app_dir: dir.join("app"),
            dir,
        }
    }

    fn db_url(&self) -> String {
        format!("sqlite://{}", self.db.display())
    }
}

/// `path` and its `-wal` and `-shm` companions.
fn sqlite_files(path: &Path) -> [PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
}

/// Give this run a fresh copy of the demo database, so the state tables Data
/// Builder adds (tokens, rate windows, audit records) never pile up across runs.
fn fresh_copy(paths: &Paths) {
    for (from, to) in sqlite_files(&paths.demo).iter().zip(sqlite_files(&paths.db)) {
        let _ = std::fs::remove_file(&to);
        if from.exists() {
            std::fs::copy(from, &to).expect("copy the demo database to target/bench-demo/run/");
        }
    }
}

/// The cargo target directory: the bench binary lives in `<target>/release/deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let deps = exe.as_deref().and_then(Path::parent);
    match deps.filter(|d| d.ends_with("deps")).and_then(|d| d.parent()?.parent()) {
        Some(target) => target.to_path_buf(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().thread_name(name).build().expect("build a tokio runtime")
}

/// How the demo database came to be there.
enum Demo {
    Generated(Duration),
    Reused,
}

/// Create the scale-1 demo database unless a previous run completed it.
async fn ensure_demo(paths: &Paths) -> Demo {
    if paths.marker.exists() && paths.demo.exists() {
        eprintln!("reusing {}", paths.demo.display());
        return Demo::Reused;
    }
    for file in sqlite_files(&paths.demo) {
        let _ = std::fs::remove_file(file);
    }
    eprintln!("generating the scale-1 demo database…");
    let started = Instant::now();
    let url = format!("sqlite://{}", paths.demo.display());
    let db = Db::connect(&url, 1).await.expect("create the demo SQLite file");
    load_demo(&db, DEMO_SCALE, &|_rows_done: u64| {}).await.expect("load the scale-1 demo data");
    db.close().await;
    let took = started.elapsed();
    std::fs::write(&paths.marker, format!("scale={DEMO_SCALE}\n")).expect("write target/bench-demo/demo.ok");
    eprintln!("demo database generated in {:.1} s", took.as_secs_f64());
    Demo::Generated(took)
}

struct CatalogTiming {
    tables: usize,
    min_ms: f64,
    median_ms: f64,
}

/// Time `catalog::load` on the demo database `CATALOG_RUNS` times.
async fn time_catalog(paths: &Paths) -> CatalogTiming {
    let mut cfg = Config::default();
    cfg.database.url = paths.db_url();
    let catalog_cfg = catalog_config(&cfg).expect("the default catalog configuration is valid");
    let db = Db::connect(&paths.db_url(), 4).await.expect("connect to the demo database");
    let mut ms = Vec::with_capacity(CATALOG_RUNS);
    let mut tables = 0;
    for _ in 0..CATALOG_RUNS {
        let started = Instant::now();
        let c = catalog::load(&db, &catalog_cfg).await.expect("introspect the demo database");
        ms.push(started.elapsed().as_secs_f64() * 1e3);
        tables = c.tables.len();
    }
    db.close().await;
    ms.sort_by(f64::total_cmp);
    CatalogTiming { tables, min_ms: ms[0], median_ms: ms[ms.len() / 2] }
}

// ---------------------------------------------------------------------------
// The two servers, each in its own runtime on its own OS thread.
// ---------------------------------------------------------------------------

/// A running server: `origin` is `http://127.0.0.1:PORT`.
struct Server {
    origin: String,
    token: Option<String>,
}

/// Run `serve` on a new OS thread with its own runtime; it reports its server.
fn spawn_server<F, Fut>(name: &str, serve: F) -> Server
where
    F: FnOnce(std::sync::mpsc::Sender<Server>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let thread_name = name.to_string();
    std::thread::Builder::new()
        .name(thread_name.clone())
        .spawn(move || runtime(&thread_name).block_on(serve(tx)))
        .expect("spawn a server thread");
    rx.recv().unwrap_or_else(|_| panic!("the {name} server failed to start"))
}

fn start_databuilder(paths: &Paths) -> Server {
    let mut cfg = Config::default();
    cfg.database.url = paths.db_url();
    cfg.base_dir = paths.app_dir.clone();
    cfg.catalog.reload_interval = "0s".into();
    // All load comes from one address: the per-IP throttle (600 a minute by
    // default) would answer 429s. It still runs, with a limit never reached.
    cfg.security.ip_rate = NEVER_THROTTLE;
    spawn_server("databuilder", move |tx| async move {
        let app = Application::build(cfg, "127.0.0.1:0").await.expect("Data Builder starts on the demo database");
        let policy = Policy {
            admin: true,
            // The per-token limiter still counts every request, but never refuses one.
            rate: Some(NEVER_THROTTLE),
            ..Policy::default()
        };
        let (_, token) = app
            .state()
            .state
            .create_token("load benchmark", &policy, None)
            .await
            .expect("create the benchmark's admin token");
        let server = Server { origin: format!("http://{}", app.local_addr()), token: Some(token) };
        tx.send(server).expect("the main thread waits for the server");
        app.run_until(std::future::pending()).await;
    })
}

fn start_bare(paths: &Paths) -> Server {
    let db = paths.db.clone();
    spawn_server("bare", move |tx| async move {
        let pool = bare_pool(&db).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the bare server");
        let addr = listener.local_addr().expect("bound address");
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true); // as Data Builder's accept loop does
        });
        let server = Server { origin: format!("http://{addr}"), token: None };
        tx.send(server).expect("the main thread waits for the server");
        axum::serve(listener, bare_router(pool)).await.expect("the bare server runs");
    })
}

/// The bare pool: same size as Data Builder's default, WAL like Data Builder.
async fn bare_pool(db: &Path) -> SqlitePool {
    let opts = SqliteConnectOptions::new()
        .filename(db)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5));
    sqlx::pool::PoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect_with(opts)
        .await
        .expect("open the bare server's pool")
}

fn bare_router(pool: SqlitePool) -> Router {
    Router::new().route("/invoices", get(bare_list)).route("/invoices/{id}", get(bare_get)).with_state(pool)
}

fn internal(_: sqlx::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

/// `GET /invoices/{id}`: the whole row as a JSON object.
async fn bare_get(State(pool): State<SqlitePool>, UrlPath(id): UrlPath<i64>) -> Result<axum::Json<J>, StatusCode> {
    let row = sqlx::query("SELECT * FROM tblinvoices WHERE id = ?")
        .bind(id)
        .fetch_optional(&pool)
        .await
        .map_err(internal)?
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(axum::Json(row_json(&row)))
}

/// `GET /invoices?status=N`: 25 rows newest first, plus the total.
async fn bare_list(State(pool): State<SqlitePool>, RawQuery(q): RawQuery) -> Result<axum::Json<J>, StatusCode> {
    let status: i64 = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "status")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or(StatusCode::BAD_REQUEST)?;
    let rows = sqlx::query("SELECT * FROM tblinvoices WHERE status = ? ORDER BY date DESC, id LIMIT 25")
        .bind(status)
        .fetch_all(&pool)
        .await
        .map_err(internal)?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tblinvoices WHERE status = ?")
        .bind(status)
        .fetch_one(&pool)
        .await
        .map_err(internal)?;
    let data: Vec<J> = rows.iter().map(row_json).collect();
    Ok(axum::Json(json!({ "data": data, "total": total })))
}

/// Every column of a row to JSON, by the value's SQLite storage class.
fn row_json(row: &SqliteRow) -> J {
    let mut obj = Map::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        obj.insert(col.name().to_string(), cell_json(row, i));
    }
    J::Object(obj)
}

fn cell_json(row: &SqliteRow, i: usize) -> J {
    let class = match row.try_get_raw(i) {
        Ok(raw) if !raw.is_null() => raw.type_info().name().to_string(),
        _ => return J::Null,
    };
    match class.as_str() {
        "INTEGER" => row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null),
        "REAL" => row.try_get::<f64, _>(i).ok().and_then(serde_json::Number::from_f64).map_or(J::Null, J::Number),
        _ => row.try_get::<String, _>(i).map_or(J::Null, J::String),
    }
}

// ---------------------------------------------------------------------------
// Workloads.
// ---------------------------------------------------------------------------

/// The path of each request.
#[derive(Clone)]
enum Route {
    Fixed(String),
    /// `prefix` followed by a pseudo-random id in 1..=INVOICES.
    RandomId(String),
}

#[derive(Clone)]
struct Workload {
    name: &'static str,
    target: &'static str,
    origin: String,
    route: Route,
    token: Option<String>,
}

impl Workload {
    fn url(&self, rng: &mut Rng) -> String {
        match &self.route {
            Route::Fixed(path) => format!("{}{path}", self.origin),
            Route::RandomId(prefix) => format!("{}{prefix}{}", self.origin, rng.id()),
        }
    }
}

fn workloads(db: &Server, bare: &Server) -> Vec<Workload> {
    let on = |server: &Server, name, target, route| Workload {
        name,
        target,
        origin: server.origin.clone(),
        route,
        token: server.token.clone(),
    };
    vec![
        on(db, "W1 get invoice by id  (Data Builder)", RATIO_TARGET, Route::RandomId(format!("{API}/invoices/"))),
        on(bare, "W1 get invoice by id  (bare axum+sqlx)", "floor", Route::RandomId("/invoices/".into())),
        on(
            db,
            "W2 list 25, count     (Data Builder)",
            RATIO_TARGET,
            Route::Fixed(format!("{API}/invoices?{W2_QUERY}")),
        ),
        on(bare, "W2 list 25, count     (bare axum+sqlx)", "floor", Route::Fixed("/invoices?status=2".into())),
        on(
            db,
            "W3 W2 + include=client (Data Builder)",
            "reported",
            Route::Fixed(format!("{API}/invoices?{W2_QUERY}&include=client")),
        ),
    ]
}

/// One request per workload before measuring: each must answer 200, and the
/// W2 totals of both servers must agree (they do the same work).
async fn check_workloads(client: &reqwest::Client, workloads: &[Workload]) {
    let mut totals = Vec::new();
    for w in workloads {
        let (status, body) = get_json(client, &w.url(&mut Rng::new(0)), w.token.as_deref()).await;
        if status != StatusCode::OK.as_u16() {
            panic!("{}: answered {status}: {body}", w.name);
        }
        let is_list = matches!(w.route, Route::Fixed(_));
        let total = body.pointer("/meta/total").or_else(|| body.get("total")).filter(|_| is_list);
        if let Some(t) = total {
            totals.push(format!("{} → total {t}", w.name.trim()));
        }
    }
    eprintln!("checked: {}", totals.join("; "));
}

async fn get_json(client: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, J) {
    let resp = request(client, url, token).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let body = resp.json::<J>().await.unwrap_or(J::Null);
    (status, body)
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .no_proxy()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("build the HTTP client")
}

fn request(client: &reqwest::Client, url: &str, token: Option<&str>) -> reqwest::RequestBuilder {
    let req = client.get(url);
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

/// A small deterministic generator (SplitMix64) for W1 ids.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn id(&mut self) -> u64 {
        1 + self.next() % INVOICES
    }
}

// ---------------------------------------------------------------------------
// Load generators.
// ---------------------------------------------------------------------------

/// What one workload measured.
struct Stats {
    requests: u64,
    errors: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

enum Generator {
    Wrk,
    Builtin,
}

impl Generator {
    fn choose() -> Generator {
        let forced_builtin = std::env::var("BENCH_GENERATOR").is_ok_and(|g| g == "builtin");
        let wrk_found =
            Command::new("wrk").arg("--version").output().is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty());
        if wrk_found && !forced_builtin { Generator::Wrk } else { Generator::Builtin }
    }

    fn describe(&self) -> &'static str {
        match self {
            Generator::Wrk => "wrk (-t2 -c32, Lua script for W1 ids)",
            Generator::Builtin => "built-in (32 tokio tasks, one reqwest HTTP/1 keep-alive client)",
        }
    }

    fn measure(&self, rt: &Runtime, client: &reqwest::Client, w: &Workload, secs: u64, dir: &Path) -> Stats {
        eprintln!("running {} …", w.name);
        match self {
            Generator::Wrk => {
                run_wrk(w, WARM_UP, dir);
                run_wrk(w, Duration::from_secs(secs), dir)
            }
            Generator::Builtin => rt.block_on(async {
                run_builtin(client, w, WARM_UP).await;
                run_builtin(client, w, Duration::from_secs(secs)).await
            }),
        }
    }
}

/// What one load task saw.
#[derive(Default)]
struct TaskResult {
    latencies: Vec<Duration>,
    errors: u64,
}

async fn run_builtin(client: &reqwest::Client, w: &Workload, run_for: Duration) -> Stats {
    let started = Instant::now();
    let deadline = started + run_for;
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|task| {
            let (client, w) = (client.clone(), w.clone());
            tokio::spawn(async move { load_task(client, w, task as u64, deadline).await })
        })
        .collect();
    let mut all = TaskResult::default();
    for t in tasks {
        let r = t.await.expect("a load task panicked");
        all.latencies.extend(r.latencies);
        all.errors += r.errors;
    }
    Stats::from_latencies(all.latencies, all.errors, started.elapsed())
}

/// Send requests back to back until the deadline; a non-200 is an error.
async fn load_task(client: reqwest::Client, w: Workload, task: u64, deadline: Instant) -> TaskResult {
    let mut rng = Rng::new(task + 1);
    let mut out = TaskResult::default();
    while Instant::now() < deadline {
        let url = w.url(&mut rng);
        let sent = Instant::now();
        let ok = match request(&client, &url, w.token.as_deref()).send().await {
            Ok(resp) => {
                let status_ok = resp.status() == StatusCode::OK;
                resp.bytes().await.is_ok() && status_ok
            }
            Err(_) => false,
        };
        if ok {
            out.latencies.push(sent.elapsed());
        } else {
            out.errors += 1;
        }
    }
    out
}

impl Stats {
    fn from_latencies(mut latencies: Vec<Duration>, errors: u64, elapsed: Duration) -> Stats {
        latencies.sort_unstable();
        let pct = |q: f64| {
            if latencies.is_empty() {
                return f64::NAN;
            }
            let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
            latencies[rank - 1].as_secs_f64() * 1e3
        };
        Stats {
            requests: latencies.len() as u64,
            errors,
            rps: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
        }
    }
}

/// Run wrk once; W1 gets a Lua script drawing a random id per request.
fn run_wrk(w: &Workload, run_for: Duration, dir: &Path) -> Stats {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", &format!("-c{CONCURRENCY}")]).arg(format!("-d{}s", run_for.as_secs().max(1))).arg("--latency");
    if let Some(t) = &w.token {
        cmd.arg("-H").arg(format!("Authorization: Bearer {t}"));
    }
    let url = match &w.route {
        Route::Fixed(path) => format!("{}{path}", w.origin),
        Route::RandomId(prefix) => {
            let script = dir.join("w1-random-id.lua");
            std::fs::write(&script, wrk_script(prefix)).expect("write the wrk Lua script");
            cmd.arg("-s").arg(&script);
            format!("{}/", w.origin)
        }
    };
    let out = cmd.arg(url).output().expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text).unwrap_or_else(|| panic!("cannot read wrk's output:\n{text}"))
}

/// Each wrk thread seeds its own generator; every request gets an id in 1..=INVOICES.
fn wrk_script(prefix: &str) -> String {
    format!(
        r#"-- Data Builder load benchmark, W1: a pseudo-random invoice id per request.
local threads = 0
function setup(thread)
  thread:set("seed", 1000 + threads)
  threads = threads + 1
end
function init(args)
  math.randomseed(seed)
end
function request()
  return wrk.format(nil, "{prefix}" .. math.random(1, {INVOICES}))
end
"#
    )
}

/// Requests/sec, the 50 % and 99 % latency lines, and errors from wrk's report.
fn parse_wrk(text: &str) -> Option<Stats> {
    let mut requests = None;
    let mut rps = None;
    let (mut p50, mut p99) = (None, None);
    let mut errors = 0u64;
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("50%"), Some(v)) => p50 = wrk_ms(v),
            (Some("99%"), Some(v)) => p99 = wrk_ms(v),
            (Some("Requests/sec:"), Some(v)) => rps = v.parse::<f64>().ok(),
            (Some("Non-2xx"), _) => errors += last_number(line),
            (Some("Socket"), Some("errors:")) => {
                errors += line.split(',').map(last_number).sum::<u64>();
            }
            (Some(n), Some("requests")) => requests = n.parse::<u64>().ok(),
            _ => {}
        }
    }
    Some(Stats { requests: requests?, errors, rps: rps?, p50_ms: p50?, p99_ms: p99? })
}

fn last_number(s: &str) -> u64 {
    s.split_whitespace().last().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// `412.00us`, `1.23ms`, `2.01s` → milliseconds.
fn wrk_ms(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    match unit {
        "us" => Some(n / 1e3),
        "ms" => Some(n),
        "s" => Some(n * 1e3),
        "m" => Some(n * 60e3),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// W4: CSV export of every invoice, with the process's peak RSS growth.
// ---------------------------------------------------------------------------

struct Export {
    status: u16,
    rows: u64,
    bytes: u64,
    elapsed: Duration,
    rss: RssPeak,
}

impl Export {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64()
    }
}

struct Exports {
    fast: Export,
    slow: Export,
}

async fn run_exports(client: &reqwest::Client, db: &Server) -> Exports {
    let url = format!("{}{API}/invoices?format=csv", db.origin);
    let token = db.token.as_deref();
    eprintln!("running W4 CSV export …");
    let fast = export(client, &url, token, None).await;
    let rate = fast.bytes as f64 / SLOW_READ_SECS;
    eprintln!("running W4 CSV export with a slow reader (~{SLOW_READ_SECS} s) …");
    let slow = export(client, &url, token, Some(rate)).await;
    Exports { fast, slow }
}

/// Read one export chunk by chunk (never whole), optionally at `pace` bytes/s.
async fn export(client: &reqwest::Client, url: &str, token: Option<&str>, pace: Option<f64>) -> Export {
    let sampler = RssSampler::start();
    let started = Instant::now();
    let mut resp = request(client, url, token).send().await.expect("send the CSV export request");
    let status = resp.status().as_u16();
    let mut counter = CsvRecords::default();
    let mut bytes = 0u64;
    while let Some(chunk) = resp.chunk().await.expect("read the CSV export") {
        bytes += chunk.len() as u64;
        counter.feed(&chunk);
        if let Some(rate) = pace {
            let due = Duration::from_secs_f64(bytes as f64 / rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
    let elapsed = started.elapsed();
    Export {
        status,
        rows: counter.records.saturating_sub(1), // minus the header
        bytes,
        elapsed,
        rss: sampler.stop(),
    }
}

/// Counts CSV records: line ends outside quoted fields.
#[derive(Default)]
struct CsvRecords {
    in_quotes: bool,
    records: u64,
}

impl CsvRecords {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => self.records += 1,
                _ => {}
            }
        }
    }
}

/// Samples this process's VmRSS every 5 ms on a side thread.
struct RssSampler {
    baseline_kb: u64,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<u64>,
}

impl RssSampler {
    fn start() -> RssSampler {
        let baseline_kb = rss_kb();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("rss-sampler".into())
            .spawn(move || {
                let mut peak = baseline_kb;
                while !flag.load(Ordering::Relaxed) {
                    peak = peak.max(rss_kb());
                    std::thread::sleep(RSS_SAMPLE_EVERY);
                }
                peak.max(rss_kb())
            })
            .expect("spawn the RSS sampler");
        RssSampler { baseline_kb, stop, thread }
    }

    fn stop(self) -> RssPeak {
        self.stop.store(true, Ordering::Relaxed);
        let peak_kb = self.thread.join().expect("the RSS sampler panicked");
        RssPeak { before_kb: self.baseline_kb, peak_kb }
    }
}

/// The process's RSS when sampling started and its peak while it ran.
struct RssPeak {
    before_kb: u64,
    peak_kb: u64,
}

impl RssPeak {
    fn growth_mb(&self) -> f64 {
        self.peak_kb.saturating_sub(self.before_kb) as f64 / 1024.0
    }
}

/// `VmRSS` from `/proc/self/status`, in kB (0 where there is no procfs).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// The report.
// ---------------------------------------------------------------------------

struct Report {
    generator: &'static str,
    secs: u64,
    demo: Demo,
    catalog: CatalogTiming,
    results: Vec<(Workload, Stats)>,
    exports: Exports,
}

fn mark(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

impl Report {
    fn render(&self) -> String {
        let mut s = String::new();
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let _ = writeln!(
            s,
            "\nData Builder load benchmark — {cores} cores, generator: {}, concurrency {CONCURRENCY}, {} s per workload\n",
            self.generator, self.secs
        );
        self.render_table(&mut s);
        self.render_ratios(&mut s);
        self.render_exports(&mut s);
        self.render_setup(&mut s);
        s
    }

    fn render_table(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "{:<38} | {:<16} | {:>8} | {:>7} | {:>7} | {:>6}",
            "workload", "target", "rps", "p50 ms", "p99 ms", "errors"
        );
        let _ = writeln!(s, "{}", "-".repeat(38 + 16 + 8 + 7 + 7 + 6 + 15));
        for (w, st) in &self.results {
            let _ = writeln!(
                s,
                "{:<38} | {:<16} | {:>8.0} | {:>7.2} | {:>7.2} | {:>6}",
                w.name, w.target, st.rps, st.p50_ms, st.p99_ms, st.errors
            );
        }
        let f = &self.exports.fast;
        let _ = writeln!(
            s,
            "{:<38} | {:<16} | {:>8} | {:>7} | {:>7} | {:>6}",
            "W4 CSV export, all invoices",
            format!("< {TARGET_RSS_MB:.0} MB RSS"),
            "1 req",
            format!("{:.0}", f.elapsed.as_secs_f64() * 1e3),
            "-",
            if f.status == 200 { 0 } else { 1 }
        );
        let measured: u64 = self.results.iter().map(|(_, st)| st.requests).sum();
        let _ = writeln!(s, "({measured} measured requests in all)\n");
    }

    fn rps(&self, prefix: &str, bare: bool) -> f64 {
        self.results
            .iter()
            .find(|(w, _)| w.name.starts_with(prefix) && w.name.contains("bare") == bare)
            .map_or(f64::NAN, |(_, st)| st.rps)
    }

    fn render_ratios(&self, s: &mut String) {
        for w in ["W1", "W2"] {
            let (db, bare) = (self.rps(w, false), self.rps(w, true));
            let ratio = db / bare;
            let _ = writeln!(
                s,
                "{w} Data Builder / bare: {db:.0} / {bare:.0} rps = {:.1}%  (target ≥ {:.0}%)  {}",
                ratio * 100.0,
                TARGET_RATIO * 100.0,
                mark(ratio >= TARGET_RATIO)
            );
        }
        s.push('\n');
    }

    fn render_exports(&self, s: &mut String) {
        for (label, e) in
            [("W4 CSV export, fast reader", &self.exports.fast), ("W4 CSV export, slow reader", &self.exports.slow)]
        {
            let complete = e.status == 200 && e.rows == INVOICES;
            let _ = writeln!(
                s,
                "{label}: HTTP {}, {} rows + header ({}), {:.1} MB in {:.2} s = {:.1} MB/s",
                e.status,
                e.rows,
                if complete { "complete" } else { "INCOMPLETE" },
                e.bytes as f64 / 1e6,
                e.elapsed.as_secs_f64(),
                e.mb_per_s(),
            );
            let _ = writeln!(
                s,
                "    process RSS {:.1} MB before, {:.1} MB peak: growth {:.1} MB (target < {TARGET_RSS_MB:.0} MB)  {}",
                e.rss.before_kb as f64 / 1024.0,
                e.rss.peak_kb as f64 / 1024.0,
                e.rss.growth_mb(),
                mark(complete && e.rss.growth_mb() < TARGET_RSS_MB)
            );
        }
        s.push('\n');
    }

    fn render_setup(&self, s: &mut String) {
        let c = &self.catalog;
        let _ = writeln!(
            s,
            "Catalog introspection ({} resources, {CATALOG_RUNS} runs): min {:.1} ms, median {:.1} ms (target < {TARGET_CATALOG_MS:.0} ms)  {}",
            c.tables,
            c.min_ms,
            c.median_ms,
            mark(c.median_ms < TARGET_CATALOG_MS)
        );
        let _ = match self.demo {
            Demo::Generated(took) => writeln!(
                s,
                "Demo generation (scale 1): {:.1} s (target < {TARGET_DEMO_SECS:.0} s)  {}",
                took.as_secs_f64(),
                mark(took.as_secs_f64() < TARGET_DEMO_SECS)
            ),
            Demo::Reused => writeln!(
                s,
                "Demo generation: not timed, target/bench-demo/demo.sqlite reused (delete target/bench-demo/ to time it)"
            ),
        };
    }
}
