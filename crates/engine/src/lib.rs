//! Data Builder engine: everything between a parsed request and rows of JSON,
//! with no HTTP in it.
//!
//! # Layout
//! The modules form a DAG (`tests/layering.rs` fails on a cycle); each names
//! only the modules before it in this list:
//! - [`error`], [`principal`]: the one error kind; who is asking and what they may do.
//! - [`catalog`]: the resolved schema (resource names, relations, secret,
//!   sensitive and PII marks) and the per-dialect introspection queries.
//! - [`value`]: typed values and their parsing.
//! - [`request`]: the front-end-neutral request model and the REST query grammar.
//! - [`sandbox`]: keyed fakes for PII values, and the word lists they draw on.
//! - [`plan`]: resolves a request against the catalog for a principal; every
//!   permission rule is compiled into the plan here (lists, writes, aggregates).
//! - [`sql`]: the only place SQL text is made; identifiers from the catalog,
//!   values bound.
//! - [`exec`]: connections (one pool per dialect), reading the live schema,
//!   running plans, decoding and streaming rows.
//! - [`views`]: saved views and reports, always re-planned for the caller.
//! - [`demo`]: the Perfex-shaped demo schema, its deterministic data, and loading it.
pub mod catalog;
pub mod demo;
pub mod error;
pub mod exec;
pub mod plan;
pub mod principal;
pub mod request;
pub mod sandbox;

pub mod sql;
pub mod value;
pub mod views;
