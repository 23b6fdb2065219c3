//! `Idempotency-Key` on POST: the first request with a key claims it (an atomic
//! INSERT on the primary key); its response is stored; a repeat within 24 h gets
//! that response back and writes nothing. A repeat while the first is still
//! running gets 409.

use chrono::Duration;
use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::{DbError, as_i64};
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;
use serde_json::Value as J;
use sha2::{Digest, Sha256};

use super::{Store, now};

/// What claiming a key found.
#[derive(Debug, PartialEq)]
pub enum Claim {
    /// First use: go ahead, then `store` the response.
    Fresh,
    /// Seen before: replay this (status, body).
    Replay(u16, String),
    /// Seen before and still running, or used for another request.
    Conflict(&'static str),
}

fn h(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

impl Store {
    /// Claim `key` for this token and request (method, path and body hash).
    pub async fn claim_idempotency(&self, token_id: i64, key: &str, request: &str) -> Result<Claim, DbError> {
        let d = self.db.dialect();
        let t = self.table("idempotency");
        let (kh, rh) = (h(key), h(request));
        const DEL: &str = "DELETE FROM {t} WHERE token_id = ? AND key_hash = ? AND created_at < ?";
        let expired = Value::DateTime(now() - Duration::hours(24));
        self.db
            .execute(&Sql::fixed_table(d, DEL, &t, vec![Value::Int(token_id), Value::Text(kh.clone()), expired]))
            .await?;
        const INS: &str =
            "INSERT INTO {t} (token_id, key_hash, request_hash, status, created_at) VALUES (?, ?, ?, 0, ?)";
        let ins = Sql::fixed_table(
            d,
            INS,
            &t,
            vec![Value::Int(token_id), Value::Text(kh.clone()), Value::Text(rh.clone()), Value::DateTime(now())],
        );
        match self.db.execute(&ins).await {
            Ok(_) => return Ok(Claim::Fresh),
            Err(DbError::Unique) => {}
            Err(e) => return Err(e),
        }
        const SEL: &str = "SELECT status, body, request_hash FROM {t} WHERE token_id = ? AND key_hash = ?";
        let rows = self
            .db
            .fetch_all(
                &Sql::fixed_table(d, SEL, &t, vec![Value::Int(token_id), Value::Text(kh)]),
                &[Some(ColumnKind::Int), Some(ColumnKind::Text), Some(ColumnKind::Text)],
            )
            .await?;
        let Some(r) = rows.first() else {
            return Ok(Claim::Conflict("the key is being reused"));
        };
        if r[2].as_str() != Some(rh.as_str()) {
            return Ok(Claim::Conflict("this Idempotency-Key was used for a different request"));
        }
        match (as_i64(&r[0]), &r[1]) {
            (Some(status), J::String(body)) if status > 0 => Ok(Claim::Replay(status as u16, body.clone())),
            _ => Ok(Claim::Conflict("a request with this Idempotency-Key is still being processed")),
        }
    }

    /// Store the response of a claimed key.
    pub async fn store_idempotency(&self, token_id: i64, key: &str, status: u16, body: &str) -> Result<(), DbError> {
        const Q: &str = "UPDATE {t} SET status = ?, body = ? WHERE token_id = ? AND key_hash = ?";
        let params =
            vec![Value::Int(status as i64), Value::Text(body.to_string()), Value::Int(token_id), Value::Text(h(key))];
        self.db.execute(&Sql::fixed_table(self.db.dialect(), Q, &self.table("idempotency"), params)).await?;
        Ok(())
    }

    /// Release a claimed key after a failed request, so it can be retried.
    pub async fn release_idempotency(&self, token_id: i64, key: &str) -> Result<(), DbError> {
        const Q: &str = "DELETE FROM {t} WHERE token_id = ? AND key_hash = ? AND status = 0";
        let params = vec![Value::Int(token_id), Value::Text(h(key))];
        self.db.execute(&Sql::fixed_table(self.db.dialect(), Q, &self.table("idempotency"), params)).await?;
        Ok(())
    }
}
