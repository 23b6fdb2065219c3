//! The audit log: stage 6 of the security pipeline (SPEC §6.6), stored in the
//! state table `<prefix>data_builder_api_logs`. The request logger middleware
//! builds one [`AuditRecord`] per request and hands it to [`AuditLog::record`],
//! which never blocks: a background task writes the records in batches. Records
//! are hash-chained so `databuilder logs verify` ([`verify`]) detects an edited
//! or deleted record, and the daily retention job ([`prune`]) deletes old records
//! from the front of the chain only, so the chain stays verifiable from the
//! oldest record kept.
//!
//! # The chain
//!
//! `hash = sha256_hex(prev_hash + "\n" + canonical)`, where `canonical` is the
//! JSON array of the record's stored fields, id and `created_at` included (see
//! [`canonical_line`]); the first record's `prev_hash` is [`GENESIS`]. Ids are
//! not left to the auto-increment: an append runs in one transaction that takes
//! the dialect's append lock, reads the chain head (last id and hash) and inserts
//! the batch with explicit ids `head + 1, head + 2, …`, so each hash is computed
//! before its row is written. The append lock is
//! - SQLite: a no-op `UPDATE` as the first statement, which takes the database's
//!   write lock at once (`BEGIN IMMEDIATE` semantics; waiting is the pool's busy
//!   timeout);
//! - MySQL/MariaDB: `SELECT … WHERE id = <MAX(id)> FOR UPDATE`, a record lock on
//!   the head (a `ORDER BY id DESC LIMIT 1 FOR UPDATE` scan would take a gap lock
//!   that deadlocks concurrent writers), then a locking read of `head + 1`: if a
//!   writer appended after this transaction's snapshot, start over in a new one;
//! - PostgreSQL: `LOCK TABLE … IN EXCLUSIVE MODE` (plain reads still proceed).
//!
//! The primary key is the last line of defence: a writer that read a stale head
//! would collide on the id, its transaction fail and the batch be retried on a
//! fresh head (two first-ever appends on an empty MySQL table deadlock instead,
//! and one is retried). A chain link can therefore only be written by the
//! transaction that saw its predecessor.
//!
//! Retention keeps the newest record even when it is old: it anchors the chain
//! and the id sequence, so ids are never reused.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, Timelike};
use databuilder_engine::catalog::{ColumnKind, Dialect};
use databuilder_engine::exec::{DbError, Row, Tx, as_i64};
use databuilder_engine::sql::Sql;
use databuilder_engine::value::{Value, parse_datetime};
use percent_encoding::percent_decode_str;
use serde_json::{Value as J, json};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::{Store, now};

/// The state table's short name (`<prefix>data_builder_api_logs`).
const TABLE: &str = "api_logs";
/// The `prev_hash` of the first record ever written.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// What replaces the value of a secret query parameter.
pub const REDACTED: &str = "REDACTED";

/// Records waiting for the writer; beyond this, new records are dropped (counted).
const QUEUE: usize = 10_000;
/// Most records written in one transaction.
const BATCH_MAX: usize = 500;
/// Longest a record waits for its batch to fill.
const BATCH_WAIT: Duration = Duration::from_millis(250);
/// Tries per batch before it is dropped (with a doubling backoff in between).
const ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// MySQL: fresh transactions tried when another writer moved the head first.
const HEAD_MOVED_TRIES: u32 = 20;
/// Rows per page when verifying.
const PAGE: i64 = 1_000;
/// Rows deleted per statement by the retention job.
const PRUNE_BATCH: u32 = 1_000;
/// Most recent records sampled for the duration percentiles of [`stats`].
const STATS_SAMPLE: i64 = 10_000;
/// The retention job's first run, after start.
const RETENTION_DELAY: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(86_400);

/// Column widths (characters), as declared in the DDL.
const W_REQUEST_ID: usize = 32;
const W_CLIENT_IP: usize = 45;
const W_METHOD: usize = 10;
const W_PATH: usize = 2048;
const W_STAGE: usize = 16;

