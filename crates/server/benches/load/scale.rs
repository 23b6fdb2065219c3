//! `cargo bench -p databuilder --bench load -- --scale 10`: does a request cost
//! the same on a table ten times larger? On each dialect, Data Builder (pipeline
//! off) serves the scale-1 demo and the scale-N demo side by side in one run, and
//! each workload runs on both, back to back:
//!
//! - get by id, a pseudo-random id over the whole table;
//! - the first page of `filter[status]=2&sort=-date&count=none`;
//! - a keyset page of `sort=date` (all invoices, the demo's index on `date`)
//!   10,000 × N rows deep, halfway (100,000 at scale 10; the cursor is found by
//!   walking the pages, 500 rows at a time);
//! - the offset page (`page=`) at the same depth, which is allowed to grow.
//!
//! Reported: req/s on both and scale-1 / scale-N (the cost ratio; target ≤ 1.5×
//! for the first three).

use std::time::Duration;

use serde_json::Value as J;

use crate::generator::{Generator, Stats};
use crate::servers::{DataBuilder, start_databuilder_with};
use crate::setup::{self, Paths, runtime};
use crate::workloads::{Path, Query, Via, Workload, http_client};
use crate::{API, CONCURRENCY, DEMO_SCALE, INVOICES, WARM_UP, mariadb, postgres};

const TARGET_FLAT: f64 = 1.5;
const SORTED: &str = "filter%5Bstatus%5D=2&sort=-date&count=none";
/// The deep pages: every invoice by date (the demo's `date` index), halfway down.
const DEEP: &str = "sort=date&count=none";
/// Rows skipped by the deep pages, per unit of scale.
const DEPTH_PER_SCALE: u64 = 10_000;
const PER_PAGE: u64 = 25;

struct Side {
    server: DataBuilder,
    invoices: u64,
    depth: u64,
}

pub fn main(scale: f64) {
    let secs = setup::bench_secs();
    let rt = runtime("bench-client");
    let client = http_client();
    let generator = Generator::choose();
    let mut out = String::new();
    let scales = [DEMO_SCALE, scale];
    for dialect in ["sqlite", "mariadb", "postgres"] {
        let mut sides = Vec::new();
        for &sc in &scales {
            let suffix = if sc == DEMO_SCALE { String::new() } else { format!("_s{sc}") };
            let paths = Paths::with_scale(sc);
            let url = match dialect {
                "sqlite" => {
                    rt.block_on(setup::ensure_demo(&paths));
                    setup::fresh_copy(&paths);
                    rt.block_on(setup::add_bench_index(&paths));
                    Ok(paths.db_url())
                }
                "mariadb" => rt.block_on(mariadb::prepare(sc, &suffix)).map(|m| m.url),
                _ => rt.block_on(postgres::prepare(sc, &suffix)).map(|p| p.url),
            };
            let url = match url {
                Ok(u) => u,
                Err(why) => {
                    out.push_str(&format!("== {dialect}: skipped — {why}\n"));
                    break;
                }
            };
            let server = start_databuilder_with(&format!("databuilder-{dialect}-s{sc}"), url, &paths.app_dir, 0);
            let depth = (DEPTH_PER_SCALE as f64 * sc) as u64;
            sides.push(Side { server, invoices: (INVOICES as f64 * sc) as u64, depth });
        }
        if sides.len() != 2 {
            continue;
        }
        let mut table: Vec<(Query, Stats, Stats)> = Vec::new();
        for q in [Query::W1, Query::FirstPage, Query::Keyset, Query::Offset] {
            let mut stats = Vec::new();
            for side in &sides {
                let w = rt.block_on(workload(&client, dialect, side, q));
                stats.push(generator.measure(&rt, &client, &w, secs, &std::env::temp_dir()));
            }
            let big = stats.pop().expect("two sides");
            let small = stats.pop().expect("two sides");
            table.push((q, small, big));
        }
        out.push_str(&format!(
            "== {dialect}: scale {DEMO_SCALE} ({} invoices) vs scale {scale} ({} invoices), pipeline off, {CONCURRENCY} connections, {secs} s after {} s warm-up\n",
            sides[0].invoices,
            sides[1].invoices,
            WARM_UP.as_secs()
        ));
        for (q, small, big) in &table {
            let cost = small.rps / big.rps;
            let verdict = match q {
                Query::Offset => "(may grow)".to_string(),
                _ => format!("(target ≤ {TARGET_FLAT}×) {}", if cost <= TARGET_FLAT { "PASS" } else { "FAIL" }),
            };
            let depth = match q {
                Query::Keyset | Query::Offset => format!(" [{} / {} rows deep]", sides[0].depth, sides[1].depth),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {:<32} {:>7.0} req/s vs {:>7.0} req/s: cost × {cost:.2} {verdict}{depth}  (errors {} / {})\n",
                q.label(),
                small.rps,
                big.rps,
                small.errors,
                big.errors
            ));
        }
        out.push('\n');
    }
    println!("\nData Builder scale benchmark — generator: {}\n{out}", generator.describe());
    std::thread::sleep(Duration::from_millis(100));
}

async fn workload(client: &reqwest::Client, db: &'static str, side: &Side, q: Query) -> Workload {
    let path = match q {
        Query::W1 => Path::RandomId(format!("{API}/invoices/"), side.invoices),
        Query::FirstPage => Path::Fixed(format!("{API}/invoices?{SORTED}")),
        Query::Keyset => Path::Fixed(format!("{API}/invoices?{DEEP}&per_page={PER_PAGE}&cursor={}", {
            deep_cursor(client, &side.server.off_origin, side.depth).await
        })),
        Query::Offset => {
            Path::Fixed(format!("{API}/invoices?{DEEP}&per_page={PER_PAGE}&page={}", side.depth / PER_PAGE + 1))
        }
        other => unreachable!("{other:?} is not a scale workload"),
    };
    Workload {
        db,
        query: q,
        via: Via::Off,
        origin: side.server.off_origin.clone(),
        path,
        body: None,
        tokens: Default::default(),
    }
}

/// The cursor after the first `depth` rows of the sorted list, by walking it.
async fn deep_cursor(client: &reqwest::Client, origin: &str, depth: u64) -> String {
    const STEP: u64 = 500;
    let mut url = format!("{origin}{API}/invoices?{DEEP}&fields=id&per_page={STEP}&cursor=");
    let mut seen = 0;
    loop {
        let body: J = client.get(&url).send().await.expect("walk the cursor").json().await.expect("JSON page");
        let next = body["links"]["next"].as_str().unwrap_or_else(|| panic!("the list ends before {depth} rows"));
        seen += body["data"].as_array().map_or(0, Vec::len) as u64;
        let cursor = next.split("cursor=").nth(1).expect("a cursor").split('&').next().unwrap_or("").to_string();
        if seen >= depth {
            return cursor;
        }
        url = format!("{origin}{next}");
    }
}
