//! The per-token rate counter: a fixed window counted with one atomic UPSERT per
//! request in the state database, so every instance shares the limit. The caller
//! fails closed: an error here is a 503, never a pass.
//!
//! Group commit: requests queue their increments and one writer runs everything
//! queued as consecutive UPSERTs inside one transaction. Each request still gets
//! its own atomic UPSERT and the exact count it produced (the database serialises
//! the transactions of every instance), but a burst pays for one commit instead
//! of one per request — on SQLite one write lock, on MySQL/PostgreSQL one log
//! flush.

use std::time::Duration;

use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::{DbError, as_i64};
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;
use tokio::sync::{mpsc, oneshot};

use super::State;

/// Adds `k` (the requests of one bucket in this batch) and returns the new count.
const UPSERT_RETURNING: &str = "INSERT INTO {t} (bucket, win, n) VALUES (?, ?, ?) ON CONFLICT (bucket, win) DO UPDATE SET n = {t}.n + ? RETURNING n";
/// MySQL reports `LAST_INSERT_ID(expr)` in the statement's OK packet: one round trip.
const UPSERT_MYSQL: &str = "INSERT INTO {t} (bucket, win, n) VALUES (?, ?, LAST_INSERT_ID(?)) ON DUPLICATE KEY UPDATE n = LAST_INSERT_ID(n + ?)";
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
    pub fn start(state: State) -> RateCounter {
        let (tx, rx) = mpsc::channel(10_000);
        tokio::spawn(writer(state, rx));
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

async fn writer(state: State, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        match state.count_batch(&jobs).await {
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

impl State {
    /// One transaction: one atomic UPSERT per bucket and window of the batch, adding
    /// as many requests as the batch holds for it; each request gets its own count
    /// (`n - k + 1` … `n`, in arrival order), exactly as if counted one by one.
    async fn count_batch(&self, jobs: &[Job]) -> Result<Vec<i64>, DbError> {
        let d = self.db.dialect();
        let t = self.table("api_rate");
        let mut groups: Vec<(&str, i64, Vec<usize>)> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            match groups.iter_mut().find(|(b, w, _)| *b == job.bucket && *w == job.win) {
                Some(g) => g.2.push(i),
                None => groups.push((&job.bucket, job.win, vec![i])),
            }
        }
        let mut out = vec![0i64; jobs.len()];
        let mut tx = self.db.begin().await?;
        for (bucket, win, members) in &groups {
            let k = members.len() as i64;
            let params = vec![Value::Text(bucket.to_string()), Value::Int(*win), Value::Int(k), Value::Int(k)];
            let n = if d == Dialect::MySql {
                tx.execute(&Sql::fixed_table(d, UPSERT_MYSQL, &t, params)).await?.1
            } else {
                let rows = tx.fetch_all(&Sql::fixed_table(d, UPSERT_RETURNING, &t, params), &[]).await?;
                rows.first().and_then(|r| r.first()).and_then(as_i64)
            };
            let n = n.ok_or_else(|| DbError::Other("rate counter returned nothing".into()))?;
            for (j, &i) in members.iter().enumerate() {
                out[i] = n - k + 1 + j as i64;
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Delete windows that started before `before` (unix seconds).
    pub async fn purge_rate_windows(&self, before: i64) -> Result<u64, DbError> {
        let sql = Sql::fixed_table(self.db.dialect(), PURGE, &self.table("api_rate"), vec![Value::Int(before)]);
        Ok(self.db.execute(&sql).await?.0)
    }
}