/// Every column, in the order [`KINDS`] types them. A macro so the statements
/// stay `'static` literals.
macro_rules! columns {
    () => {
        "id, request_id, token_id, client_ip, method, path, status, stage, duration_ms, response_bytes, created_at, prev_hash, hash"
    };
}
const NAMES: [&str; 13] = [
    "id",
    "request_id",
    "token_id",
    "client_ip",
    "method",
    "path",
    "status",
    "stage",
    "duration_ms",
    "response_bytes",
    "created_at",
    "prev_hash",
    "hash",
];
const KINDS: [Option<ColumnKind>; 13] = [
    Some(ColumnKind::Int),
    Some(ColumnKind::Text),
    Some(ColumnKind::Int),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
    Some(ColumnKind::Int),
    Some(ColumnKind::Text),
    Some(ColumnKind::Int),
    Some(ColumnKind::Int),
    Some(ColumnKind::DateTime),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
];

const LOCK_SQLITE: &str = "UPDATE {t} SET id = id WHERE 1 = 0";
const LOCK_POSTGRES: &str = "LOCK TABLE {t} IN EXCLUSIVE MODE";
const HEAD: &str = "SELECT id, hash FROM {t} ORDER BY id DESC LIMIT 1";
const HEAD_BY_ID_LOCKED: &str = "SELECT id, hash FROM {t} WHERE id = ? FOR UPDATE";
const ID_LOCKED: &str = "SELECT id FROM {t} WHERE id = ? FOR UPDATE";
const PAGE_AFTER: &str = concat!("SELECT ", columns!(), " FROM {t} WHERE id > ? ORDER BY id LIMIT ?");
const LATEST: &str = concat!("SELECT ", columns!(), " FROM {t} ORDER BY id DESC LIMIT ?");
const NEWEST_ID: &str = "SELECT MAX(id) FROM {t}";
const FIRST_RECENT_ID: &str = "SELECT MIN(id) FROM {t} WHERE created_at >= ?";
const OLDEST_BATCH_END: &str = "SELECT MAX(id) FROM (SELECT id FROM {t} WHERE id < ? ORDER BY id LIMIT ?) oldest";
const DELETE_UPTO: &str = "DELETE FROM {t} WHERE id <= ?";
const GROUPS_SINCE: &str = "SELECT status, stage, COUNT(*) FROM {t} WHERE created_at >= ? GROUP BY status, stage";
const DURATIONS_SINCE: &str = "SELECT duration_ms FROM {t} WHERE created_at >= ? ORDER BY id DESC LIMIT ?";

// ---------------------------------------------------------------- records

/// One request, as the request logger saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// The request id (also sent as a response header).
    pub request_id: String,
    /// The authenticated token, when the auth gate got that far.
    pub token_id: Option<i64>,
    /// The client IP (from the socket, or `X-Forwarded-For` behind a trusted proxy).
    pub client_ip: String,
    pub method: String,
    /// The path with its query already redacted by [`redact_path`].
    pub path: String,
    pub status: u16,
    /// The stage that rejected the request (`shield`, `cors`, `auth`, `rate`,
    /// `scope`), or `None` when the handler answered.
    pub stage: Option<&'static str>,
    pub duration_ms: u64,
    pub response_bytes: u64,
    /// When the request started (UTC); stored to the second.
    pub created_at: NaiveDateTime,
}

/// A record as stored: text clipped to its column width, times to the second,
/// numbers as the database holds them. Written and re-read records hash alike.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    request_id: String,
    token_id: Option<i64>,
    client_ip: String,
    method: String,
    path: String,
    status: i64,
    stage: Option<String>,
    duration_ms: i64,
    response_bytes: i64,
    created_at: NaiveDateTime,
}

