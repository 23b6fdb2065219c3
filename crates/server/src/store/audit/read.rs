//! Reading the log: `logs tail` (the latest records as JSON) and `logs stats`
//! (traffic by status class and stage, duration percentiles).

use chrono::NaiveDateTime;
use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::{DbError, Row, as_i64};
use databuilder_engine::sql::Sql;
use databuilder_engine::value::{Value, parse_datetime};
use serde_json::{Value as J, json};

use super::TABLE;
use super::record::{KINDS, NAMES};
use crate::store::Store;

/// Most recent records sampled for the duration percentiles of [`stats`].
const STATS_SAMPLE: i64 = 10_000;

const LATEST: &str = concat!("SELECT ", columns!(), " FROM {t} ORDER BY id DESC LIMIT ?");
const GROUPS_SINCE: &str = "SELECT status, stage, COUNT(*) FROM {t} WHERE created_at >= ? GROUP BY status, stage";
const DURATIONS_SINCE: &str = "SELECT duration_ms FROM {t} WHERE created_at >= ? ORDER BY id DESC LIMIT ?";

/// A row as a JSON object keyed by column name; `created_at` as ISO 8601 UTC.
fn row_json(row: &Row) -> J {
    let mut obj = serde_json::Map::new();
    for (name, value) in NAMES.iter().zip(row) {
        let value = match (*name, value.as_str().map(parse_datetime)) {
            ("created_at", Some(Ok(t))) => J::String(t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            _ => value.clone(),
        };
        obj.insert((*name).to_string(), value);
    }
    J::Object(obj)
}

/// The latest `n` records, oldest first, as JSON objects (every column).
pub async fn tail(store: &Store, n: u32) -> Result<Vec<J>, DbError> {
    let sql = Sql::fixed_table(store.db.dialect(), LATEST, &store.table(TABLE), vec![Value::Int(i64::from(n))]);
    let rows = store.db.fetch_all(&sql, &KINDS).await?;
    Ok(rows.iter().rev().map(row_json).collect())
}

/// `2xx`, `3xx`, `4xx`, `5xx`, or `other`.
fn status_class(status: i64) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

/// Traffic since `since`: `{since, count, by_status: {2xx, 3xx, 4xx, 5xx,
/// other}, by_stage: {handler | shield | cors | auth | rate | scope: n},
/// duration_ms: {p50, p95, p99, max, sample}}`. The percentiles are over the
/// latest 10,000 records of the period.
pub async fn stats(store: &Store, since: NaiveDateTime) -> Result<J, DbError> {
    let d = store.db.dialect();
    let table = store.table(TABLE);
    let groups = Sql::fixed_table(d, GROUPS_SINCE, &table, vec![Value::DateTime(since)]);
    let kinds = [Some(ColumnKind::Int), Some(ColumnKind::Text), Some(ColumnKind::Int)];
    let mut by_status = serde_json::Map::new();
    for class in ["2xx", "3xx", "4xx", "5xx", "other"] {
        by_status.insert(class.into(), json!(0));
    }
    let mut by_stage = serde_json::Map::new();
    let mut count = 0;
    for row in store.db.fetch_all(&groups, &kinds).await? {
        let n = row.get(2).and_then(as_i64).unwrap_or(0);
        let class = status_class(row.first().and_then(as_i64).unwrap_or(0));
        let stage = row.get(1).and_then(J::as_str).unwrap_or("handler").to_string();
        count += n;
        for (map, key) in [(&mut by_status, class.to_string()), (&mut by_stage, stage)] {
            let total = map.get(&key).and_then(J::as_i64).unwrap_or(0) + n;
            map.insert(key, json!(total));
        }
    }
    let sample = Sql::fixed_table(d, DURATIONS_SINCE, &table, vec![Value::DateTime(since), Value::Int(STATS_SAMPLE)]);
    let mut durations: Vec<i64> =
        store.db.fetch_all(&sample, &kinds[..1]).await?.iter().filter_map(|r| r.first().and_then(as_i64)).collect();
    durations.sort_unstable();
    Ok(json!({
        "since": since.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "count": count,
        "by_status": by_status,
        "by_stage": by_stage,
        "duration_ms": {
            "p50": percentile(&durations, 0.50),
            "p95": percentile(&durations, 0.95),
            "p99": percentile(&durations, 0.99),
            "max": durations.last(),
            "sample": durations.len(),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.95), Some(95));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[4], 0.99), Some(4));
    }
}
