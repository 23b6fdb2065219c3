//! Data Builder engine.
pub mod catalog;
pub mod demo;
pub mod value;
