//! State of the admin console (SPEC §7): one-time sign-in links and sessions,
//! both stored as the SHA-256 of their secret so a copy of the state tables
//! signs nobody in, and shared by every instance (any instance accepts a
//! session another one opened).
//!
//! A link is consumed by one atomic `UPDATE … WHERE hash = ? AND used = 0 AND
//! expires_at >= ?` whose affected-row count decides: under any concurrency
//! exactly one consume wins, on every dialect (the database serialises the
//! row update; the losers re-check `used = 0` and match nothing). There is no
//! SELECT-then-UPDATE anywhere on that path.

use std::time::Duration;

use chrono::NaiveDateTime;
use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::{Value, parse_datetime};
use rand::RngCore;
use serde_json::Value as J;

use super::tokens::{hash, subtle_eq};
use super::{Store, now};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after sign-in, active or not.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 3600);
/// Links live this long unless `--ttl` says otherwise.
pub const DEFAULT_LINK_TTL: Duration = Duration::from_secs(2 * 3600);

const LINKS: &str = "admin_links";
const SESSIONS: &str = "admin_sessions";

const INSERT_LINK: &str = "INSERT INTO {t} (hash, next_path, created_at, expires_at, used) VALUES (?, ?, ?, ?, 0)";
const CONSUME_LINK: &str = "UPDATE {t} SET used = 1, used_at = ? WHERE hash = ? AND used = 0 AND expires_at >= ?";
const LINK_NEXT: &str = "SELECT next_path FROM {t} WHERE hash = ?";
const PURGE_LINKS: &str = "DELETE FROM {t} WHERE used = 1 OR expires_at < ?";

const INSERT_SESSION: &str =
    "INSERT INTO {t} (hash, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)";
const LIVE_SESSION: &str =
    "SELECT hash, csrf, created_at FROM {t} WHERE hash = ? AND last_seen_at >= ? AND expires_at >= ?";
const TOUCH_SESSION: &str = "UPDATE {t} SET last_seen_at = ? WHERE hash = ?";
const END_SESSION: &str = "DELETE FROM {t} WHERE hash = ?";
const PURGE_SESSIONS: &str = "DELETE FROM {t} WHERE expires_at < ? OR last_seen_at < ?";

/// 32 random bytes, hex: the plaintext of a link, a session or a CSRF token.
pub fn secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A live session, as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The stored hash of the cookie (never the cookie itself).
    pub hash: String,
    /// The per-session CSRF token every form and script call must send.
    pub csrf: String,
    pub created_at: Option<NaiveDateTime>,
}

impl Session {
    /// A short, non-secret label for audit records ("who"): 8 hex digits of the hash.
    pub fn label(&self) -> &str {
        &self.hash[..8]
    }
}

fn secs(d: Duration) -> chrono::Duration {
    chrono::Duration::seconds(d.as_secs() as i64)
}

impl Store {
    fn admin_sql(&self, table: &str, template: &'static str, params: Vec<Value>) -> Sql {
        Sql::fixed_table(self.db.dialect(), template, &self.table(table), params)
    }

    /// Issue a sign-in link valid for `ttl`; returns its plaintext (printed once).
    /// Older unused links stay valid: single use and the TTL bound them.
    pub async fn create_admin_link(&self, ttl: Duration, next: &str) -> Result<String, DbError> {
        let link = secret();
        let at = now();
        let params = vec![
            Value::Text(hash(&link)),
            Value::Text(next.chars().take(2048).collect()),
            Value::DateTime(at),
            Value::DateTime(at + secs(ttl)),
        ];
        self.db.execute(&self.admin_sql(LINKS, INSERT_LINK, params)).await?;
        Ok(link)
    }

