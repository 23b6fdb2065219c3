//! API tokens: `dba_` + 43 random characters + a 6-hex-digit checksum, so a
//! malformed token is refused without a database lookup. Only the SHA-256 of a
//! token is stored; the plaintext is shown once.
//!
//! Two generations share that shape. Tokens issued now draw their 43 characters
//! from `[A-Za-z0-9]` (43 × log2 62 ≈ 256.03 bits, as much as the 32 random bytes
//! before), so one double-click selects a whole token; tokens issued before were
//! base64url (`-` and `_` too) and keep working: [`well_formed`] accepts both.
use chrono::NaiveDateTime;
use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::{DbError, Row, as_i64};
use databuilder_engine::principal::{Policy, Principal};
use databuilder_engine::sql::Sql;
use databuilder_engine::value::{Value, parse_datetime};
use rand::RngCore;
use serde_json::Value as J;
use sha2::{Digest, Sha256};

use super::{Store, now};

const PREFIX: &str = "dba_";
const BODY_LEN: usize = 43;
const CHECK_LEN: usize = 6;

fn checksum(body: &str) -> String {
    hex::encode(Sha256::digest(format!("{PREFIX}{body}").as_bytes()))[..CHECK_LEN].to_string()
}

const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh token, `[A-Za-z0-9]` after the prefix.
pub fn generate() -> String {
    let mut rng = rand::thread_rng();
    let body: String = (0..BODY_LEN)
        .map(|_| {
            // Rejection sampling keeps every character equally likely (248 = 4 × 62).
            loop {
                let b = (rng.next_u32() & 0xff) as u8;
                if b < 248 {
                    break ALPHANUMERIC[usize::from(b % 62)] as char;
                }
            }
        })
        .collect();
    format!("{PREFIX}{body}{}", checksum(&body))
}

/// Whether a string has the shape and checksum of a token (no database needed).
pub fn well_formed(token: &str) -> bool {
    let Some(rest) = token.strip_prefix(PREFIX) else {
        return false;
    };
    if rest.len() != BODY_LEN + CHECK_LEN || !rest.is_ascii() {
        return false;
    }
    let (body, check) = rest.split_at(BODY_LEN);
    let alphabet_ok = body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    alphabet_ok && subtle_eq(check.as_bytes(), checksum(body).as_bytes())
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of equal-length byte strings.
pub fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A stored token (never the plaintext).
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub hint: String,
    pub hash: String,
    pub policy: Policy,
    pub created_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    /// The HMAC signing secret, sealed with the master key (`store::crypto`).
    pub hmac_secret: Option<String>,
}

impl TokenRecord {
    /// Usable now: not revoked, not expired.
    pub fn active(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now())
    }

    pub fn principal(&self) -> Principal {
        Principal { token_id: self.id, name: self.name.clone(), policy: self.policy.clone() }
    }

    /// The JSON shape used by `token list|show --json` and the admin API.
    pub fn to_json(&self) -> J {
        let t = |d: &Option<NaiveDateTime>| d.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        serde_json::json!({
            "id": self.id, "name": self.name, "hint": self.hint, "policy": self.policy,
            "created_at": t(&self.created_at), "expires_at": t(&self.expires_at),
            "revoked_at": t(&self.revoked_at), "last_used_at": t(&self.last_used_at),
            "hmac": self.hmac_secret.is_some(),
            "active": self.active(),
        })
    }
}

const COLUMNS_KINDS: [Option<ColumnKind>; 10] = [
    Some(ColumnKind::Int),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
    Some(ColumnKind::Text),
    Some(ColumnKind::DateTime),
    Some(ColumnKind::DateTime),
    Some(ColumnKind::DateTime),
    Some(ColumnKind::DateTime),
    Some(ColumnKind::Text),
];

fn record(r: &Row) -> Option<TokenRecord> {
    let text = |i: usize| r.get(i).and_then(J::as_str).unwrap_or_default().to_string();
    let date = |i: usize| r.get(i).and_then(J::as_str).and_then(|s| parse_datetime(s).ok());
    Some(TokenRecord {
        id: as_i64(r.first()?)?,
        name: text(1),
        hint: text(2),
        hash: text(3),
        policy: serde_json::from_str(&text(4)).ok()?,
        created_at: date(5),
        expires_at: date(6),
        revoked_at: date(7),
        last_used_at: date(8),
        hmac_secret: r.get(9).and_then(J::as_str).map(str::to_string),
    })
}

impl Store {
    fn tokens(&self) -> String {
        self.table("api_tokens")
    }

