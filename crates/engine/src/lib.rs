//! Data Builder engine: everything between a parsed request and rows of JSON,
//! with no HTTP in it.
//!
//! # Layout
//! - [`catalog`]: introspection per dialect and the resolved catalog (resource
//!   names, relations, secret and sensitive marks).
//! - [`request`]: the front-end-neutral request model and the REST query grammar.
//! - [`principal`]: who is asking, and what they may do.
//! - [`plan`]: resolves a request against the catalog for a principal; every
//!   permission rule is compiled into the plan here.
//! - [`sql`]: the only place SQL text is made; identifiers from the catalog,
//!   values bound.
//! - [`exec`]: runs plans on one pool per dialect, decodes and streams rows.
//! - [`error`]: the one error kind every engine error maps to.
//! - [`demo`]: the Perfex-shaped demo schema and its deterministic data.
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
