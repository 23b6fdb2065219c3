//! Retention: delete the oldest records in small batches, a prefix of the chain
//! only, so it stays verifiable from the oldest record kept.

use std::time::Duration;

use chrono::NaiveDateTime;
use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;

use super::TABLE;
use crate::store::{Store, now};

/// Rows deleted per statement by the retention job.
const PRUNE_BATCH: u32 = 1_000;
/// The retention job's first run, after start.
const RETENTION_DELAY: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(86_400);

const NEWEST_ID: &str = "SELECT MAX(id) FROM {t}";
const FIRST_RECENT_ID: &str = "SELECT MIN(id) FROM {t} WHERE created_at >= ?";
const OLDEST_BATCH_END: &str = "SELECT MAX(id) FROM (SELECT id FROM {t} WHERE id < ? ORDER BY id LIMIT ?) oldest";
const DELETE_UPTO: &str = "DELETE FROM {t} WHERE id <= ?";

async fn fetch_id(store: &Store, template: &'static str, params: Vec<Value>) -> Result<Option<i64>, DbError> {
    store.db.fetch_i64(&Sql::fixed_table(store.db.dialect(), template, &store.table(TABLE), params)).await
}

/// Records with an id below this may go: the first record from `older_than` on,
/// and never the newest record (the chain's anchor). `None` on an empty table.
async fn prune_limit(store: &Store, older_than: NaiveDateTime) -> Result<Option<i64>, DbError> {
    let Some(newest) = fetch_id(store, NEWEST_ID, vec![]).await? else {
        return Ok(None);
    };
    let first_recent = fetch_id(store, FIRST_RECENT_ID, vec![Value::DateTime(older_than)]).await?;
    Ok(Some(first_recent.map_or(newest, |id| id.min(newest))))
}

/// Delete the records created before `older_than`, oldest first, `batch` per
/// statement (each `DELETE … WHERE id <= <max id of the oldest batch>`, the same
/// on every dialect). Only a prefix of the chain goes — deletion stops at the first
/// record from `older_than` on, and the newest record is always kept — so the
/// chain stays verifiable from the oldest record kept. Returns the count deleted.
pub async fn prune(store: &Store, older_than: NaiveDateTime, batch: u32) -> Result<u64, DbError> {
    let Some(limit) = prune_limit(store, older_than).await? else {
        return Ok(0);
    };
    let d = store.db.dialect();
    let table = store.table(TABLE);
    let mut deleted = 0;
    loop {
        let params = vec![Value::Int(limit), Value::Int(i64::from(batch.max(1)))];
        let Some(end) = fetch_id(store, OLDEST_BATCH_END, params).await? else {
            break;
        };
        let (n, _) = store.db.execute(&Sql::fixed_table(d, DELETE_UPTO, &table, vec![Value::Int(end)])).await?;
        deleted += n;
        if n == 0 {
            break;
        }
    }
    Ok(deleted)
}

/// Run [`prune`] once a day for records older than `days` days, the first time
/// a minute after start. `days == 0` keeps records forever (the task ends at once).
pub fn spawn_retention(store: Store, days: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if days == 0 {
            return;
        }
        let start = tokio::time::Instant::now() + RETENTION_DELAY;
        let mut daily = tokio::time::interval_at(start, DAY);
        daily.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            daily.tick().await;
            let cutoff = now() - chrono::Duration::days(i64::from(days));
            match prune(&store, cutoff, PRUNE_BATCH).await {
                Ok(n) => tracing::info!(deleted = n, days, "audit retention: old records deleted"),
                Err(e) => tracing::warn!(error = %e, "audit retention failed; retrying tomorrow"),
            }
        }
    })
}
