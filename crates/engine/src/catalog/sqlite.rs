//! Introspection for sqlite (being written).
