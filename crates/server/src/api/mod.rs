//! HTTP front-ends. `rest.rs` turns REST syntax into the engine's request model;
//! `format.rs` encodes results. Errors map to HTTP in `crate::problem`; routes are
//! assembled in `crate::routes`.

pub mod aggregate;
pub mod allow;
pub mod broken;
pub mod format;
pub mod graphql;
pub mod health;
pub mod meta;
pub mod openapi;
pub mod rest;
pub mod snippets;
pub mod views;
