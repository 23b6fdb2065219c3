//! One integration binary: every case runs against the real server on port 0,
//! on SQLite, MariaDB and PostgreSQL (see `helpers.rs`).

mod helpers;

mod admin;
mod aggregates;
mod attack;
mod auth;
mod count;
mod explain;
mod explorer;
mod graphql;
mod graphql_cost;
mod guard;
mod list;
mod modules;
mod openapi;
mod ops;
#[path = "../support/redis.rs"]
mod redis_server;
mod snippets;
mod views;
mod writes;
