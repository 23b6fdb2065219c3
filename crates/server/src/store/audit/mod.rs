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
//!
//! # Files
//!
//! - `record`: the record and its stored form (column widths, bound values);
//! - `chain`: the canonical line, the hash, and appending under the lock;
//! - `redaction`: the query string as stored;
//! - `writer`: the background batch writer behind [`AuditLog`];
//! - `verify`, `prune`, `read` (tail and stats): what the CLI and the console use.

/// The state table's short name (`<prefix>data_builder_api_logs`).
const TABLE: &str = "api_logs";

/// Every column, in the order `record::KINDS` types them. A macro so the
/// statements stay `'static` literals.
macro_rules! columns {
    () => {
        "id, request_id, token_id, client_ip, method, path, status, stage, duration_ms, response_bytes, created_at, prev_hash, hash"
    };
}

mod chain;
mod prune;
mod read;
mod record;
mod redaction;
mod verify;
mod writer;

pub use chain::{GENESIS, append};
pub use prune::{prune, spawn_retention};
pub use read::{stats, tail};
pub use record::AuditRecord;
pub use redaction::{Personal, REDACTED, is_secret_name, redact_path, redact_path_with};
pub use verify::{VerifyReport, verify};
pub use writer::{AuditError, AuditLog};
