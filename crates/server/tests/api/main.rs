//! One integration binary: every case runs against the real server on port 0,
//! on SQLite, MariaDB and PostgreSQL (see `helpers.rs`).

mod helpers;

mod attack;
mod auth;
mod explorer;
mod graphql;
mod guard;
mod list;
mod snippets;
mod views;
mod writes;