/// At most `max` characters of `s`, without NUL (PostgreSQL refuses it in text).
fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|&c| c != '\0').take(max).collect()
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Entry {
    fn from_record(r: &AuditRecord) -> Entry {
        Entry {
            request_id: clip(&r.request_id, W_REQUEST_ID),
            token_id: r.token_id,
            client_ip: clip(&r.client_ip, W_CLIENT_IP),
            method: clip(&r.method, W_METHOD),
            path: clip(&r.path, W_PATH),
            status: i64::from(r.status),
            stage: r.stage.map(|s| clip(s, W_STAGE)),
            duration_ms: saturating_i64(r.duration_ms),
            response_bytes: saturating_i64(r.response_bytes),
            created_at: r.created_at.with_nanosecond(0).unwrap_or(r.created_at),
        }
    }

    /// A row selected with `columns!()`: its id, entry, prev_hash and hash.
    fn from_row(r: &Row) -> Option<(i64, Entry, String, String)> {
        let text = |i: usize| r.get(i).and_then(J::as_str).map(str::to_string);
        let int = |i: usize| r.get(i).and_then(as_i64);
        let entry = Entry {
            request_id: text(1)?,
            token_id: int(2),
            client_ip: text(3)?,
            method: text(4)?,
            path: text(5)?,
            status: int(6)?,
            stage: text(7),
            duration_ms: int(8)?,
            response_bytes: int(9)?,
            created_at: parse_datetime(&text(10)?).ok()?,
        };
        Some((int(0)?, entry, text(11)?, text(12)?))
    }

    /// The bound values of one row, in [`NAMES`] order.
    fn params(&self, id: i64, prev_hash: &str, hash: &str) -> Vec<Value> {
        let text = |s: &str| Value::Text(s.to_string());
        vec![
            Value::Int(id),
            text(&self.request_id),
            self.token_id.map_or(Value::Null, Value::Int),
            text(&self.client_ip),
            text(&self.method),
            text(&self.path),
            Value::Int(self.status),
            self.stage.as_deref().map_or(Value::Null, text),
            Value::Int(self.duration_ms),
            Value::Int(self.response_bytes),
            Value::DateTime(self.created_at),
            text(prev_hash),
            text(hash),
        ]
    }
}

/// The canonical line of a record: a JSON array of its stored fields in column
/// order, id first and `created_at` as `YYYY-MM-DDTHH:MM:SS`. JSON quoting makes
/// it unambiguous whatever the fields contain.
fn canonical_line(id: i64, e: &Entry) -> String {
    json!([
        id,
        e.request_id,
        e.token_id,
        e.client_ip,
        e.method,
        e.path,
        e.status,
        e.stage,
        e.duration_ms,
        e.response_bytes,
        e.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    ])
    .to_string()
}

/// `sha256_hex(prev_hash + "\n" + canonical_line)`.
fn chain_hash(prev_hash: &str, id: i64, e: &Entry) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical_line(id, e).as_bytes());
    hex::encode(h.finalize())
}

// ---------------------------------------------------------------- redaction

/// Parameter names whose values are always redacted.
const SECRET_NAMES: [&str; 3] = ["token", "access_token", "signature"];
/// Name fragments (case-insensitive) that mark a parameter as secret.
const SECRET_PARTS: [&str; 11] =
    ["password", "passwd", "secret", "token", "api_key", "apikey", "key", "hash", "salt", "signature", "auth"];
/// Data Builder tokens start with this; a value carrying one is redacted whatever its name.
const TOKEN_MARK: &str = "dba_";

/// Whether a (decoded) query parameter name is a secret's: `token`,
/// `access_token`, `signature`, or any name containing `password`, `passwd`,
/// `secret`, `token`, `api_key`, `apikey`, `key`, `hash`, `salt`, `signature` or
/// `auth`, in any case (so `filter[password]` is one).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_lowercase();
    SECRET_NAMES.contains(&n.as_str()) || SECRET_PARTS.iter().any(|p| n.contains(p))
}

