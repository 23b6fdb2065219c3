//! The report: one table per database, then the ratios with their targets.

use std::fmt::Write as _;

use crate::export::Exports;
use crate::generator::Stats;
use crate::setup::{CatalogTiming, Demo};
use crate::statements::{Counts, PROBE_REQUESTS};
use crate::workloads::{Query, Via, Workload};
use crate::{
    CATALOG_RUNS, CONCURRENCY, G2_STATEMENTS, INVOICES, NEVER_THROTTLE, TARGET_BARE, TARGET_CATALOG_MS,
    TARGET_DEMO_SECS, TARGET_GRAPHQL, TARGET_OFF_BARE, TARGET_PIPELINE, TARGET_RSS_MB, TARGET_RUSQLITE, WARM_UP,
};

/// Everything measured on one database.
pub struct DbRun {
    /// `SQLite` or `MariaDB`.
    pub name: &'static str,
    pub detail: String,
    pub results: Vec<(Workload, Stats)>,
    pub counts: Vec<Counts>,
    /// How the statements were counted.
    pub counted_by: &'static str,
    /// Audit records Data Builder dropped (queue full) during the run.
    pub audit_dropped: u64,
    pub demo: Demo,
}

pub struct Report {
    pub generator: &'static str,
    pub secs: u64,
    /// SQLite, MariaDB, PostgreSQL; a skipped database with the reason.
    pub runs: Vec<Result<DbRun, String>>,
    pub catalog: CatalogTiming,
    pub exports: Exports,
}

