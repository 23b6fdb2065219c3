//! Setup: settings, paths, runtimes, the SQLite demo database, catalog timing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use databuilder::config::Config;
use databuilder::startup::catalog_config;
use databuilder_engine::demo::load_demo;
use databuilder_engine::exec::Db;
use tokio::runtime::Runtime;

use crate::{CATALOG_RUNS, DEFAULT_SECS, DEMO_SCALE};

pub fn bench_secs() -> u64 {
    std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .unwrap_or(DEFAULT_SECS)
}

/// Where the benchmark keeps its files: `<target>/bench-demo/`.
pub struct Paths {
    pub dir: PathBuf,
    /// The demo database as generated; never served.
    demo: PathBuf,
    /// Written after `demo` was loaded completely.
    marker: PathBuf,
    /// This run's copy of `demo`, which the SQLite servers use.
    db: PathBuf,
    /// Data Builder's `base_dir` (its master key file).
    pub app_dir: PathBuf,
}

impl Paths {
    pub fn new() -> Paths {
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

    pub fn db(&self) -> &Path {
        &self.db
    }

    pub fn db_url(&self) -> String {
        format!("sqlite://{}", self.db.display())
    }
}

/// `path` and its `-wal` and `-shm` companions.
fn sqlite_files(path: &Path) -> [PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
}

/// Give this run a fresh copy of the demo database, so the state tables Data
/// Builder adds (tokens, rate windows, audit records) never pile up across runs.
pub fn fresh_copy(paths: &Paths) {
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

pub fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().thread_name(name).build().expect("build a tokio runtime")
}

/// How a demo database came to be there.
#[derive(Clone, Copy)]
pub enum Demo {
    Generated(Duration),
    Reused,
}

/// Create the scale-1 demo database unless a previous run completed it.
pub async fn ensure_demo(paths: &Paths) -> Demo {
    if paths.marker.exists() && paths.demo.exists() {
        eprintln!("reusing {}", paths.demo.display());
        return Demo::Reused;
    }
    for file in sqlite_files(&paths.demo) {
        let _ = std::fs::remove_file(file);
    }
    eprintln!("generating the scale-1 demo database (SQLite)…");
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

pub struct CatalogTiming {
    pub tables: usize,
    pub min_ms: f64,
    pub median_ms: f64,
}

/// Time `exec::load_catalog` on the demo database `CATALOG_RUNS` times.
pub async fn time_catalog(paths: &Paths) -> CatalogTiming {
    let mut cfg = Config::default();
    cfg.database.url = paths.db_url();
    let catalog_cfg = catalog_config(&cfg).expect("the default catalog configuration is valid");
    let db = Db::connect(&paths.db_url(), 4).await.expect("connect to the demo database");
    let mut ms = Vec::with_capacity(CATALOG_RUNS);
    let mut tables = 0;
    for _ in 0..CATALOG_RUNS {
        let started = Instant::now();
        let c = databuilder_engine::exec::load_catalog(&db, &catalog_cfg).await.expect("introspect the demo database");
        ms.push(started.elapsed().as_secs_f64() * 1e3);
        tables = c.tables.len();
    }
    db.close().await;
    ms.sort_by(f64::total_cmp);
    CatalogTiming { tables, min_ms: ms[0], median_ms: ms[ms.len() / 2] }
}
