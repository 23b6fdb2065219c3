//! The background writer behind [`AuditLog`], a group commit: the request path
//! queues its record and waits ([`AuditLog::commit`]) until the transaction
//! holding it has committed; the writer takes everything queued (up to
//! [`BATCH_MAX`]) into one transaction, so while one batch commits the next one
//! gathers, and a burst of requests shares one commit (as the rate counter does,
//! `store/rate.rs`). Records of requests that got no response (client gone,
//! panic, deadline) are queued without waiting ([`AuditLog::record`]).
//!
//! A batch that fails answers its waiters with an error (their responses become
//! 503, stage `audit`) and is kept, each record marked as such a 503, to be
//! written first when the store is back: the log then says what the clients got.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::chain::append;
use super::record::AuditRecord;
use crate::store::Store;

/// Records waiting for the writer; beyond this, a request is answered 503
/// (its record cannot be queued) and a response-less record is dropped (counted).
const QUEUE: usize = 10_000;
/// Most records written in one transaction.
const BATCH_MAX: usize = 500;
/// Records of failed batches kept for a later try; beyond this, dropped (counted).
const RETRY_MAX: usize = 10_000;
/// Backoff between tries of kept records while nothing new arrives.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Failed tries after which a flush gives up on the kept records.
const FLUSH_ATTEMPTS: u32 = 5;

/// Why a record is not known to be durable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    /// The queue is full or the writer is gone.
    #[error("the audit queue is full or closed")]
    Queue,
    /// The batch holding the record failed.
    #[error("the audit store refused the batch: {0}")]
    Store(String),
}

type Ack = oneshot::Sender<Result<(), AuditError>>;

/// What the request path sends the writer.
enum Msg {
    /// A record, and who waits for its commit (none for response-less records).
    Record(AuditRecord, Option<Ack>),
    /// Answered once every record sent before it is written (or given up).
    Flush(oneshot::Sender<()>),
}

/// A cheap-to-clone handle on the background audit writer.
#[derive(Debug, Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Msg>,
    dropped: Arc<AtomicU64>,
}

impl AuditLog {
    /// Spawn the writer on the current Tokio runtime (panics outside one). It
    /// stops once every handle is dropped, after writing what it holds.
    pub fn start(store: Store) -> AuditLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        tokio::spawn(writer(store, rx, dropped.clone()));
        AuditLog { tx, dropped }
    }

    /// Queue the record of a request that gets no response; never blocks. When
    /// the queue is full the record is dropped and counted.
    pub fn record(&self, rec: AuditRecord) {
        if self.tx.try_send(Msg::Record(rec, None)).is_err() {
            note_dropped(&self.dropped, 1, "audit queue full or closed: record dropped");
        }
    }

    /// Queue the record of a request whose answer is made elsewhere (the
    /// deadline's 503, the panic's 500); the receiver tells when it committed.
    pub fn record_acked(&self, rec: AuditRecord) -> Option<oneshot::Receiver<Result<(), AuditError>>> {
        let (ack, done) = oneshot::channel();
        match self.tx.try_send(Msg::Record(rec, Some(ack))) {
            Ok(()) => Some(done),
            Err(_) => {
                note_dropped(&self.dropped, 1, "audit queue full or closed: record dropped");
                None
            }
        }
    }

    /// Queue the record and wait until the transaction holding it has committed.
    /// Dropping the future does not withdraw the record: it is written anyway.
    pub async fn commit(&self, rec: AuditRecord) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.tx.try_send(Msg::Record(rec, Some(ack))).map_err(|_| AuditError::Queue)?;
        done.await.unwrap_or(Err(AuditError::Queue))
    }

    /// Wait until every record queued before this call is written (or given up
    /// after a few failed tries while the store is down). For a graceful stop.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Records waiting for the writer (the metrics' audit queue depth).
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Records lost so far: queue full, or kept records beyond [`RETRY_MAX`].
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Count lost records; warn on the first and then at powers of two, so a
/// sustained overload cannot flood the logs.
fn note_dropped(counter: &AtomicU64, n: u64, why: &'static str) {
    let before = counter.fetch_add(n, Ordering::Relaxed);
    let after = before + n;
    if (before + 1..=after).any(u64::is_power_of_two) {
        tracing::warn!(dropped_total = after, "{why}");
    }
}