/// Percent- and `+`-decoding of one query component.
fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

fn carries_token(raw: &str) -> bool {
    decode(raw).contains(TOKEN_MARK)
}

/// One `name=value` piece of a query, redacted when secret.
fn redact_pair(pair: &str) -> Cow<'_, str> {
    let (name, value) = match pair.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (pair, None),
    };
    if carries_token(name) {
        return Cow::Borrowed(REDACTED);
    }
    match value {
        Some(v) if is_secret_name(&decode(name)) || carries_token(v) => Cow::Owned(format!("{name}={REDACTED}")),
        _ => Cow::Borrowed(pair),
    }
}

/// The path to store: `path`, plus `?query` with the value of every secret
/// parameter (see [`is_secret_name`]) and of anything carrying a `dba_` token
/// replaced by [`REDACTED`]. Names, order and the other values are kept as sent.
pub fn redact_path(path: &str, query: Option<&str>) -> String {
    match query.filter(|q| !q.is_empty()) {
        None => path.to_string(),
        Some(q) => {
            let pairs: Vec<Cow<'_, str>> = q.split('&').map(redact_pair).collect();
            format!("{path}?{}", pairs.join("&"))
        }
    }
}

// ---------------------------------------------------------------- appending

/// The chain's last record (id, hash) as an appending transaction sees it.
type Head = (i64, String);

/// The head in `rows` (a `SELECT id, hash`), or `(0, GENESIS)` when there is none.
fn head_of(rows: &[Row]) -> Result<Head, DbError> {
    let Some(row) = rows.first() else {
        return Ok((0, GENESIS.to_string()));
    };
    match (row.first().and_then(as_i64), row.get(1).and_then(J::as_str)) {
        (Some(id), Some(hash)) => Ok((id, hash.to_string())),
        _ => Err(DbError::Other("unreadable audit chain head".into())),
    }
}

/// Take the dialect's append lock (see the module docs) and read the chain's
/// head. `None` when the head moved under this transaction (MySQL only): start
/// over in a new one.
async fn lock_head(tx: &mut Tx, d: Dialect, table: &str) -> Result<Option<Head>, DbError> {
    let lock = match d {
        Dialect::Sqlite => LOCK_SQLITE,
        Dialect::Postgres => LOCK_POSTGRES,
        Dialect::MySql => return lock_head_mysql(tx, table).await,
    };
    tx.execute(&Sql::fixed_table(d, lock, table, vec![])).await?;
    let rows = tx.fetch_all(&Sql::fixed_table(d, HEAD, table, vec![]), &KINDS[..1]).await?;
    head_of(&rows).map(Some)
}

/// MySQL/MariaDB: lock the head record by its primary key — a record lock, not
/// the gap lock a `ORDER BY id DESC LIMIT 1 FOR UPDATE` scan takes, with which two
/// waiting writers deadlock the holder's inserts — then check, by a locking read
/// of `head + 1` (locking reads see the latest commit, not the snapshot), that
/// no other writer appended after this transaction's snapshot was taken.
async fn lock_head_mysql(tx: &mut Tx, table: &str) -> Result<Option<Head>, DbError> {
    let d = Dialect::MySql;
    let newest = tx.fetch_all(&Sql::fixed_table(d, NEWEST_ID, table, vec![]), &KINDS[..1]).await?;
    let head = match newest.first().and_then(|r| r.first()).and_then(as_i64) {
        None => (0, GENESIS.to_string()),
        Some(id) => {
            let rows =
                tx.fetch_all(&Sql::fixed_table(d, HEAD_BY_ID_LOCKED, table, vec![Value::Int(id)]), &KINDS[..1]).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            head_of(&rows)?
        }
    };
    let next = Sql::fixed_table(d, ID_LOCKED, table, vec![Value::Int(head.0 + 1)]);
    Ok(tx.fetch_all(&next, &KINDS[..1]).await?.is_empty().then_some(head))
}

