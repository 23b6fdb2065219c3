//! `databuilder logs tail|prune|stats|verify` (SPEC §7): the operator's view of
//! the audit log that stage 6 of the security pipeline writes. A thin layer over
//! `state::audit`: it parses durations, formats output, and turns a broken hash
//! chain into a non-zero exit status so `logs verify` can run from cron or CI.

use clap::{Args, Subcommand};
use serde_json::Value as J;

use super::Cli;
use crate::config::parse_duration;
use crate::startup;
use crate::store::{Store, audit, now};

/// The `logs` subcommands.
#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Print the latest audit records, oldest first.
    Tail(TailArgs),
    /// Delete audit records older than a duration, oldest first, in small batches.
    ///
    /// Only the oldest part of the hash chain is deleted, so `logs verify` still
    /// passes from the oldest record kept; the newest record is always kept.
    /// The server runs this daily for `log_retention_days`.
    Prune(PruneArgs),
    /// Summarize traffic: counts by status class and by rejecting stage,
    /// duration percentiles. Prints JSON.
    Stats(StatsArgs),
    /// Check the audit log's hash chain from the oldest record kept.
    ///
    /// Detects an edited record and a deleted one (other than the oldest ones,
    /// which retention deletes). Exit status 0 when the chain is intact; 1, with
    /// the first bad record's id, when it is broken.
    Verify(VerifyArgs),
}

/// `logs tail`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// How many records to print.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 20)]
    pub n: u32,
    /// Print a JSON array of records (every column) instead of one line each.
    #[arg(long)]
    pub json: bool,
}

/// `logs prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Delete records older than this, e.g. `90d`, `12h` [default: log_retention_days from the configuration].
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
}

/// `logs stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The period to summarize, back from now, e.g. `24h`, `7d`.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub since: String,
}

/// `logs verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Print the report as JSON: {"rows","ok","first_bad_id","reason"}.
    #[arg(long)]
    pub json: bool,
}

/// Run a `logs` subcommand.
pub async fn run(cli: &Cli, cmd: &LogsCommand) -> Result<(), String> {
    let cfg = cli.config()?;
    let (_, state) = startup::connect(&cfg).await?;
    match cmd {
        LogsCommand::Tail(a) => tail(&state, a).await,
        LogsCommand::Prune(a) => {
            let older_than = match &a.older_than {
                Some(d) => d.clone(),
                None if cfg.security.log_retention_days > 0 => format!("{}d", cfg.security.log_retention_days),
                None => return Err("log_retention_days is 0 (keep forever): pass --older-than".into()),
            };
            prune(&state, &older_than).await
        }
        LogsCommand::Stats(a) => stats(&state, a).await,
        LogsCommand::Verify(a) => verify(&state, a).await,
    }
}

/// `now - DURATION`, for `--flag DURATION`.
fn ago(flag: &str, duration: &str) -> Result<chrono::NaiveDateTime, String> {
    let d = parse_duration(duration).ok_or_else(|| format!("{flag} {duration}: expected a duration like 90d"))?;
    let d = chrono::Duration::from_std(d).map_err(|_| format!("{flag} {duration}: too long"))?;
    now().checked_sub_signed(d).ok_or_else(|| format!("{flag} {duration}: too long"))
}

async fn tail(state: &Store, a: &TailArgs) -> Result<(), String> {
    let rows = audit::tail(state, a.n).await.map_err(|e| e.to_string())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
    } else {
        rows.iter().for_each(|r| println!("{}", line(r)));
    }
    Ok(())
}

/// One record on one line: time, id, method, status, stage, duration, size, IP, token, path.
fn line(r: &J) -> String {
    let text = |k: &str| r[k].as_str().unwrap_or("-").to_string();
    let num = |k: &str| r[k].as_i64().map_or("-".to_string(), |n| n.to_string());
    format!(
        "{}  #{:<7} {:<6} {} {:<7} {:>6}ms {:>8}B  {:<15} token={:<5} {}",
        text("created_at"),
        num("id"),
        text("method"),
        num("status"),
        text("stage"),
        num("duration_ms"),
        num("response_bytes"),
        text("client_ip"),
        num("token_id"),
        text("path"),
    )
}

async fn prune(state: &Store, older_than: &str) -> Result<(), String> {
    let cutoff = ago("--older-than", older_than)?;
    let n = audit::prune(state, cutoff, 1_000).await.map_err(|e| e.to_string())?;
    println!("deleted {n} audit records created before {}Z", cutoff.format("%Y-%m-%dT%H:%M:%S"));
    Ok(())
}

async fn stats(state: &Store, a: &StatsArgs) -> Result<(), String> {
    let since = ago("--since", &a.since)?;
    let s = audit::stats(state, since).await.map_err(|e| e.to_string())?;
    println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
    Ok(())
}

async fn verify(state: &Store, a: &VerifyArgs) -> Result<(), String> {
    let report = audit::verify(state).await.map_err(|e| e.to_string())?;
    if a.json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else if report.ok {
        println!("ok: {} audit records verified", report.rows);
    }
    if report.ok {
        return Ok(());
    }
    let id = report.first_bad_id.map_or("?".to_string(), |id| id.to_string());
    Err(format!("audit chain broken at record {id}: {}", report.reason.as_deref().unwrap_or("unknown")))
}
