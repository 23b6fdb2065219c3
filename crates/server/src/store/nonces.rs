//! Nonces of signed requests, kept in the state database so every instance sees
//! them: the primary key makes "first use" an atomic INSERT; a second use inside
//! the window is a unique violation, i.e. a replay.

use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;
use sha2::{Digest, Sha256};

use super::{Store, now};

impl Store {
    /// Record a nonce; `false` when it was already used by this token.
    pub async fn use_nonce(&self, token_id: i64, nonce: &str) -> Result<bool, DbError> {
        const Q: &str = "INSERT INTO {t} (token_id, nonce, created_at) VALUES (?, ?, ?)";
        let h = hex::encode(Sha256::digest(nonce.as_bytes()));
        let params = vec![Value::Int(token_id), Value::Text(h), Value::DateTime(now())];
        match self.db.execute(&Sql::fixed_table(self.db.dialect(), Q, &self.table("api_nonces"), params)).await {
            Ok(_) => Ok(true),
            Err(DbError::Unique) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Forget nonces older than the signature window.
    pub async fn purge_nonces(&self, older_than_secs: i64) -> Result<u64, DbError> {
        const Q: &str = "DELETE FROM {t} WHERE created_at < ?";
        let cutoff = now() - chrono::Duration::seconds(older_than_secs);
        let sql = Sql::fixed_table(self.db.dialect(), Q, &self.table("api_nonces"), vec![Value::DateTime(cutoff)]);
        Ok(self.db.execute(&sql).await?.0)
    }
}
