//! The per-token rate counter: a fixed window counted with one atomic UPSERT in
//! the state database, so every instance shares the limit. The caller fails
//! closed: an error here is a 503, never a pass.

use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;

use super::State;

const UPSERT_RETURNING: &str = "INSERT INTO {t} (bucket, win, n) VALUES (?, ?, 1) ON CONFLICT (bucket, win) DO UPDATE SET n = {t}.n + 1 RETURNING n";
/// MySQL reports `LAST_INSERT_ID(expr)` in the statement's OK packet: one round trip.
const UPSERT_MYSQL: &str = "INSERT INTO {t} (bucket, win, n) VALUES (?, ?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE n = LAST_INSERT_ID(n + 1)";
const PURGE: &str = "DELETE FROM {t} WHERE win < ?";

impl State {
    /// Count one request in `bucket`'s window starting at `win` (unix seconds);
    /// returns the count including this request.
    pub async fn count_request(&self, bucket: &str, win: i64) -> Result<i64, DbError> {
        let d = self.db.dialect();
        let t = self.table("api_rate");
        let params = vec![Value::Text(bucket.to_string()), Value::Int(win)];
        let n = if d == Dialect::MySql {
            self.db.execute(&Sql::fixed_table(d, UPSERT_MYSQL, &t, params)).await?.1
        } else {
            self.db.fetch_i64(&Sql::fixed_table(d, UPSERT_RETURNING, &t, params)).await?
        };
        n.ok_or_else(|| DbError::Other("rate counter returned nothing".into()))
    }

    /// Delete windows that started before `before` (unix seconds).
    pub async fn purge_rate_windows(&self, before: i64) -> Result<u64, DbError> {
        let sql = Sql::fixed_table(self.db.dialect(), PURGE, &self.table("api_rate"), vec![Value::Int(before)]);
        Ok(self.db.execute(&sql).await?.0)
    }
}
