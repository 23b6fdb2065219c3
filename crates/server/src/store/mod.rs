//! The state store: Data Builder's own tables (tokens, idempotency keys, …) in
//! the target database or a separate `state_url` database. Their names carry the
//! configured prefix and the `data_builder_` mark; the catalog never exposes them.

pub mod admin;
pub mod audit;
pub mod crypto;
pub mod definitions;

pub mod idempotency;
pub mod keys;
pub mod nonces;
pub mod rate;
mod schema;
pub mod tokens;

use chrono::{NaiveDateTime, Utc};
use databuilder_engine::exec::{Db, DbError};

/// Handles on the state tables.
#[derive(Debug, Clone)]
pub struct Store {
    pub db: Db,
    pub prefix: String,
}

impl Store {
    /// Connect and create the state tables if missing.
    pub async fn open(db: Db, prefix: &str) -> Result<Store, DbError> {
        let store = Store { db, prefix: prefix.to_string() };
        schema::create(&store).await?;
        Ok(store)
    }

    /// The full name of a state table: `<prefix>data_builder_<name>`.
    pub fn table(&self, name: &str) -> String {
        format!("{}data_builder_{name}", self.prefix)
    }
}

/// Now, in UTC, to the second (what the state tables store).
pub fn now() -> NaiveDateTime {
    let n = Utc::now().naive_utc();
    n - chrono::Duration::nanoseconds(n.and_utc().timestamp_subsec_nanos() as i64)
}
