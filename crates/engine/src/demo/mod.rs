//! The Perfex-shaped demo database (being written).
