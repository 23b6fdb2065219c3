//! The change marker: one row in `<prefix>data_builder_api_epoch` whose counter
//! every change to tokens or saved definitions bumps (from the CLI or any
//! server instance). Each instance polls it every second (`startup.rs`) and
//! drops its token cache and definitions snapshot when it moved, so changes
//! reach every instance in about a second rather than a cache TTL. The poll is
//! cheap (a primary-key read); the TTLs stay as the bound if the marker cannot
//! be read.

use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;

use super::Store;

/// The one row's name.
const ROW: &str = "changes";

impl Store {
    /// The current marker (0 before the first change).
    pub async fn epoch(&self) -> Result<i64, DbError> {
        const Q: &str = "SELECT n FROM {t} WHERE name = ?";
        let sql = Sql::fixed_table(self.db.dialect(), Q, &self.table("api_epoch"), vec![Value::Text(ROW.into())]);
        Ok(self.db.fetch_i64(&sql).await?.unwrap_or(0))
    }

    /// Move the marker. A failure is logged, not returned: the change itself was
    /// made, and the caches' TTL still bounds how long it takes to be seen.
    pub async fn bump_epoch(&self) {
        if let Err(e) = self.try_bump_epoch().await {
            tracing::warn!(error = %e, "bumping the change marker failed; instances see the change after their cache TTL");
        }
    }

    async fn try_bump_epoch(&self) -> Result<(), DbError> {
        const UP: &str = "UPDATE {t} SET n = n + 1 WHERE name = ?";
        const INS: &str = "INSERT INTO {t} (name, n) VALUES (?, 1)";
        let (d, t) = (self.db.dialect(), self.table("api_epoch"));
        let row = || vec![Value::Text(ROW.into())];
        if self.db.execute(&Sql::fixed_table(d, UP, &t, row())).await?.0 > 0 {
            return Ok(());
        }
        match self.db.execute(&Sql::fixed_table(d, INS, &t, row())).await {
            Ok(_) => Ok(()),
            // Another writer created the row first: count this change on it.
            Err(DbError::Unique) => self.db.execute(&Sql::fixed_table(d, UP, &t, row())).await.map(|_| ()),
            Err(e) => Err(e),
        }
    }
}
