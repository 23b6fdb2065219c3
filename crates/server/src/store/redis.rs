//! The optional Redis backend of the hot counters (`[state] redis_url`, SPEC §8):
//! rate windows and nonces, for rates the SQL state database would struggle with.
//! Every operation touches one key, so it also works on Redis Cluster:
//! - a rate window is one Lua script (`INCR`, and `EXPIRE` on the first hit),
//!   and the decision is made on the count it returns;
//! - a nonce is `SET key 1 NX EX window`: only the first use gets `OK`.
//!
//! The connection manager reconnects by itself when Redis comes back. Its 1.0
//! defaults changed, so both timeouts are set here, and every operation has a
//! hard deadline on top: Redis down or slow is an error, which the callers turn
//! into a 503 (fail-closed). A command that timed out may still have run — the
//! request is refused anyway, so the only cost is one count too many.

use std::time::Duration;

use databuilder_engine::exec::DbError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};

/// Time to open a TCP connection to Redis.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Time Redis has to answer one command (generous: a loaded host must not turn
/// into refusals; a Redis that is down fails at connect, well before this).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole operation, reconnection attempts included.
const OP_DEADLINE: Duration = Duration::from_secs(3);
/// Rate windows live two minutes: the current one and a margin for clock skew.
const WINDOW_TTL_SECS: i64 = 120;

/// `INCR` the window and give it its TTL on the first hit, atomically.
const COUNT_SCRIPT: &str = "local n = redis.call('INCR', KEYS[1])\n\
     if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end\n\
     return n";

/// A handle on Redis (cheap to clone).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    script: redis::Script,
    /// Key prefix (`[state] redis_prefix`), so one Redis can serve several installs.
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish()
    }
}

fn unavailable(e: impl std::fmt::Display) -> DbError {
    DbError::Unavailable(format!("redis: {e}"))
}

impl RedisStore {
    /// A lazily connecting handle: the server starts even while Redis is down
    /// (and answers 503 until it is back). Only a malformed URL is an error.
    pub fn open(url: &str, key_prefix: &str) -> Result<RedisStore, String> {
        let client = redis::Client::open(url).map_err(|e| format!("[state] redis_url: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(|e| format!("redis: {e}"))?;
        Ok(RedisStore { conn, script: redis::Script::new(COUNT_SCRIPT), prefix: key_prefix.to_string() })
    }

    async fn run<T>(&self, op: impl Future<Output = redis::RedisResult<T>>) -> Result<T, DbError> {
        match tokio::time::timeout(OP_DEADLINE, op).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(unavailable(e)),
            Err(_) => Err(unavailable("no answer in time")),
        }
    }

    /// Count one request in `bucket`'s window starting at `win`; the count including it.
    pub async fn count(&self, bucket: &str, win: i64) -> Result<i64, DbError> {
        let key = format!("{}rate:{bucket}:{win}", self.prefix);
        let mut conn = self.conn.clone();
        self.run(async move { self.script.key(key).arg(WINDOW_TTL_SECS).invoke_async::<i64>(&mut conn).await }).await
    }

    /// Record a nonce for `window_secs`; `false` when this token already used it.
    pub async fn use_nonce(&self, token_id: i64, nonce: &str, window_secs: i64) -> Result<bool, DbError> {
        let key = format!("{}nonce:{token_id}:{}", self.prefix, hex::encode(Sha256::digest(nonce.as_bytes())));
        let mut conn = self.conn.clone();
        let set = async move {
            redis::cmd("SET")
                .arg(key)
                .arg(1)
                .arg("NX")
                .arg("EX")
                .arg(window_secs.max(1))
                .query_async::<Option<String>>(&mut conn)
                .await
        };
        Ok(self.run(set).await?.is_some())
    }

    /// `PING`, for the readiness check.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn.clone();
        let pong: String = self.run(async move { redis::cmd("PING").query_async(&mut conn).await }).await?;
        if pong == "PONG" { Ok(()) } else { Err(unavailable(format!("unexpected PING answer {pong:?}"))) }
    }
}