    /// Consume a link: `Some(next path)` for exactly one caller, `None` for a
    /// used, expired or unknown link (the caller cannot tell which).
    pub async fn consume_admin_link(&self, link: &str) -> Result<Option<String>, DbError> {
        let h = hash(link);
        let at = now();
        let params = vec![Value::DateTime(at), Value::Text(h.clone()), Value::DateTime(at)];
        let (affected, _) = self.db.execute(&self.admin_sql(LINKS, CONSUME_LINK, params)).await?;
        if affected != 1 {
            return Ok(None);
        }
        // Reading the won row back is no race: it is already ours (used = 1).
        let rows = self.db.fetch_all(&self.admin_sql(LINKS, LINK_NEXT, vec![Value::Text(h)]), &[None]).await?;
        let next = rows.first().and_then(|r| r.first()).and_then(J::as_str).unwrap_or("").to_string();
        Ok(Some(next))
    }

    /// Open a session; returns the cookie value (plaintext, sent once) and the session.
    pub async fn create_admin_session(&self) -> Result<(String, Session), DbError> {
        let cookie = secret();
        let csrf = secret();
        let at = now();
        let params = vec![
            Value::Text(hash(&cookie)),
            Value::Text(csrf.clone()),
            Value::DateTime(at),
            Value::DateTime(at),
            Value::DateTime(at + secs(ABSOLUTE)),
        ];
        self.db.execute(&self.admin_sql(SESSIONS, INSERT_SESSION, params)).await?;
        let session = Session { hash: hash(&cookie), csrf, created_at: Some(at) };
        Ok((cookie, session))
    }

    /// The live session of a cookie (within the idle and absolute timeouts),
    /// marked as used now.
    pub async fn admin_session(&self, cookie: &str) -> Result<Option<Session>, DbError> {
        let h = hash(cookie);
        let at = now();
        let params = vec![Value::Text(h.clone()), Value::DateTime(at - secs(IDLE)), Value::DateTime(at)];
        let kinds = [Some(ColumnKind::Text), Some(ColumnKind::Text), Some(ColumnKind::DateTime)];
        let rows = self.db.fetch_all(&self.admin_sql(SESSIONS, LIVE_SESSION, params), &kinds).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let text = |i: usize| row.get(i).and_then(J::as_str).unwrap_or_default().to_string();
        let stored = text(0);
        if !subtle_eq(stored.trim().as_bytes(), h.as_bytes()) {
            return Ok(None);
        }
        let touch = vec![Value::DateTime(at), Value::Text(h.clone())];
        self.db.execute(&self.admin_sql(SESSIONS, TOUCH_SESSION, touch)).await?;
        let created_at = row.get(2).and_then(J::as_str).and_then(|s| parse_datetime(s).ok());
        Ok(Some(Session { hash: h, csrf: text(1).trim().to_string(), created_at }))
    }

    /// Sign out: the session ends for every instance at once.
    pub async fn end_admin_session(&self, session_hash: &str) -> Result<(), DbError> {
        self.db.execute(&self.admin_sql(SESSIONS, END_SESSION, vec![Value::Text(session_hash.to_string())])).await?;
        Ok(())
    }

    /// Housekeeping: delete used and expired links and ended sessions; returns
    /// (links, sessions) deleted.
    pub async fn purge_admin(&self) -> Result<(u64, u64), DbError> {
        let at = now();
        let (links, _) = self.db.execute(&self.admin_sql(LINKS, PURGE_LINKS, vec![Value::DateTime(at)])).await?;
        let params = vec![Value::DateTime(at), Value::DateTime(at - secs(IDLE))];
        let (sessions, _) = self.db.execute(&self.admin_sql(SESSIONS, PURGE_SESSIONS, params)).await?;
        Ok((links, sessions))
    }
}

/// Run [`Store::purge_admin`] once a day, the first time a minute after start.
pub fn spawn_housekeeping(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut daily = tokio::time::interval_at(start, Duration::from_secs(86_400));
        daily.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            daily.tick().await;
            match store.purge_admin().await {
                Ok((links, sessions)) => {
                    tracing::info!(links, sessions, "admin housekeeping: old links and sessions deleted")
                }
                Err(e) => tracing::warn!(error = %e, "admin housekeeping failed; retrying tomorrow"),
            }
        }
    })
}
