//! The Data Builder server: the `databuilder` binary's library, so integration
//! tests run the real application on port 0.
//!
//! # Layout
//! - [`config`]: one typed configuration, loaded in layers.
//! - [`startup`]: connect, introspect, bind, and the accept loop (slowloris-safe).
//! - [`app_state`]: what handlers share (pools, catalog snapshot, state store).
//! - [`security`]: the request path, written once in order.
//! - [`api`]: REST handlers, encoders, and the one error → HTTP mapping.
//! - [`store`]: Data Builder's own tables (tokens, rate windows, nonces, audit log, definitions).
//! - [`cli`]: the command line.
//! - [`clock`], [`cache`]: injected time and the token cache.
//! - [`metrics`]: the optional Prometheus listener (`[server] metrics_listen`).
pub mod api;
pub mod app_state;
pub mod body;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod metrics;
pub mod pages;
pub mod problem;
pub mod routes;
pub mod security;
pub mod startup;
pub mod store;
