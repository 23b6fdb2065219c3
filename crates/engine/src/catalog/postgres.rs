//! Introspection for postgres (being written).
