//! The background writer behind [`AuditLog`]: the request path queues records
//! without blocking, one task gathers them into batches and appends each batch
//! in one transaction, retrying with backoff.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::chain::append;
use super::record::AuditRecord;
use crate::store::Store;

/// Records waiting for the writer; beyond this, new records are dropped (counted).
const QUEUE: usize = 10_000;
/// Most records written in one transaction.
const BATCH_MAX: usize = 500;
/// Longest a record waits for its batch to fill.
const BATCH_WAIT: Duration = Duration::from_millis(250);
/// Tries per batch before it is dropped (with a doubling backoff in between).
const ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// What the request path sends the writer.
enum Msg {
    Record(AuditRecord),
    /// Answered once every record sent before it is written (or dropped).
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

    /// Queue a record; never blocks. When the queue is full (the database is
    /// slower than the traffic) the record is dropped and counted.
    pub fn record(&self, rec: AuditRecord) {
        if self.tx.try_send(Msg::Record(rec)).is_err() {
            note_dropped(&self.dropped, 1, "audit queue full or closed: record dropped");
        }
    }

    /// Wait until every record queued before this call is written (or dropped
    /// after its retries). For a graceful stop.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Records lost so far: queue full, or a batch that failed every retry.
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

/// The writer task: gather a batch, append it, answer flushes, repeat.
async fn writer(store: Store, mut rx: mpsc::Receiver<Msg>, dropped: Arc<AtomicU64>) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    let mut acks = Vec::new();
    while let Some(first) = rx.recv().await {
        let open = gather(&mut rx, first, &mut batch, &mut acks).await;
        if !batch.is_empty() {
            write_with_retry(&store, &batch, &dropped).await;
            batch.clear();
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
        if !open {
            break;
        }
    }
}

/// Fill `batch` from `first` on: up to [`BATCH_MAX`] records or [`BATCH_WAIT`],
/// whichever comes first, cut short by a flush. False when the channel closed.
async fn gather(
    rx: &mut mpsc::Receiver<Msg>,
    first: Msg,
    batch: &mut Vec<AuditRecord>,
    acks: &mut Vec<oneshot::Sender<()>>,
) -> bool {
    let deadline = tokio::time::Instant::now() + BATCH_WAIT;
    let mut msg = first;
    loop {
        match msg {
            Msg::Record(r) => batch.push(r),
            Msg::Flush(ack) => {
                acks.push(ack);
                return true;
            }
        }
        if batch.len() >= BATCH_MAX {
            return true;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(next)) => msg = next,
            Ok(None) => return false,
            Err(_) => return true,
        }
    }
}

/// Append a batch, retrying with a doubling, jittered backoff; after the last
/// try, log (request ids only) and drop it.
async fn write_with_retry(store: &Store, batch: &[AuditRecord], dropped: &AtomicU64) {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let err = match append(store, batch).await {
            Ok(()) => return,
            Err(e) => e,
        };
        if attempt == ATTEMPTS {
            tracing::error!(
                error = %err,
                records = batch.len(),
                first_request_id = batch.first().map_or("", |r| r.request_id.as_str()),
                last_request_id = batch.last().map_or("", |r| r.request_id.as_str()),
                "audit batch dropped after {ATTEMPTS} attempts"
            );
            note_dropped(dropped, batch.len() as u64, "audit records dropped: the database refused them");
            return;
        }
        tracing::debug!(attempt, error = %err, "audit batch failed; retrying");
        let jitter = Duration::from_millis(rand::random::<u64>() % 50);
        tokio::time::sleep(backoff + jitter).await;
        backoff *= 2;
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
