//! The resolved catalog model: tables with resource names, typed columns,
//! relations and the security marks (sensitive tables, secret columns) that the
//! planner enforces.

use std::collections::HashMap;

use super::Dialect;

/// How a column's values are typed in requests and responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Int,
    Bool,
    /// Exact decimal; `scale` digits after the point when declared.
    Decimal {
        scale: Option<u32>,
    },
    Float,
    Text,
    Date,
    DateTime,
    Time,
    Json,
    Binary,
}

impl ColumnKind {
    /// The kind of a declared SQL type (any dialect, lower-case).
    pub fn from_sql_type(sql_type: &str) -> ColumnKind {
        let t = sql_type.trim().to_ascii_lowercase();
        let base = t.split(['(', ' ']).next().unwrap_or("");
        match base {
            "decimal" | "numeric" | "money" => ColumnKind::Decimal { scale: scale_of(&t) },
            "float" | "double" | "real" | "float4" | "float8" => ColumnKind::Float,
            "bool" | "boolean" => ColumnKind::Bool,
            "date" => ColumnKind::Date,
            "datetime" | "timestamp" | "timestamptz" => ColumnKind::DateTime,
            "time" | "timetz" => ColumnKind::Time,
            "json" | "jsonb" => ColumnKind::Json,
            "blob" | "tinyblob" | "mediumblob" | "longblob" | "binary" | "varbinary" | "bytea" => ColumnKind::Binary,
            _ if base.contains("int") || base == "serial" || base == "bigserial" => ColumnKind::Int,
            _ if base == "double" => ColumnKind::Float,
            _ => ColumnKind::Text,
        }
    }

    /// Whether text operators (`like`, `starts_with`, `contains`) apply.
    pub fn is_text(self) -> bool {
        matches!(self, ColumnKind::Text)
    }
}

fn scale_of(t: &str) -> Option<u32> {
    let args = t.split_once('(')?.1.split_once(')')?.0;
    args.split(',').nth(1)?.trim().parse().ok()
}

/// The declared maximum length of a `varchar(n)`/`char(n)` column.
pub fn max_len_of(sql_type: &str) -> Option<usize> {
    let t = sql_type.to_ascii_lowercase();
    if !(t.contains("char")) {
        return None;
    }
    t.split_once('(')?.1.split_once(')')?.0.trim().parse().ok()
}

/// A column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub sql_type: String,
    pub kind: ColumnKind,
    pub nullable: bool,
    pub default: Option<String>,
    pub auto_increment: bool,
    pub generated: bool,
    /// Never returned, filtered, sorted or written (passwords, reset keys, hashes…).
    pub secret: bool,
    /// Declared maximum length in characters, for text columns.
    pub max_len: Option<usize>,
    /// Personal data, replaced by fakes for sandbox tokens.
    pub pii: Option<crate::catalog::Pii>,
}

/// Whether a relation points at one row or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    /// This table's `local_col` holds the target's key.
    BelongsTo,
    /// The target's `target_col` holds this table's `local_col`.
    HasMany,
}

/// A named relation from a table to another.
#[derive(Debug, Clone)]
pub struct Relation {
    pub name: String,
    pub kind: RelKind,
    /// Where the relation comes from.
    pub origin: RelOrigin,
    /// Column index in this table.
    pub local_col: usize,
    /// Table index of the target.
    pub target: usize,
    /// Column index in the target table.
    pub target_col: usize,
    /// Polymorphic discriminator: the target's column must equal this text.
    pub condition: Option<(usize, String)>,
}

/// Where a relation comes from: a foreign key the database declares, the
/// built-in Perfex preset, or the configuration (`[[catalog.relations]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOrigin {
    Declared,
    Preset,
    Configured,
}

impl RelOrigin {
    pub const fn as_str(self) -> &'static str {
        match self {
            RelOrigin::Declared => "declared",
            RelOrigin::Preset => "preset",
            RelOrigin::Configured => "configured",
        }
    }
}

/// A table with everything the planner needs.
#[derive(Debug, Clone)]
pub struct Table {
    /// The real table name.
    pub name: String,
    /// The public resource name (prefix stripped unless reserved or colliding).
    pub resource: String,
    pub columns: Vec<Column>,
    /// Primary-key column indexes; empty when none.
    pub primary_key: Vec<usize>,
    pub relations: Vec<Relation>,
    /// Refused by the planner unless a token was explicitly granted it.
    pub sensitive: bool,
    /// The column `since=` filters on.
    pub timestamp_col: Option<usize>,
}

impl Table {
    /// The index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The single primary-key column, when the table is addressable by id.
    pub fn single_pk(&self) -> Option<usize> {
        match self.primary_key.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// A relation by name.
    pub fn relation(&self, name: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.name == name)
    }
}

/// The whole resolved catalog. Cheap to share behind an `Arc`; reloads build a new one.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub dialect: Dialect,
    pub prefix: String,
    pub tables: Vec<Table>,
    /// Whether the Perfex relation preset was applied.
    pub perfex: bool,
    pub(crate) by_resource: HashMap<String, usize>,
}

impl Catalog {
    /// The table index of a resource name.
    pub fn resource(&self, name: &str) -> Option<usize> {
        self.by_resource.get(name).copied()
    }

    /// A table by index.
    pub fn table(&self, idx: usize) -> &Table {
        &self.tables[idx]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_types() {
        assert_eq!(ColumnKind::from_sql_type("int(11)"), ColumnKind::Int);
        assert_eq!(ColumnKind::from_sql_type("INTEGER"), ColumnKind::Int);
        assert_eq!(ColumnKind::from_sql_type("tinyint(1)"), ColumnKind::Int);
        assert_eq!(ColumnKind::from_sql_type("int unsigned"), ColumnKind::Int);
        assert_eq!(ColumnKind::from_sql_type("decimal(15,2)"), ColumnKind::Decimal { scale: Some(2) });
        assert_eq!(ColumnKind::from_sql_type("numeric(15,2)"), ColumnKind::Decimal { scale: Some(2) });
        assert_eq!(ColumnKind::from_sql_type("timestamp without time zone"), ColumnKind::DateTime);
        assert_eq!(ColumnKind::from_sql_type("character varying(191)"), ColumnKind::Text);
        assert_eq!(ColumnKind::from_sql_type("double precision"), ColumnKind::Float);
        assert_eq!(ColumnKind::from_sql_type("boolean"), ColumnKind::Bool);
        assert_eq!(ColumnKind::from_sql_type("bytea"), ColumnKind::Binary);
        assert_eq!(max_len_of("varchar(191)"), Some(191));
        assert_eq!(max_len_of("character varying(50)"), Some(50));
        assert_eq!(max_len_of("int(11)"), None);
    }
}
