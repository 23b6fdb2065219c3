//! The per-token rate counter: a fixed window counted with one atomic UPSERT per
//! request in the state database, so every instance shares the limit. The caller
//! fails closed: an error here is a 503, never a pass.
//!
//! Group commit: requests queue their increments and one writer turns everything
//! queued into one transaction with one multi-row UPSERT (a row per token and
//! window, adding that token's queued requests). Every increment is atomic and
//! each request gets the exact count it produced (the database serialises the
//! transactions of every instance), but a burst pays for one statement and one
//! commit instead of one per request — on SQLite one write lock, on
//! MySQL/PostgreSQL one log flush.

use std::time::Duration;

use databuilder_engine::catalog::{ColumnKind, Dialect};
use databuilder_engine::exec::{DbError, as_i64};
use databuilder_engine::sql::{Sql, render_counter_read, render_counter_upsert};
use databuilder_engine::value::Value;
use tokio::sync::{mpsc, oneshot};

use super::Store;

const PURGE: &str = "DELETE FROM {t} WHERE win < ?";

/// Most increments in one transaction.
const MAX_BATCH: usize = 256;
/// How long a request waits for its count before failing closed.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

struct Job {
    bucket: String,
    win: i64,
    reply: oneshot::Sender<Result<i64, String>>,
}

/// A handle on the group-committing counter (cheap to clone).
#[derive(Clone, Debug)]
pub struct RateCounter {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl RateCounter {
    /// Start the writer task (needs a Tokio runtime).
    pub fn start(store: Store) -> RateCounter {
        let (tx, rx) = mpsc::channel(10_000);
        tokio::spawn(writer(store, rx));
        RateCounter { jobs: tx }
    }

    /// Count one request in `bucket`'s window starting at `win` (unix seconds);
    /// returns the count including this request.
    pub async fn count(&self, bucket: &str, win: i64) -> Result<i64, DbError> {
        let (reply, rx) = oneshot::channel();
        let job = Job { bucket: bucket.to_string(), win, reply };
        self.jobs.try_send(job).map_err(|_| DbError::Unavailable("the rate counter queue is full".into()))?;
        match tokio::time::timeout(REPLY_TIMEOUT, rx).await {
            Ok(Ok(Ok(n))) => Ok(n),
            Ok(Ok(Err(e))) => Err(DbError::Unavailable(e)),
            Ok(Err(_)) | Err(_) => Err(DbError::Unavailable("the rate counter did not answer".into())),
        }
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        match store.count_batch(&jobs).await {
            Ok(counts) => {
                for (job, n) in jobs.into_iter().zip(counts) {
                    let _ = job.reply.send(Ok(n));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(msg.clone()));
                }
            }
        }
    }
}

impl Store {
    /// One transaction holding one multi-row UPSERT: each bucket and window of the
    /// batch gets as many requests as the batch holds for it, atomically; each
    /// request gets its own count (`n - k + 1` … `n`, in arrival order), exactly as
    /// if counted one by one.
    async fn count_batch(&self, jobs: &[Job]) -> Result<Vec<i64>, DbError> {
        let d = self.db.dialect();
        let t = self.table("api_rate");
        let mut groups: Vec<(String, i64, Vec<usize>)> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            match groups.iter_mut().find(|(b, w, _)| *b == job.bucket && *w == job.win) {
                Some(g) => g.2.push(i),
                None => groups.push((job.bucket.clone(), job.win, vec![i])),
            }
        }
        let adds: Vec<(String, i64, i64)> = groups.iter().map(|(b, w, m)| (b.clone(), *w, m.len() as i64)).collect();
        let kinds = [Some(ColumnKind::Text), Some(ColumnKind::Int), Some(ColumnKind::Int)];
        let mut tx = self.db.begin().await?;
        let rows = if d == Dialect::MySql {
            tx.execute(&render_counter_upsert(d, &t, &adds)).await?;
            let keys: Vec<(String, i64)> = adds.iter().map(|(b, w, _)| (b.clone(), *w)).collect();
            tx.fetch_all(&render_counter_read(d, &t, &keys), &kinds).await?
        } else {
            tx.fetch_all(&render_counter_upsert(d, &t, &adds), &kinds).await?
        };
        tx.commit().await?;
        let mut out = vec![0i64; jobs.len()];
        for (bucket, win, members) in &groups {
            let n = rows
                .iter()
                .find(|r| r[0].as_str() == Some(bucket.as_str()) && as_i64(&r[1]) == Some(*win))
                .and_then(|r| as_i64(&r[2]))
                .ok_or_else(|| DbError::Other("rate counter returned nothing".into()))?;
            let k = members.len() as i64;
            for (j, &i) in members.iter().enumerate() {
                out[i] = n - k + 1 + j as i64;
            }
        }
        Ok(out)
    }

    /// Delete windows that started before `before` (unix seconds).
    pub async fn purge_rate_windows(&self, before: i64) -> Result<u64, DbError> {
        let sql = Sql::fixed_table(self.db.dialect(), PURGE, &self.table("api_rate"), vec![Value::Int(before)]);
        Ok(self.db.execute(&sql).await?.0)
    }
}
