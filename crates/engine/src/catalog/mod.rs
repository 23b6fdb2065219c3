//! The catalog: every table, column, key and relation of the target database,
//! resolved once at start (and on reload) into resource names, typed columns,
//! named relations and security marks.
//!
//! `raw.rs` is what a database says about itself; `sqlite.rs`, `mysql.rs` and
//! `postgres.rs` read it (same shape each); `build.rs` resolves it into the
//! [`Catalog`] of `model.rs`; `policy.rs` marks secrets and sensitive tables;
//! `perfex.rs` holds the relation preset for Perfex CRM; `pii.rs` the PII kinds.
//! Reading a live database is the executor's (`exec::load_catalog`): the catalog
//! itself knows nothing of connections.

mod build;
mod dialect;
mod model;
pub mod mysql;
pub mod perfex;
pub mod pii;
pub mod policy;
pub mod postgres;
pub mod raw;
pub mod sqlite;

pub use build::{CatalogConfig, RESERVED, singular};
pub use dialect::Dialect;
pub use model::{Catalog, Column, ColumnKind, RelKind, RelOrigin, Relation, Table, max_len_of};
pub use pii::{Pii, pii_kind};
