//! The hot counters of the security pipeline — rate windows (stage 4) and
//! nonces of signed requests (stage 3) — behind one small type, so the stages do
//! not know where they live: the SQL state database (the default, shared by
//! every instance through atomic UPSERTs and primary keys) or Redis
//! (`[state] redis_url`, single-key atomic operations). Either way an error
//! means "unavailable", and the stages fail closed with a 503.

use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;

use super::Store;
use super::rate::RateCounter;
use super::redis::RedisStore;

/// Where rate windows and nonces are kept.
#[derive(Debug, Clone)]
pub enum RateStore {
    /// The state database: the group-committing counter and the nonces table.
    Sql {
        counter: RateCounter,
        store: Store,
    },
    Redis(RedisStore),
}

impl RateStore {
    /// The SQL store (starts the counter's writer task; needs a Tokio runtime).
    pub fn sql(store: Store) -> RateStore {
        RateStore::Sql { counter: RateCounter::start(store.clone()), store }
    }

    /// `"sql"` or `"redis"` (readiness answers and metrics labels).
    pub fn kind(&self) -> &'static str {
        match self {
            RateStore::Sql { .. } => "sql",
            RateStore::Redis(_) => "redis",
        }
    }

    /// Count one request in `bucket`'s window starting at `win` (unix seconds);
    /// the count including this request.
    pub async fn count(&self, bucket: &str, win: i64) -> Result<i64, DbError> {
        let n = match self {
            RateStore::Sql { counter, .. } => counter.count(bucket, win).await,
            RateStore::Redis(r) => r.count(bucket, win).await,
        };
        self.note_error(&n, "count");
        n
    }

    /// Record a signed request's nonce; `false` when the token already used it
    /// inside the signature window (a replay).
    pub async fn use_nonce(&self, token_id: i64, nonce: &str, window_secs: i64) -> Result<bool, DbError> {
        let fresh = match self {
            RateStore::Sql { store, .. } => store.use_nonce(token_id, nonce).await,
            RateStore::Redis(r) => r.use_nonce(token_id, nonce, window_secs).await,
        };
        self.note_error(&fresh, "nonce");
        fresh
    }

    /// Whether the store answers (the readiness check).
    pub async fn ping(&self) -> Result<(), DbError> {
        match self {
            RateStore::Sql { store, .. } => store.ping().await,
            RateStore::Redis(r) => r.ping().await,
        }
    }

    fn note_error<T>(&self, r: &Result<T, DbError>, op: &'static str) {
        if r.is_err() {
            metrics::counter!("databuilder_rate_store_errors_total", "store" => self.kind(), "op" => op).increment(1);
        }
    }
}

impl Store {
    /// One trivial statement: does the state database answer?
    pub async fn ping(&self) -> Result<(), DbError> {
        ping(&self.db).await
    }
}

/// `SELECT 1` on `db`.
pub async fn ping(db: &databuilder_engine::exec::Db) -> Result<(), DbError> {
    db.fetch_i64(&Sql::fixed(db.dialect(), "SELECT 1", vec![])).await.map(|_| ())
}
