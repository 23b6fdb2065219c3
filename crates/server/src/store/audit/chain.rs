//! The hash chain and appending to it (see the module docs of `store::audit`
//! for the dialects' append locks).

use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::{DbError, Row, Tx, as_i64};
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;
use serde_json::{Value as J, json};
use sha2::{Digest, Sha256};

use super::TABLE;
use super::record::{AuditRecord, Entry, KINDS, NAMES};
use crate::store::Store;

/// The `prev_hash` of the first record ever written.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// MySQL: fresh transactions tried when another writer moved the head first.
const HEAD_MOVED_TRIES: u32 = 20;

const LOCK_SQLITE: &str = "UPDATE {t} SET id = id WHERE 1 = 0";
const LOCK_POSTGRES: &str = "LOCK TABLE {t} IN EXCLUSIVE MODE";
const HEAD: &str = "SELECT id, hash FROM {t} ORDER BY id DESC LIMIT 1";
const HEAD_BY_ID_LOCKED: &str = "SELECT id, hash FROM {t} WHERE id = ? FOR UPDATE";
const ID_LOCKED: &str = "SELECT id FROM {t} WHERE id = ? FOR UPDATE";
const NEWEST_ID: &str = "SELECT MAX(id) FROM {t}";

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
pub(super) fn chain_hash(prev_hash: &str, id: i64, e: &Entry) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical_line(id, e).as_bytes());
    hex::encode(h.finalize())
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::record::tests::entry;

    #[test]
    fn hash_covers_every_field_and_the_link() {
        let e = entry();
        let h = chain_hash(GENESIS, 1, &e);
        assert_eq!(h.len(), 64);
        assert_ne!(h, chain_hash(GENESIS, 2, &e), "the id is hashed");
        assert_ne!(h, chain_hash(&h, 1, &e), "the link is hashed");
        assert_ne!(h, chain_hash(GENESIS, 1, &Entry { status: 201, ..e.clone() }));
        assert_ne!(h, chain_hash(GENESIS, 1, &Entry { stage: Some("auth".into()), ..e.clone() }));
    }
}
