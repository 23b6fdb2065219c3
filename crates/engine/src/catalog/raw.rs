//! What introspection reads from a live database, before any naming or policy is
//! applied. Each dialect module (`sqlite.rs`, `mysql.rs`, `postgres.rs`) fills these
//! plain structs; `Catalog::build` turns them into the resolved catalog.

/// One table as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTable {
    /// The real table name (`tblinvoices`).
    pub name: String,
    /// Columns in ordinal order.
    pub columns: Vec<RawColumn>,
    /// Primary-key column names in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    /// Declared foreign keys (single-column only; composite keys are skipped).
    pub foreign_keys: Vec<RawForeignKey>,
}

/// One column as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawColumn {
    pub name: String,
    /// The declared SQL type, lower-cased, with its arguments: `int`, `decimal(15,2)`,
    /// `varchar(191)`, `tinyint(1)`, `datetime`, `timestamp without time zone`, `numeric(15,2)`.
    pub sql_type: String,
    pub nullable: bool,
    /// The default expression as the database prints it, if any.
    pub default: Option<String>,
    /// AUTO_INCREMENT, SERIAL/IDENTITY, or SQLite's INTEGER PRIMARY KEY rowid alias.
    pub auto_increment: bool,
    /// A generated (computed) column: never writable.
    pub generated: bool,
}

/// A declared single-column foreign key `column → ref_table.ref_column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawForeignKey {
    pub column: String,
    pub ref_table: String,
    pub ref_column: String,
}
