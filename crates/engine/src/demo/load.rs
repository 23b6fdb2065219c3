//! Loading the demo database: DDL, then the generator's batches as multi-row
//! INSERTs inside one transaction, then PostgreSQL sequences moved past the ids.

use crate::catalog::Dialect;
use crate::demo;
use crate::exec::{Db, DbError};
use crate::sql::{Sql, render_insert_rows, render_setval};

/// Most bound parameters per statement (SQLite allows 32766).
const MAX_PARAMS: usize = 30_000;

/// Create the demo schema in `db` and fill it at `scale`. `progress` receives the
/// number of rows inserted so far (out of `demo::total_rows(scale)`).
pub async fn load_demo(db: &Db, scale: f64, progress: &(dyn Fn(u64) + Sync)) -> Result<(), DbError> {
    let dialect = db.dialect();
    let mut tx = db.begin().await?;
    if dialect == Dialect::MySql {
        tx.execute(&Sql::fixed(dialect, "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'", vec![])).await?;
    }
    for stmt in demo::ddl(dialect) {
        tx.execute(&Sql::trusted(stmt)).await?;
    }
    let mut done = 0u64;
    for batch in demo::batches(scale, 1000) {
        let per_stmt = (MAX_PARAMS / batch.columns.len().max(1)).max(1);
        for chunk in batch.rows.chunks(per_stmt) {
            tx.execute(&render_insert_rows(dialect, batch.table, &batch.columns, chunk)).await?;
            done += chunk.len() as u64;
            progress(done);
        }
    }
    if dialect == Dialect::Postgres {
        for (table, col) in demo::serial_tables() {
            tx.fetch_all(&render_setval(table, col), &[]).await?;
        }
    }
    tx.commit().await
}
