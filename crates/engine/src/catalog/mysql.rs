//! MySQL / MariaDB introspection: reads every base table of the current database
//! (`DATABASE()`) into [`RawTable`]s. `information_schema` is slow to query table by
//! table, so the whole schema is read in four bulk queries (tables, columns,
//! primary keys, foreign keys) on one connection, like the SQLite and PostgreSQL
//! modules.
//!
//! What is normalised: `COLUMN_TYPE` is lower-cased; MariaDB's `COLUMN_DEFAULT` of
//! `NULL` (the four-character string it prints for "no default") becomes `None`, and
//! generated columns have no default. Other defaults are kept as the server prints
//! them (MariaDB quotes string literals, MySQL does not). Text columns are decoded
//! from bytes, since `information_schema` column types (VARCHAR, LONGTEXT, binary
//! strings) differ between MySQL and MariaDB versions.

use std::collections::BTreeMap;

use sqlx::{MySqlConnection, MySqlPool};

use super::raw::{RawColumn, RawForeignKey, RawTable};

/// Base tables of the current database (MariaDB's system-versioned tables are base
/// tables too); no views, sequences or system tables.
const TABLES: &str = "
SELECT TABLE_NAME
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')";

/// Columns of all tables (and views, ignored) in ordinal order.
const COLUMNS: &str = "
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, ORDINAL_POSITION";

/// Primary-key columns in key order.
const PRIMARY_KEYS: &str = "
SELECT TABLE_NAME, COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY'
ORDER BY TABLE_NAME, ORDINAL_POSITION";

/// Foreign-key columns pointing into the current database, grouped by constraint.
const FOREIGN_KEYS: &str = "
SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_SCHEMA = DATABASE()
  AND REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION";

/// Reads every base table of the current database (`DATABASE()`), sorted by name,
/// with columns in ordinal order.
pub async fn introspect(pool: &MySqlPool) -> Result<Vec<RawTable>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tables = load_tables(&mut conn).await?;
    load_columns(&mut conn, &mut tables).await?;
    load_primary_keys(&mut conn, &mut tables).await?;
    load_foreign_keys(&mut conn, &mut tables).await?;
    Ok(tables.into_values().collect())
}

/// A text value of `information_schema`, decoded whatever string type the server
/// reports it as.
type Text = Vec<u8>;

fn text(bytes: Text) -> String {
    String::from_utf8(bytes).unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

async fn load_tables(conn: &mut MySqlConnection) -> Result<BTreeMap<String, RawTable>, sqlx::Error> {
    let names: Vec<(Text,)> = sqlx::query_as(TABLES).fetch_all(conn).await?;
    Ok(names
        .into_iter()
        .map(|(name,)| {
            let name = text(name);
            let table =
                RawTable { name: name.clone(), columns: Vec::new(), primary_key: Vec::new(), foreign_keys: Vec::new() };
            (name, table)
        })
        .collect())
}

async fn load_columns(conn: &mut MySqlConnection, tables: &mut BTreeMap<String, RawTable>) -> Result<(), sqlx::Error> {
    type Row = (Text, Text, Text, Text, Option<Text>, Text);
    let rows: Vec<Row> = sqlx::query_as(COLUMNS).fetch_all(conn).await?;
    for (table, name, sql_type, nullable, default, extra) in rows {
        let Some(table) = tables.get_mut(&text(table)) else {
            continue;
        };
        let extra = text(extra).to_ascii_lowercase();
        let generated = extra.contains("virtual generated") || extra.contains("stored generated");
        let default = default.map(text).filter(|d| d != "NULL" && !generated);
        table.columns.push(RawColumn {
            name: text(name),
            sql_type: lower_type(&text(sql_type)),
            nullable: text(nullable).eq_ignore_ascii_case("YES"),
            default,
            auto_increment: extra.contains("auto_increment"),
            generated,
        });
    }
    Ok(())
}

async fn load_primary_keys(
    conn: &mut MySqlConnection,
    tables: &mut BTreeMap<String, RawTable>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(Text, Text)> = sqlx::query_as(PRIMARY_KEYS).fetch_all(conn).await?;
    for (table, column) in rows {
        if let Some(table) = tables.get_mut(&text(table)) {
            table.primary_key.push(text(column));
        }
    }
    Ok(())
}

async fn load_foreign_keys(
    conn: &mut MySqlConnection,
    tables: &mut BTreeMap<String, RawTable>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(Text, Text, Text, Text, Text)> = sqlx::query_as(FOREIGN_KEYS).fetch_all(conn).await?;
    let mut constraints: BTreeMap<(String, String), Vec<RawForeignKey>> = BTreeMap::new();
    for (table, constraint, column, ref_table, ref_column) in rows {
        constraints.entry((text(table), text(constraint))).or_default().push(RawForeignKey {
            column: text(column),
            ref_table: text(ref_table),
            ref_column: text(ref_column),
        });
    }
    for ((table, _), columns) in constraints {
        // Composite keys are not exposed.
        let Ok([foreign_key]) = <[RawForeignKey; 1]>::try_from(columns) else {
            continue;
        };
        if tables.contains_key(&foreign_key.ref_table)
            && let Some(raw) = tables.get_mut(&table)
        {
            raw.foreign_keys.push(foreign_key);
        }
    }
    for table in tables.values_mut() {
        sort_foreign_keys(table);
    }
    Ok(())
}

/// Lower-cases a declared type, except inside quoted literals, whose case is data
/// (`ENUM('Active')` → `enum('Active')`).
fn lower_type(declared: &str) -> String {
    let mut quote = None;
    declared
        .trim()
        .chars()
        .map(|c| match quote {
            Some(open) => {
                if c == open {
                    quote = None;
                }
                c
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Orders foreign keys by the position of their column in the table.
fn sort_foreign_keys(table: &mut RawTable) {
    let columns = &table.columns;
    table.foreign_keys.sort_by_cached_key(|fk| {
        let position = columns.iter().position(|c| c.name == fk.column);
        (position, fk.ref_table.clone(), fk.ref_column.clone())
    });
}
