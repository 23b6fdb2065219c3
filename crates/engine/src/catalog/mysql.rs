//! Introspection for mysql (being written).