/// Insert `records` after the head, each hashed with its predecessor. False
/// when the head moved (nothing was written).
async fn append_in(tx: &mut Tx, store: &Store, records: &[AuditRecord]) -> Result<bool, DbError> {
    let d = store.db.dialect();
    let table = store.table(TABLE);
    let Some((mut id, mut prev)) = lock_head(tx, d, &table).await? else {
        return Ok(false);
    };
    let mut rows = Vec::with_capacity(records.len());
    for r in records {
        let entry = Entry::from_record(r);
        id += 1;
        let hash = chain_hash(&prev, id, &entry);
        rows.push(entry.params(id, &prev, &hash));
        prev = hash;
    }
    // Multi-row INSERTs: one statement per 100 records instead of one per record.
    for chunk in rows.chunks(100) {
        tx.execute(&databuilder_engine::sql::render_insert_rows(d, &table, &NAMES, chunk)).await?;
    }
    Ok(true)
}

/// Append `records` to the chain, in order, in one transaction (all or none).
/// Database errors are returned at once; [`AuditLog`] retries them.
pub async fn append(store: &Store, records: &[AuditRecord]) -> Result<(), DbError> {
    if records.is_empty() {
        return Ok(());
    }
    for _ in 0..HEAD_MOVED_TRIES {
        let mut tx = store.db.begin().await?;
        match append_in(&mut tx, store, records).await {
            Ok(true) => return tx.commit().await,
            Ok(false) => tx.rollback().await?,
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(e);
            }
        }
    }
    Err(DbError::Other("the audit chain head kept moving".into()))
}

// ---------------------------------------------------------------- the writer

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
    /// Records waiting for the writer (the metrics' audit queue depth).
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

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
        let started = std::time::Instant::now();
        let appended = append(store, batch).await;
        metrics::histogram!("databuilder_audit_write_seconds").record(started.elapsed().as_secs_f64());
        let err = match appended {
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

// ---------------------------------------------------------------- verifying

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    /// Records checked (up to and including the first bad one).
    pub rows: u64,
    pub ok: bool,
    /// The first record that fails: edited itself, or following a deleted or
    /// edited record.
    pub first_bad_id: Option<i64>,
    /// Why it fails; `None` when `ok`.
    pub reason: Option<String>,
}

/// Walks the chain one row at a time.
#[derive(Default)]
struct ChainCheck {
    rows: u64,
    /// The previous row's id and hash.
    last: Option<(i64, String)>,
}

impl ChainCheck {
    /// Check one row; on failure, its id (when readable) and why.
    fn push(&mut self, row: &Row) -> Result<(), (Option<i64>, String)> {
        self.rows += 1;
        let Some((id, entry, prev_hash, hash)) = Entry::from_row(row) else {
            let id = row.first().and_then(as_i64);
            return Err((id, "unreadable record (a field was edited to an invalid value)".into()));
        };
        if chain_hash(&prev_hash, id, &entry) != hash {
            return Err((Some(id), "hash does not match the record: it was edited".into()));
        }
        if let Some((last_id, last_hash)) = &self.last {
            if *last_hash != prev_hash {
                let why =
                    format!("prev_hash does not match record {last_id}: a record between them was deleted or edited");
                return Err((Some(id), why));
            }
            if id != last_id + 1 {
                return Err((Some(id), format!("ids jump from {last_id} to {id}: records were deleted")));
            }
        }
        self.last = Some((id, hash));
        Ok(())
    }
}

