//! The catalog: every table, column, key and relation of the target database,
//! resolved once at start (and on reload) into resource names, typed columns,
//! named relations and security marks.
//!
//! `raw.rs` is what a database says about itself; `sqlite.rs`, `mysql.rs` and
//! `postgres.rs` read it (same shape each); `build.rs` resolves it into the
//! [`Catalog`] of `model.rs`; `policy.rs` marks secrets and sensitive tables;
//! `perfex.rs` holds the relation preset for Perfex CRM.

mod build;
mod dialect;
mod model;
pub mod mysql;
pub mod perfex;
pub mod policy;
pub mod postgres;
pub mod raw;
pub mod sqlite;

pub use build::{CatalogConfig, RESERVED, singular};
pub use dialect::Dialect;
pub use model::{Catalog, Column, ColumnKind, RelKind, Relation, Table, max_len_of};

use crate::exec::Db;

/// Read the live database and resolve it into a catalog.
pub async fn load(db: &Db, cfg: &CatalogConfig) -> Result<Catalog, sqlx::Error> {
    let raw = match db {
        Db::Sqlite(p) => sqlite::introspect(p).await?,
        Db::MySql(p) => mysql::introspect(p).await?,
        Db::Postgres(p) => postgres::introspect(p).await?,
    };
    Ok(Catalog::build(db.dialect(), raw, cfg))
}