fn mark(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

const W_NAME: usize = 28;
const W_VIA: usize = 28;

impl Report {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let _ = writeln!(
            s,
            "\nData Builder load benchmark — {cores} cores, generator: {}, concurrency {CONCURRENCY}, {} s per workload after a {} s warm-up",
            self.generator,
            self.secs,
            WARM_UP.as_secs()
        );
        let _ = writeln!(
            s,
            "Pipeline on = every security stage; the per-IP throttle and each token's rate limit are raised to {NEVER_THROTTLE} a minute, so both run on every request but never answer 429.\n"
        );
        for (i, run) in self.runs.iter().enumerate() {
            match run {
                Ok(r) => r.render_table(&mut s, if i == 0 { Some(&self.exports) } else { None }),
                Err(why) => {
                    let _ = writeln!(s, "== skipped — {why}\n");
                }
            }
        }
        let _ = writeln!(s, "== Ratios (targets are reported, not asserted)");
        for r in self.runs.iter().flatten() {
            r.render_ratios(&mut s);
        }
        self.render_exports(&mut s);
        self.render_setup(&mut s);
        s
    }

    fn render_exports(&self, s: &mut String) {
        for (label, e) in
            [("W4 CSV export, fast reader", &self.exports.fast), ("W4 CSV export, slow reader", &self.exports.slow)]
        {
            let complete = e.status == 200 && e.rows == INVOICES;
            let _ = writeln!(
                s,
                "{label} (SQLite): HTTP {}, {} rows + header ({}), {:.1} MB in {:.2} s = {:.1} MB/s",
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
            "Catalog introspection, SQLite ({} resources, {CATALOG_RUNS} runs): min {:.1} ms, median {:.1} ms (target < {TARGET_CATALOG_MS:.0} ms)  {}",
            c.tables,
            c.min_ms,
            c.median_ms,
            mark(c.median_ms < TARGET_CATALOG_MS)
        );
        for r in self.runs.iter().flatten() {
            let _ = match r.demo {
                Demo::Generated(took) => writeln!(
                    s,
                    "Demo generation, {} (scale 1): {:.1} s (target < {TARGET_DEMO_SECS:.0} s, SQLite)  {}",
                    r.name,
                    took.as_secs_f64(),
                    mark(took.as_secs_f64() < TARGET_DEMO_SECS)
                ),
                Demo::Reused => writeln!(s, "Demo generation, {}: not timed, reused from an earlier run", r.name),
            };
        }
    }
}

impl DbRun {
    fn stats(&self, query: Query, via: Via) -> Option<&Stats> {
        self.results.iter().find(|(w, _)| w.query == query && w.via == via).map(|(_, st)| st)
    }

    fn rps(&self, query: Query, via: Via) -> f64 {
        self.stats(query, via).map_or(f64::NAN, |st| st.rps)
    }

    fn render_table(&self, s: &mut String, exports: Option<&Exports>) {
        let _ = writeln!(s, "== {}: {}", self.name, self.detail);
        let _ = writeln!(
            s,
            "{:<W_NAME$} | {:<W_VIA$} | {:>8} | {:>7} | {:>7} | {:>6}",
            "workload", "server", "req/s", "p50 ms", "p99 ms", "errors"
        );
        let _ = writeln!(s, "{}", "-".repeat(W_NAME + W_VIA + 8 + 7 + 7 + 6 + 15));
        for (w, st) in &self.results {
            let _ = writeln!(
                s,
                "{:<W_NAME$} | {:<W_VIA$} | {:>8.0} | {:>7.2} | {:>7.2} | {:>6}",
                w.query.label(),
                w.via.label(),
                st.rps,
                st.p50_ms,
                st.p99_ms,
                st.errors
            );
        }
        if let Some(e) = exports {
            let f = &e.fast;
            let _ = writeln!(
                s,
                "{:<W_NAME$} | {:<W_VIA$} | {:>8} | {:>7} | {:>7} | {:>6}",
                "W4 CSV export, all invoices",
                Via::OneToken.label(),
                "1 req",
                format!("{:.0}", f.elapsed.as_secs_f64() * 1e3),
                "-",
                if f.status == 200 { 0 } else { 1 }
            );
        }
        let measured: u64 = self.results.iter().map(|(_, st)| st.requests).sum();
        let _ = writeln!(
            s,
            "({measured} measured requests; audit records dropped by Data Builder (queue full): {})\n",
            self.audit_dropped
        );
    }

    fn ratio_line(&self, s: &mut String, label: &str, (a, b): (f64, f64), target: f64, what: &str) {
        let r = a / b;
        let _ = writeln!(
            s,
            "  {label:<48} {a:>6.0} / {b:>6.0} req/s = {:>5.1}%  (target ≥ {:.0}% {what})  {}",
            r * 100.0,
            target * 100.0,
            mark(r >= target)
        );
    }

    fn render_ratios(&self, s: &mut String) {
        let _ = writeln!(s, "{}", self.name);
        for q in [Query::W1, Query::W2, Query::W3, Query::G1, Query::G2] {
            let label = format!("pipeline off/bare, {}", &q.label()[..2]);
            self.ratio_line(s, &label, (self.rps(q, Via::Off), self.rps(q, Via::Bare)), TARGET_OFF_BARE, "of bare");
        }
        for q in [Query::W1, Query::W2, Query::G1] {
            if self.stats(q, Via::Rusqlite).is_some() {
                let label = format!("pipeline off/rusqlite floor, {}", &q.label()[..2]);
                let pair = (self.rps(q, Via::Off), self.rps(q, Via::Rusqlite));
                self.ratio_line(s, &label, pair, TARGET_RUSQLITE, "of floor");
            }
        }
        for q in [Query::W1, Query::W2] {
            let off = self.rps(q, Via::Off);
            for (via, tokens) in [(Via::OneToken, "1 token"), (Via::ManyTokens, "1,000 tokens")] {
                let label = format!("pipeline on/off, {}, {tokens}", &q.label()[..2]);
                self.ratio_line(s, &label, (self.rps(q, via), off), TARGET_PIPELINE, "of off");
            }
        }
        for q in [Query::W1, Query::W2] {
            let label = format!("Data Builder/bare, {}, 1 token", &q.label()[..2]);
            self.ratio_line(s, &label, (self.rps(q, Via::OneToken), self.rps(q, Via::Bare)), TARGET_BARE, "of bare");
        }
        let g1 = self.rps(Query::G1, Via::OneToken);
        let w2 = self.rps(Query::W2, Via::OneToken);
        let w2_none = self.rps(Query::W2NoCount, Via::OneToken);
        self.ratio_line(s, "GraphQL G1 / REST W2 (count=exact)", (g1, w2), TARGET_GRAPHQL, "of W2");
        self.ratio_line(s, "GraphQL G1 / REST W2 count=none (like for like)", (g1, w2_none), TARGET_GRAPHQL, "of W2");
        let per = |q: Query| self.counts.iter().find(|c| c.query == q);
        let list: Vec<String> = self
            .counts
            .iter()
            .map(|c| {
                let sqlx =
                    if c.com_select.is_some() { format!(" (sqlx {:.2})", c.sqlx_per_request()) } else { String::new() };
                let name = if c.query == Query::W2NoCount { "W2 count=none" } else { &c.query.label()[..2] };
                format!("{name} {:.2}{sqlx}", c.per_request())
            })
            .collect();
        let _ = writeln!(
            s,
            "  SQL statements per request, pipeline off, {PROBE_REQUESTS} sequential requests each, {}:\n    {}",
            self.counted_by,
            list.join(", ")
        );
        if let Some(g2) = per(Query::G2) {
            let _ = writeln!(
                s,
                "  G2 issues exactly {G2_STATEMENTS} SQL statements per request: {:.2} ({} SELECT of {} by sqlx)  {}",
                g2.per_request(),
                g2.sqlx_selects,
                g2.sqlx,
                mark(g2.exactly(G2_STATEMENTS))
            );
            for (i, sql) in g2.first_request.iter().enumerate() {
                let short: String = sql.chars().take(150).collect();
                let more = if sql.chars().count() > 150 { " …" } else { "" };
                let _ = writeln!(s, "    G2 statement {}: {short}{more}", i + 1);
            }
        }
        s.push('\n');
    }
}
