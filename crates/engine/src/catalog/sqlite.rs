//! SQLite introspection: reads every user table of the `main` schema into
//! [`RawTable`]s. SQLite has no `information_schema`; its catalog is only exposed
//! through PRAGMAs. Their table-valued forms (`pragma_table_list`,
//! `pragma_table_xinfo`, `pragma_foreign_key_list`) can be joined, so, like the
//! MySQL and PostgreSQL modules, the whole schema is read in four queries (tables,
//! columns, primary keys, foreign keys) on one connection.
//!
//! What is normalised: declared types are lower-cased (empty when none was
//! declared); an `INTEGER PRIMARY KEY` column of a rowid table (the rowid alias) is
//! auto-increment and NOT NULL; generated columns have no default; the hidden
//! columns of virtual tables are skipped; foreign-key targets written in another
//! letter case are resolved to the real names, and `REFERENCES parent` without a
//! column is resolved to the parent's single-column primary key.

use std::collections::BTreeMap;

use sqlx::{SqliteConnection, SqlitePool};

use super::raw::{RawColumn, RawForeignKey, RawTable};

/// User tables: ordinary and virtual tables of `main`, without views, the shadow
/// tables behind virtual tables and SQLite's own `sqlite_*` tables.
const TABLES: &str = r"
SELECT t.name
FROM pragma_table_list AS t
WHERE t.schema = 'main' AND t.type IN ('table', 'virtual')
  AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'";

/// Columns of all user tables in ordinal order. `hidden` is 1 for the hidden
/// columns of virtual tables (skipped), 2 and 3 for virtual and stored generated
/// columns.
const COLUMNS: &str = r#"
SELECT t.name, c.name, c.type, c."notnull", c.dflt_value, c.hidden
FROM pragma_table_list AS t
JOIN pragma_table_xinfo(t.name, t.schema) AS c
WHERE t.schema = 'main' AND t.type IN ('table', 'virtual')
  AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'
  AND c.hidden <> 1
ORDER BY t.name, c.cid"#;

/// Primary-key columns in key order, with their declared type and whether the
/// table is `WITHOUT ROWID` (needed to recognise the rowid alias).
const PRIMARY_KEYS: &str = r"
SELECT t.name, c.name, c.type, t.wr
FROM pragma_table_list AS t
JOIN pragma_table_xinfo(t.name, t.schema) AS c
WHERE t.schema = 'main' AND t.type IN ('table', 'virtual')
  AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'
  AND c.pk > 0
ORDER BY t.name, c.pk";

/// Foreign-key columns; `id` groups the columns of one constraint. `table` and `to`
/// are as written in the REFERENCES clause (`to` is NULL when omitted).
const FOREIGN_KEYS: &str = r#"
SELECT t.name, f.id, f."from", f."table", f."to"
FROM pragma_table_list AS t
JOIN pragma_foreign_key_list(t.name, t.schema) AS f
WHERE t.schema = 'main' AND t.type IN ('table', 'virtual')
  AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY t.name, f.id, f.seq"#;

/// Reads every user table of the `main` schema (no views, no `sqlite_*` tables,
/// no shadow tables), sorted by name, with columns in ordinal order.
pub async fn introspect(pool: &SqlitePool) -> Result<Vec<RawTable>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tables = load_tables(&mut conn).await?;
    load_columns(&mut conn, &mut tables).await?;
    load_primary_keys(&mut conn, &mut tables).await?;
    load_foreign_keys(&mut conn, &mut tables).await?;
    Ok(tables.into_values().collect())
}

async fn load_tables(conn: &mut SqliteConnection) -> Result<BTreeMap<String, RawTable>, sqlx::Error> {
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

async fn load_columns(conn: &mut SqliteConnection, tables: &mut BTreeMap<String, RawTable>) -> Result<(), sqlx::Error> {
    type Row = (String, String, String, i64, Option<String>, i64);
    let rows: Vec<Row> = sqlx::query_as(COLUMNS).fetch_all(conn).await?;
    for (table, name, sql_type, not_null, default, hidden) in rows {
        let Some(table) = tables.get_mut(&table) else {
            continue;
        };
        let generated = hidden == 2 || hidden == 3;
        table.columns.push(RawColumn {
            name,
            sql_type: lower_type(&sql_type),
            nullable: not_null == 0,
            default: if generated { None } else { default },
            auto_increment: false,
            generated,
        });
    }
    Ok(())
}

async fn load_primary_keys(
    conn: &mut SqliteConnection,
    tables: &mut BTreeMap<String, RawTable>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(PRIMARY_KEYS).fetch_all(conn).await?;
    let mut rowid_tables = Vec::new();
    for (table, column, sql_type, without_rowid) in rows {
        let Some(raw) = tables.get_mut(&table) else {
            continue;
        };
        raw.primary_key.push(column);
        if without_rowid == 0 && sql_type.trim().eq_ignore_ascii_case("integer") {
            rowid_tables.push(table);
        }
    }
    // `INTEGER PRIMARY KEY` (exactly that type, single-column key, rowid table) makes
    // the column an alias of the rowid: assigned automatically and never NULL.
    for table in rowid_tables {
        let Some(raw) = tables.get_mut(&table) else {
            continue;
        };
        if let [key] = raw.primary_key.as_slice()
            && let Some(column) = raw.columns.iter_mut().find(|c| &c.name == key)
        {
            column.auto_increment = true;
            column.nullable = false;
        }
    }
    Ok(())
}

async fn load_foreign_keys(
    conn: &mut SqliteConnection,
    tables: &mut BTreeMap<String, RawTable>,
) -> Result<(), sqlx::Error> {
    type Row = (String, i64, String, String, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(FOREIGN_KEYS).fetch_all(conn).await?;
    let mut constraints: BTreeMap<(String, i64), Vec<Row>> = BTreeMap::new();
    for row in rows {
        constraints.entry((row.0.clone(), row.1)).or_default().push(row);
    }
    for ((table, _), columns) in constraints {
        // Composite keys are not exposed.
        let [(_, _, column, ref_table, ref_column)] = columns.as_slice() else {
            continue;
        };
        let Some(foreign_key) = resolve_foreign_key(tables, column, ref_table, ref_column.as_deref()) else {
            continue;
        };
        if let Some(raw) = tables.get_mut(&table) {
            raw.foreign_keys.push(foreign_key);
        }
    }
    for table in tables.values_mut() {
        sort_foreign_keys(table);
    }
    Ok(())
}

/// SQLite keeps the REFERENCES clause as written: the target table and column may
/// differ in letter case from their declarations, and the column may be omitted
/// (meaning the parent's primary key). Resolves both to real names; `None` when the
/// target does not exist (SQLite only checks that on write).
fn resolve_foreign_key(
    tables: &BTreeMap<String, RawTable>,
    column: &str,
    ref_table: &str,
    ref_column: Option<&str>,
) -> Option<RawForeignKey> {
    let parent = tables.get(ref_table).or_else(|| tables.values().find(|t| t.name.eq_ignore_ascii_case(ref_table)))?;
    let ref_column = match ref_column {
        Some(written) => parent
            .columns
            .iter()
            .find(|c| c.name == written)
            .or_else(|| parent.columns.iter().find(|c| c.name.eq_ignore_ascii_case(written)))?
            .name
            .clone(),
        None => match parent.primary_key.as_slice() {
            [key] => key.clone(),
            _ => return None,
        },
    };
    Some(RawForeignKey { column: column.to_owned(), ref_table: parent.name.clone(), ref_column })
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
