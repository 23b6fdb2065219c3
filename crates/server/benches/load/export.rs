//! W4: CSV export of every invoice, with the process's peak RSS growth.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::servers::DataBuilder;
use crate::{API, RSS_SAMPLE_EVERY, SLOW_READ_SECS};

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
