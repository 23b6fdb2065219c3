//! The catalog: every table, column, key and relation of the target database.
mod dialect;
pub mod raw;
pub mod sqlite;
pub mod mysql;
pub mod postgres;

pub use dialect::Dialect;
