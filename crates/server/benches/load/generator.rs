//! Load generators: `wrk` with a generated Lua script, or a built-in one.

use std::fmt::Write as _;
use std::path::Path as FsPath;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tokio::runtime::Runtime;

use crate::workloads::{Path, Rng, Workload, request};
use crate::{CONCURRENCY, WARM_UP};

/// What one workload measured.
#[derive(Clone, Copy)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub enum Generator {
    Wrk,
    Builtin,
}

impl Generator {
    pub fn choose() -> Generator {
        let forced_builtin = std::env::var("BENCH_GENERATOR").is_ok_and(|g| g == "builtin");
        let wrk_found =
            Command::new("wrk").arg("--version").output().is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty());
        if wrk_found && !forced_builtin { Generator::Wrk } else { Generator::Builtin }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Generator::Wrk => "wrk (-t2 -c32, a Lua request() per request: W1 ids, token rotation, GraphQL bodies)",
            Generator::Builtin => "built-in (32 tokio tasks, one reqwest HTTP/1 keep-alive client)",
        }
    }

    pub fn measure(&self, rt: &Runtime, client: &reqwest::Client, w: &Workload, secs: u64, dir: &FsPath) -> Stats {
        eprintln!("running {} on {} …", w.name(), w.db);
        match self {
            Generator::Wrk => {
                let script = dir.join(format!("wrk-{}.lua", w.slug()));
                std::fs::write(&script, wrk_script(w)).expect("write the wrk Lua script");
                run_wrk(w, &script, WARM_UP);
                run_wrk(w, &script, Duration::from_secs(secs))
            }
            Generator::Builtin => rt.block_on(async {
                run_builtin(client, w, WARM_UP).await;
                run_builtin(client, w, Duration::from_secs(secs)).await
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// Built-in: CONCURRENCY tokio tasks sharing one keep-alive client.
// ---------------------------------------------------------------------------

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
            tokio::spawn(async move { load_task(client, w, task, deadline).await })
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

/// Send requests back to back until the deadline; a non-200 is an error. Each
/// task starts at its own place in the token list and takes the next one per request.
async fn load_task(client: reqwest::Client, w: Workload, task: usize, deadline: Instant) -> TaskResult {
    let mut rng = Rng::new(task as u64 + 1);
    let mut next_token = task * w.tokens.len() / CONCURRENCY;
    let mut out = TaskResult::default();
    while Instant::now() < deadline {
        let token = (!w.tokens.is_empty()).then(|| w.tokens[next_token % w.tokens.len()].as_str());
        next_token += 1;
        let sent = Instant::now();
        let ok = match request(&client, &w, &mut rng, token).send().await {
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

// ---------------------------------------------------------------------------
// wrk.
// ---------------------------------------------------------------------------

/// Run wrk once with the workload's script.
fn run_wrk(w: &Workload, script: &FsPath, run_for: Duration) -> Stats {
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{CONCURRENCY}")])
        .arg(format!("-d{}s", run_for.as_secs().max(1)))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(format!("{}/", w.origin))
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text)
        .unwrap_or_else(|| panic!("cannot read wrk's output:\n{text}\n{}", String::from_utf8_lossy(&out.stderr)))
}

/// Every workload gets a `request()` function, so all are generated the same way:
/// a pseudo-random id per W1 request (each thread seeds its own generator), the
/// next token of the list per request (each thread starts at its own place), a
/// JSON body for GraphQL.
fn wrk_script(w: &Workload) -> String {
    let mut s = format!("-- Data Builder load benchmark: {} on {}.\n", w.name(), w.db);
    let method = if w.body.is_some() { "POST" } else { "GET" };
    let _ = writeln!(s, "local method = \"{method}\"");
    match &w.body {
        Some(body) => {
            let _ = writeln!(s, "local body = [==[{body}]==]");
            s.push_str("local headers = { [\"Content-Type\"] = \"application/json\" }\n");
        }
        None => s.push_str("local body = nil\nlocal headers = {}\n"),
    }
    s.push_str("local tokens = {\n");
    for t in w.tokens.iter() {
        let _ = writeln!(s, "  \"{t}\",");
    }
    s.push_str("}\n");
    let path = match &w.path {
        Path::Fixed(p) => format!("\"{p}\""),
        Path::RandomId(prefix, max) => format!("\"{prefix}\" .. math.random(1, {max})"),
    };
    let _ = write!(
        s,
        r#"local threads = 0
function setup(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end
function init(args)
  math.randomseed(1000 + thread_no)
  next_token = thread_no * 500
end
function request()
  if #tokens > 0 then
    next_token = next_token % #tokens + 1
    headers["Authorization"] = "Bearer " .. tokens[next_token]
  end
  return wrk.format(method, {path}, headers, body)
end
"#
    );
    s
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
