//! PostgreSQL introspection: reads every table of the current schema
//! (`current_schema()`, normally `public`) into [`RawTable`]s. The whole schema is
//! read from `pg_catalog` in four bulk queries (tables, columns, primary keys,
//! foreign keys) on one connection, like the SQLite and MySQL modules;
//! `pg_catalog` rather than `information_schema` because only it has identity and
//! generated flags and the types with modifiers, and it is much faster.
//!
//! What is normalised: types come from `format_type` (`integer`,
//! `character varying(191)`, `numeric(15,2)`, `timestamp without time zone`),
//! which is already lower-case except for quoted mixed-case type names, kept as is;
//! identity columns and `nextval(...)` defaults (`serial`) are auto-increment;
//! generated columns have no default (PostgreSQL stores their expression as one).
//! Partitioned tables appear once: their partitions are skipped, and so are the
//! per-partition copies of a foreign key that references a partitioned table.
//! Needs PostgreSQL 12 or later (`attgenerated`).

use std::collections::BTreeMap;

use sqlx::{PgConnection, PgPool};

use super::raw::{RawColumn, RawForeignKey, RawTable};

/// Ordinary and partitioned tables of the current schema, without partitions.
const TABLES: &str = "
SELECT c.relname::text
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition";

/// Columns of all tables of the current schema in ordinal order.
const COLUMNS: &str = "
SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text,
       a.attgenerated::text
FROM pg_catalog.pg_attribute AS a
JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum";

/// Primary-key columns in key order.
const PRIMARY_KEYS: &str = "
SELECT c.relname::text, a.attname::text
FROM pg_catalog.pg_constraint AS con
JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND con.contype = 'p'
ORDER BY c.relname, k.ord";

/// Single-column foreign keys between tables of the current schema. `conparentid = 0`
/// drops the copies PostgreSQL adds for each partition of a referenced partitioned
/// table.
const FOREIGN_KEYS: &str = "
SELECT c.relname::text, a.attname::text, f.relname::text, fa.attname::text
FROM pg_catalog.pg_constraint AS con
JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class AS f ON f.oid = con.confrelid
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
JOIN pg_catalog.pg_attribute AS fa ON fa.attrelid = con.confrelid AND fa.attnum = con.confkey[1]
WHERE n.nspname = current_schema() AND f.relnamespace = n.oid AND con.contype = 'f'
  AND con.conparentid = 0 AND cardinality(con.conkey) = 1
ORDER BY c.relname, a.attnum, f.relname, fa.attname";

/// Reads every table of the current schema (`current_schema()`), sorted by name,
/// with columns in ordinal order.
pub async fn introspect(pool: &PgPool) -> Result<Vec<RawTable>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tables = load_tables(&mut conn).await?;
    load_columns(&mut conn, &mut tables).await?;
    load_primary_keys(&mut conn, &mut tables).await?;
    load_foreign_keys(&mut conn, &mut tables).await?;
    Ok(tables.into_values().collect())
}

async fn load_tables(conn: &mut PgConnection) -> Result<BTreeMap<String, RawTable>, sqlx::Error> {
    let names: Vec<(String,)> = sqlx::query_as(TABLES).fetch_all(conn).await?;
    Ok(names
        .into_iter()
        .map(|(name,)| {
            let table =
                RawTable { name: name.clone(), columns: Vec::new(), primary_key: Vec::new(), foreign_keys: Vec::new() };
            (name, table)
        })
        .collect())
}

async fn load_columns(conn: &mut PgConnection, tables: &mut BTreeMap<String, RawTable>) -> Result<(), sqlx::Error> {
    type Row = (String, String, String, bool, Option<String>, String, String);
    let rows: Vec<Row> = sqlx::query_as(COLUMNS).fetch_all(conn).await?;
    for (table, name, sql_type, not_null, default, identity, generated) in rows {
        let Some(table) = tables.get_mut(&table) else {
            continue;
        };
        let generated = !generated.is_empty();
        let default = default.filter(|_| !generated);
        let auto_increment =
            matches!(identity.as_str(), "a" | "d") || default.as_deref().is_some_and(|d| d.starts_with("nextval("));
        table.columns.push(RawColumn { name, sql_type, nullable: !not_null, default, auto_increment, generated });
    }
    Ok(())
}

async fn load_primary_keys(
    conn: &mut PgConnection,
    tables: &mut BTreeMap<String, RawTable>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(PRIMARY_KEYS).fetch_all(conn).await?;
    for (table, column) in rows {
        if let Some(table) = tables.get_mut(&table) {
            table.primary_key.push(column);
        }
    }
    Ok(())
}

async fn load_foreign_keys(
    conn: &mut PgConnection,
    tables: &mut BTreeMap<String, RawTable>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(FOREIGN_KEYS).fetch_all(conn).await?;
    for (table, column, ref_table, ref_column) in rows {
        if !tables.contains_key(&ref_table) {
            continue;
        }
        if let Some(table) = tables.get_mut(&table) {
            table.foreign_keys.push(RawForeignKey { column, ref_table, ref_column });
        }
    }
    Ok(())
}