/// The writer's state between batches.
struct Writer {
    store: Store,
    dropped: Arc<AtomicU64>,
    /// Records of failed batches, oldest first; written before anything new.
    kept: Vec<AuditRecord>,
    /// Flushes waiting for `kept` to empty.
    flushes: Vec<oneshot::Sender<()>>,
    /// Consecutive failed tries.
    failures: u32,
}

/// The writer task: take everything queued, commit it, answer, repeat.
async fn writer(store: Store, mut rx: mpsc::Receiver<Msg>, dropped: Arc<AtomicU64>) {
    let mut w = Writer { store, dropped, kept: Vec::new(), flushes: Vec::new(), failures: 0 };
    let mut open = true;
    while open || !w.kept.is_empty() {
        let first = if w.kept.is_empty() {
            rx.recv().await
        } else if open {
            let backoff = (FIRST_BACKOFF * 2u32.saturating_pow(w.failures.min(5))).min(MAX_BACKOFF);
            tokio::select! {
                m = rx.recv() => m,
                _ = tokio::time::sleep(backoff) => None,
            }
        } else {
            None
        };
        if first.is_none() && w.kept.is_empty() {
            break;
        }
        let mut batch = Vec::new();
        let mut flushes = Vec::new();
        if let Some(m) = first {
            take(m, &mut batch, &mut flushes);
            while batch.len() < BATCH_MAX {
                match rx.try_recv() {
                    Ok(m) => take(m, &mut batch, &mut flushes),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
        } else if !open || rx.is_closed() {
            open = false;
        }
        w.flushes.extend(flushes);
        w.write(batch).await;
        if !open && w.failures >= FLUSH_ATTEMPTS {
            break;
        }
    }
    let lost = w.kept.len() as u64;
    if lost > 0 {
        note_dropped(&w.dropped, lost, "audit records dropped: the store stayed unavailable");
    }
}

fn take(m: Msg, batch: &mut Vec<(AuditRecord, Option<Ack>)>, flushes: &mut Vec<oneshot::Sender<()>>) {
    match m {
        Msg::Record(r, ack) => batch.push((r, ack)),
        Msg::Flush(f) => flushes.push(f),
    }
}

impl Writer {
    /// Commit the kept records and `batch` in one transaction; answer the waiters.
    async fn write(&mut self, batch: Vec<(AuditRecord, Option<Ack>)>) {
        let mut records = std::mem::take(&mut self.kept);
        let kept = records.len();
        records.extend(batch.iter().map(|(r, _)| r.clone()));
        let started = std::time::Instant::now();
        let mut result = append(&self.store, &records).await;
        // Several instances append to one chain: the chain head is locked, and a
        // lock wait or deadlock between them is transient. Retry a few times before
        // answering 503 for the batch.
        for backoff in [20, 80, 320] {
            if result.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(backoff)).await;
            result = append(&self.store, &records).await;
        }
        metrics::histogram!("databuilder_audit_write_seconds").record(started.elapsed().as_secs_f64());
        match result {
            Ok(()) => {
                self.failures = 0;
                for (_, ack) in batch {
                    if let Some(ack) = ack {
                        let _ = ack.send(Ok(()));
                    }
                }
                for f in self.flushes.drain(..) {
                    let _ = f.send(());
                }
            }
            Err(e) => {
                self.failures += 1;
                let err = e.to_string();
                tracing::warn!(error = %err, records = records.len(), "audit batch failed; answering 503 and keeping it");
                records.truncate(kept);
                for (mut rec, ack) in batch {
                    if let Some(ack) = ack {
                        // The client is told 503: the log says so once written.
                        rec.status = 503;
                        rec.stage = Some("audit");
                        rec.response_bytes = 0;
                        let _ = ack.send(Err(AuditError::Store(err.clone())));
                    }
                    records.push(rec);
                }
                if records.len() > RETRY_MAX {
                    let excess = records.len() - RETRY_MAX;
                    records.drain(..excess);
                    note_dropped(
                        &self.dropped,
                        excess as u64,
                        "audit records dropped: too many kept while the store is down",
                    );
                }
                self.kept = records;
                if self.failures >= FLUSH_ATTEMPTS {
                    for f in self.flushes.drain(..) {
                        let _ = f.send(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_warnings_are_sparse() {
        let c = AtomicU64::new(0);
        note_dropped(&c, 1, "t");
        note_dropped(&c, 500, "t");
        assert_eq!(c.load(Ordering::Relaxed), 501);
    }
}
