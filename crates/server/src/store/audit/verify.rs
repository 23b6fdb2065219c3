//! `databuilder logs verify`: walk the chain in id order and report the first
//! record that was edited or follows a deleted one.

use databuilder_engine::exec::{DbError, Row, as_i64};
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;

use super::TABLE;
use super::chain::chain_hash;
use super::record::{Entry, KINDS};
use crate::store::Store;

/// Rows per page when verifying.
const PAGE: i64 = 1_000;
const PAGE_AFTER: &str = concat!("SELECT ", columns!(), " FROM {t} WHERE id > ? ORDER BY id LIMIT ?");

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