/// Check the whole chain in id order, a page at a time (memory stays flat):
/// each record's hash against its recomputation and each `prev_hash` against the
/// previous record's hash. The oldest record kept is trusted as the start (retention
/// deletes from the front). Stops at the first bad record.
pub async fn verify(store: &Store) -> Result<VerifyReport, DbError> {
    let d = store.db.dialect();
    let table = store.table(TABLE);
    let mut check = ChainCheck::default();
    let mut after = 0i64;
    loop {
        let sql = Sql::fixed_table(d, PAGE_AFTER, &table, vec![Value::Int(after), Value::Int(PAGE)]);
        let page = store.db.fetch_all(&sql, &KINDS).await?;
        for row in &page {
            if let Err((id, reason)) = check.push(row) {
                return Ok(VerifyReport { rows: check.rows, ok: false, first_bad_id: id, reason: Some(reason) });
            }
        }
        match check.last.as_ref() {
            Some((last_id, _)) if page.len() as i64 == PAGE => after = *last_id,
            _ => break,
        }
    }
    Ok(VerifyReport { rows: check.rows, ok: true, first_bad_id: None, reason: None })
}

// ---------------------------------------------------------------- retention

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

// ---------------------------------------------------------------- reading

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

    fn entry() -> Entry {
        Entry::from_record(&AuditRecord {
            request_id: "r1".into(),
            token_id: Some(7),
            client_ip: "10.0.0.1".into(),
            method: "GET".into(),
            path: "/api/x?token=REDACTED".into(),
            status: 200,
            stage: None,
            duration_ms: 12,
            response_bytes: 345,
            created_at: parse_datetime("2024-05-01T10:11:12.345").unwrap(),
        })
    }

    #[test]
    fn redacts_secret_values_and_keeps_the_rest() {
        let out = redact_path("/api/v1/x", Some("a=1&token=dba_abc&filter%5Bpassword%5D=p&Api_Key=k&b=2&flag&x=dba_z"));
        assert_eq!(
            out,
            "/api/v1/x?a=1&token=REDACTED&filter%5Bpassword%5D=REDACTED&Api_Key=REDACTED&b=2&flag&x=REDACTED"
        );
        assert_eq!(redact_path("/p", None), "/p");
        assert_eq!(redact_path("/p", Some("")), "/p");
        assert_eq!(redact_path("/p", Some("dba_bare")), "/p?REDACTED");
        assert!(is_secret_name("filter[password]") && is_secret_name("X-AUTH") && !is_secret_name("limit"));
    }

    #[test]
    fn hash_covers_every_field_and_the_link() {
        let e = entry();
        assert_eq!(e.created_at.nanosecond(), 0, "stored to the second");
        let h = chain_hash(GENESIS, 1, &e);
        assert_eq!(h.len(), 64);
        assert_ne!(h, chain_hash(GENESIS, 2, &e), "the id is hashed");
        assert_ne!(h, chain_hash(&h, 1, &e), "the link is hashed");
        assert_ne!(h, chain_hash(GENESIS, 1, &Entry { status: 201, ..e.clone() }));
        assert_ne!(h, chain_hash(GENESIS, 1, &Entry { stage: Some("auth".into()), ..e.clone() }));
    }

    #[test]
    fn clips_to_column_widths() {
        let long = AuditRecord { path: "é".repeat(3000), request_id: "x\0y".into(), ..entry_record() };
        let e = Entry::from_record(&long);
        assert_eq!(e.path.chars().count(), W_PATH);
        assert_eq!(e.request_id, "xy");
    }

    fn entry_record() -> AuditRecord {
        AuditRecord {
            request_id: String::new(),
            token_id: None,
            client_ip: String::new(),
            method: "GET".into(),
            path: "/".into(),
            status: 200,
            stage: None,
            duration_ms: 0,
            response_bytes: 0,
            created_at: now(),
        }
    }

    #[test]
    fn percentiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.95), Some(95));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[4], 0.99), Some(4));
    }

    #[test]
    fn drop_warnings_are_sparse() {
        let c = AtomicU64::new(0);
        note_dropped(&c, 1, "t");
        note_dropped(&c, 500, "t");
        assert_eq!(c.load(Ordering::Relaxed), 501);
    }
}
