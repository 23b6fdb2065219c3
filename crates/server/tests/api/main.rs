//! One integration binary: every case runs against the real server on port 0,
//! on SQLite, MariaDB and PostgreSQL (see `helpers.rs`).

mod helpers;

mod admin;
mod aggregates;
mod attack;
mod auth;
mod explorer;
mod graphql;
mod graphql_cost;
mod guard;
mod list;
mod modules;
mod snippets;
mod views;
mod writes;
