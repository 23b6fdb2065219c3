//! W4: CSV export of every invoice, with the process's peak RSS growth; and
//! `-- --export N`: CSV and NDJSON exports of a generated SQLite table of N rows
//! (`target/bench-demo/export-N.sqlite`, made once), each read fast and slowly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::servers::{DataBuilder, start_databuilder_with};
use crate::setup::{Paths, runtime};
use crate::workloads::http_client;
use crate::{API, RSS_SAMPLE_EVERY, SLOW_READ_SECS, TARGET_RSS_MB};

pub struct Export {
    pub status: u16,
    pub rows: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    pub rss: RssPeak,
}

impl Export {
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64()
    }
}

pub struct Exports {
    pub fast: Export,
    pub slow: Export,
}

pub async fn run_exports(client: &reqwest::Client, db: &DataBuilder) -> Exports {
    let url = format!("{}{API}/invoices?format=csv", db.origin);
    let token = &db.token;
    eprintln!("running W4 CSV export …");
    let fast = export(client, &url, token, None).await;
    let rate = fast.bytes as f64 / SLOW_READ_SECS;
    eprintln!("running W4 CSV export with a slow reader (~{SLOW_READ_SECS} s) …");
    let slow = export(client, &url, token, Some(rate)).await;
    Exports { fast, slow }
}

/// `-- --export N`: N generated rows as CSV and NDJSON, fast and slow readers.
pub fn main(rows: u64) {
    let rt = runtime("bench-client");
    let client = http_client();
    let paths = Paths::new();
    let file = paths.dir.join(format!("export-{rows}.sqlite"));
    let marker = paths.dir.join(format!("export-{rows}.ok"));
    if !marker.exists() {
        let _ = std::fs::remove_file(&file);
        eprintln!("generating {rows} rows in {} …", file.display());
        rt.block_on(generate(&file, rows));
        std::fs::write(&marker, "done\n").expect("write the export marker");
    }
    let url = format!("sqlite://{}", file.display());
    let db = start_databuilder_with("databuilder-export", url, &paths.app_dir, 0);
    let mut report =
        format!("\nExport of {rows} generated rows (SQLite, `tblexport_rows`, 6 columns), full pipeline, 1 token\n");
    for format in ["csv", "ndjson"] {
        let url = format!("{}{API}/export_rows?format={format}", db.origin);
        let fast = rt.block_on(export(&client, &url, &db.token, None));
        // The slow reader takes three times as long as the fast one, at least SLOW_READ_SECS.
        let secs = (fast.elapsed.as_secs_f64() * 3.0).max(SLOW_READ_SECS);
        let slow = rt.block_on(export(&client, &url, &db.token, Some(fast.bytes as f64 / secs)));
        for (reader, e) in [("fast", &fast), ("slow", &slow)] {
            let records = if format == "csv" { e.rows } else { e.rows + 1 };
            let complete = e.status == 200 && records == rows;
            report.push_str(&format!(
                "  {format:<6} {reader} reader: HTTP {}, {records} rows ({}), {:.1} MB in {:.2} s; RSS {:.1} → {:.1} MB peak, growth {:.1} MB (target < {TARGET_RSS_MB:.0} MB) {}\n",
                e.status,
                if complete { "complete" } else { "INCOMPLETE" },
                e.bytes as f64 / 1e6,
                e.elapsed.as_secs_f64(),
                e.rss.before_kb as f64 / 1024.0,
                e.rss.peak_kb as f64 / 1024.0,
                e.rss.growth_mb(),
                if complete && e.rss.growth_mb() < TARGET_RSS_MB { "PASS" } else { "FAIL" }
            ));
        }
    }
    println!("{report}");
}

/// `tblexport_rows`: id, an integer, a text, a decimal, a date, a nullable text.
async fn generate(file: &std::path::Path, rows: u64) {
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(file).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.expect("create the export database");
    let sql = format!(
        "CREATE TABLE tblexport_rows (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, label VARCHAR(40) NOT NULL, \
         amount DECIMAL(12,2) NOT NULL, day DATE NOT NULL, note VARCHAR(40));
         INSERT INTO tblexport_rows (n, label, amount, day, note)
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows})
         SELECT i * 7 % 1000, 'row number ' || i, printf('%.2f', (i % 100000) / 100.0), date('2020-01-01', '+' || (i % 2000) || ' days'),
                CASE WHEN i % 3 = 0 THEN NULL ELSE 'note, with a comma' END FROM s;"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.expect("generate the export rows");
    pool.close().await;
}

/// Read one export chunk by chunk (never whole), optionally at `pace` bytes/s.
async fn export(client: &reqwest::Client, url: &str, token: &str, pace: Option<f64>) -> Export {
    let sampler = RssSampler::start();
    let started = Instant::now();
    let mut resp = client.get(url).bearer_auth(token).send().await.expect("send the CSV export request");
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
pub struct RssPeak {
    pub before_kb: u64,
    pub peak_kb: u64,
}

impl RssPeak {
    pub fn growth_mb(&self) -> f64 {
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
