//! The Data Builder server: the `databuilder` binary's library, so integration
//! tests run the real application on port 0.
//!
//! # Layout
//! - [`config`]: one typed configuration, loaded in layers, parsed at load time.
//! - [`startup`]: connect, introspect, bind, the accept loop (slowloris-safe) and
//!   the graceful stop.
//! - [`routes`]: every route, grouped by the capability it needs; the router.
//! - [`security`]: the request path, written once in order; each stage takes only
//!   its own state.
//! - [`problem`]: the one error table (HTTP status, problem type, GraphQL code);
//!   [`body`]: reading request bodies. Leaves: `security` and `api` both use them.
//! - [`api`]: REST, GraphQL, views and reports, aggregates, OpenAPI and Postman,
//!   snippets, health; encoders.
//! - [`pages`]: the API Explorer and the admin console, assets compiled in.
//! - [`app_state`]: what handlers share (pools, catalog snapshot, stage states).
//! - [`store`]: Data Builder's own tables (tokens, rate windows, nonces, audit log,
//!   definitions, admin links and sessions, the change marker).
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
