//! One integration binary: every case runs against the real server on port 0,
//! on SQLite, MariaDB and PostgreSQL (see `helpers.rs`).

mod helpers;

mod attack;
mod auth;
mod count;
mod explain;
mod graphql;
mod guard;
mod list;
mod views;
mod writes;