    /// Store a new token; returns its record and the plaintext (shown once).
    pub async fn create_token(
        &self,
        name: &str,
        policy: &Policy,
        expires_at: Option<NaiveDateTime>,
    ) -> Result<(TokenRecord, String), DbError> {
        let token = generate();
        let d = self.db.dialect();
        let params = vec![
            Value::Text(name.to_string()),
            Value::Text(hash(&token)),
            Value::Text(token[..12].to_string()),
            Value::Text(serde_json::to_string(policy).unwrap_or_default()),
            Value::DateTime(now()),
            expires_at.map(Value::DateTime).unwrap_or(Value::Null),
        ];
        let insert =
            "INSERT INTO {t} (name, token_hash, token_hint, policy, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)";
        let id = if d == databuilder_engine::catalog::Dialect::MySql {
            self.db.execute(&Sql::fixed_table(d, insert, &self.tokens(), params)).await?.1
        } else {
            const RET: &str = "INSERT INTO {t} (name, token_hash, token_hint, policy, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
            self.db.fetch_i64(&Sql::fixed_table(d, RET, &self.tokens(), params)).await?
        };
        let id = id.ok_or_else(|| DbError::Other("no id returned".into()))?;
        let rec = self.token(id).await?.ok_or_else(|| DbError::Other("token vanished".into()))?;
        Ok((rec, token))
    }

    async fn select_tokens(&self, template: &'static str, params: Vec<Value>) -> Result<Vec<TokenRecord>, DbError> {
        let sql = Sql::fixed_table(self.db.dialect(), template, &self.tokens(), params);
        Ok(self.db.fetch_all(&sql, &COLUMNS_KINDS).await?.iter().filter_map(record).collect())
    }

    /// Every token, newest last.
    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, DbError> {
        const Q: &str = "SELECT id, name, token_hint, token_hash, policy, created_at, expires_at, revoked_at, last_used_at, hmac_secret FROM {t} ORDER BY id";

        self.select_tokens(Q, vec![]).await
    }

    /// One token by id.
    pub async fn token(&self, id: i64) -> Result<Option<TokenRecord>, DbError> {
        const Q: &str = "SELECT id, name, token_hint, token_hash, policy, created_at, expires_at, revoked_at, last_used_at, hmac_secret FROM {t} WHERE id = ?";
        Ok(self.select_tokens(Q, vec![Value::Int(id)]).await?.pop())
    }

    /// The token with this SHA-256, compared again in constant time.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRecord>, DbError> {
        const Q: &str = "SELECT id, name, token_hint, token_hash, policy, created_at, expires_at, revoked_at, last_used_at, hmac_secret FROM {t} WHERE token_hash = ?";
        let found = self.select_tokens(Q, vec![Value::Text(token_hash.to_string())]).await?.pop();
        Ok(found.filter(|r| subtle_eq(r.hash.as_bytes(), token_hash.as_bytes())))
    }

    /// Store a token's sealed HMAC secret.
    pub async fn set_token_hmac(&self, id: i64, sealed: &str) -> Result<(), DbError> {
        const Q: &str = "UPDATE {t} SET hmac_secret = ? WHERE id = ?";
        let sql = Sql::fixed_table(
            self.db.dialect(),
            Q,
            &self.tokens(),
            vec![Value::Text(sealed.to_string()), Value::Int(id)],
        );
        self.db.execute(&sql).await?;
        Ok(())
    }

    /// Revoke a token; false when there is no such active token.
    pub async fn revoke_token(&self, id: i64) -> Result<bool, DbError> {
        const Q: &str = "UPDATE {t} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";
        let sql = Sql::fixed_table(self.db.dialect(), Q, &self.tokens(), vec![Value::DateTime(now()), Value::Int(id)]);
        Ok(self.db.execute(&sql).await?.0 > 0)
    }

    /// Give a token a new secret; the old one stops working at once.
    pub async fn rotate_token(&self, id: i64) -> Result<Option<String>, DbError> {
        let token = generate();
        const Q: &str = "UPDATE {t} SET token_hash = ?, token_hint = ? WHERE id = ? AND revoked_at IS NULL";
        let params = vec![Value::Text(hash(&token)), Value::Text(token[..12].to_string()), Value::Int(id)];
        let sql = Sql::fixed_table(self.db.dialect(), Q, &self.tokens(), params);
        Ok((self.db.execute(&sql).await?.0 > 0).then_some(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_checksum() {
        let t = generate();
        assert!(t.starts_with("dba_"));
        assert_eq!(t.len(), 4 + BODY_LEN + CHECK_LEN);
        assert!(well_formed(&t));
        let mut broken = t.clone().into_bytes();
        let i = 10;
        broken[i] = if broken[i] == b'A' { b'B' } else { b'A' };
        assert!(!well_formed(&String::from_utf8(broken).unwrap()));
        assert!(!well_formed("dba_short"));
        assert!(!well_formed(&t.replace("dba_", "dbb_")));
        assert_ne!(hash(&t), t);
    }

    #[test]
    fn new_tokens_are_alphanumeric_and_old_ones_stay_valid() {
        for _ in 0..200 {
            let t = generate();
            assert!(t[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{t}");
        }
        // A token of the first generation: base64url body with `-` and `_`.
        let body = "z4-cs2_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        assert_eq!(body.len(), BODY_LEN);
        let old = format!("{PREFIX}{body}{}", checksum(body));
        assert!(well_formed(&old));
        let tampered = old.replace("z4-", "z4_");
        assert!(!well_formed(&tampered), "the checksum still covers the body");
    }
}
