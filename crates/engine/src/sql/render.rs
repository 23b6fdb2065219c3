//! The one place statement text is made from plans. Identifiers come from the
//! catalog (by index), values are bound. ORDER BY puts NULLs first ascending and
//! last descending on every dialect, so pages and cursors agree across databases.

use super::{Builder, Sql};
use crate::catalog::{Catalog, Dialect, Table};
use crate::plan::{Cond, Select};
use crate::value::Value;

/// `SELECT cols FROM t WHERE … ORDER BY … LIMIT ? OFFSET ?`.
pub fn render_select(catalog: &Catalog, s: &Select) -> Sql {
    let t = catalog.table(s.table);
    let mut b = Builder::new(catalog.dialect);
    b.push("SELECT ");
    for (i, &c) in s.columns.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.ident(&t.columns[c].name);
    }
    b.push(" FROM ").ident(&t.name);
    where_clause(&mut b, t, &s.filter);
    for (i, k) in s.order.iter().enumerate() {
        b.push(if i == 0 { " ORDER BY " } else { ", " });
        b.ident(&t.columns[k.col].name);
        b.push(match (b.dialect, k.desc) {
            (Dialect::Postgres, false) => " ASC NULLS FIRST",
            (Dialect::Postgres, true) => " DESC NULLS LAST",
            (_, false) => " ASC",
            (_, true) => " DESC",
        });
    }
    if let Some(limit) = s.limit {
        b.push(" LIMIT ").param(Value::Int(limit as i64));
        if s.offset > 0 {
            b.push(" OFFSET ").param(Value::Int(s.offset as i64));
        }
    }
    b.finish()
}

/// `SELECT COUNT(*) FROM t WHERE …`.
pub fn render_count(catalog: &Catalog, table: usize, filter: &[Cond]) -> Sql {
    let t = catalog.table(table);
    let mut b = Builder::new(catalog.dialect);
    b.push("SELECT COUNT(*) FROM ").ident(&t.name);
    where_clause(&mut b, t, filter);
    b.finish()
}

/// `INSERT INTO t (cols) VALUES (…)`, with `RETURNING pk` where the dialect has it.
pub fn render_insert(catalog: &Catalog, table: usize, values: &[(usize, Value)]) -> Sql {
    let t = catalog.table(table);
    let mut b = Builder::new(catalog.dialect);
    b.push("INSERT INTO ").ident(&t.name);
    if values.is_empty() && b.dialect == Dialect::MySql {
        b.push(" () VALUES ()");
    } else if values.is_empty() {
        b.push(" DEFAULT VALUES");
    } else {
        b.push(" (");
        for (i, (c, _)) in values.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.ident(&t.columns[*c].name);
        }
        b.push(") VALUES (");
        for (i, (_, v)) in values.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.param(v.clone());
        }
        b.push(")");
    }
    if let (Some(pk), true) = (t.single_pk(), b.dialect != Dialect::MySql) {
        b.push(" RETURNING ").ident(&t.columns[pk].name);
    }
    b.finish()
}

/// `UPDATE t SET a = ?, … WHERE …`.
pub fn render_update(catalog: &Catalog, table: usize, set: &[(usize, Value)], filter: &[Cond]) -> Sql {
    let t = catalog.table(table);
    let mut b = Builder::new(catalog.dialect);
    b.push("UPDATE ").ident(&t.name).push(" SET ");
    for (i, (c, v)) in set.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.ident(&t.columns[*c].name).push(" = ").param(v.clone());
    }
    where_clause(&mut b, t, filter);
    b.finish()
}

/// `DELETE FROM t WHERE …`.
pub fn render_delete(catalog: &Catalog, table: usize, filter: &[Cond]) -> Sql {
    let t = catalog.table(table);
    let mut b = Builder::new(catalog.dialect);
    b.push("DELETE FROM ").ident(&t.name);
    where_clause(&mut b, t, filter);
    b.finish()
}

fn where_clause(b: &mut Builder, t: &Table, filter: &[Cond]) {
    if filter.is_empty() {
        return;
    }
    b.push(" WHERE ");
    and(b, t, filter);
}

fn and(b: &mut Builder, t: &Table, conds: &[Cond]) {
    for (i, c) in conds.iter().enumerate() {
        if i > 0 {
            b.push(" AND ");
        }
        cond(b, t, c);
    }
}

fn cond(b: &mut Builder, t: &Table, c: &Cond) {
    match c {
        Cond::And(items) if items.is_empty() => {
            b.push("1=1");
        }
        Cond::And(items) => {
            b.push("(");
            and(b, t, items);
            b.push(")");
        }
        Cond::Or(items) if items.is_empty() => {
            b.push("1=0");
        }
        Cond::Or(items) => {
            b.push("(");
            for (i, c) in items.iter().enumerate() {
                if i > 0 {
                    b.push(" OR ");
                }
                cond(b, t, c);
            }
            b.push(")");
        }
        Cond::Cmp { col, op, value } => {
            b.ident(&t.columns[*col].name).push(op.sql()).param(value.clone());
        }
        Cond::In { values, negated, .. } if values.is_empty() => {
            b.push(if *negated { "1=1" } else { "1=0" });
        }
        Cond::In { col, values, negated } => {
            b.ident(&t.columns[*col].name).push(if *negated { " NOT IN (" } else { " IN (" });
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.param(v.clone());
            }
            b.push(")");
        }
        Cond::IsNull { col, negated } => {
            b.ident(&t.columns[*col].name).push(if *negated { " IS NOT NULL" } else { " IS NULL" });
        }
        Cond::Like { col, pattern, escaped } => {
            b.ident(&t.columns[*col].name);
            b.push(if b.dialect == Dialect::Postgres { " ILIKE " } else { " LIKE " });
            b.param(Value::Text(pattern.clone()));
            if *escaped {
                b.push(" ESCAPE '!'");
            }
        }
        Cond::False => {
            b.push("1=0");
        }
    }
}

/// Multi-row `INSERT` for bulk loading (demo data). Names come from the demo schema.
pub fn render_insert_rows(dialect: Dialect, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> Sql {
    let mut b = Builder::new(dialect);
    b.push("INSERT INTO ").ident(table).push(" (");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.ident(c);
    }
    b.push(") VALUES ");
    for (r, row) in rows.iter().enumerate() {
        b.push(if r == 0 { "(" } else { ", (" });
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.param(v.clone());
        }
        b.push(")");
    }
    b.finish()
}

/// PostgreSQL: move a table's id sequence past its largest id.
pub fn render_setval(table: &str, column: &str) -> Sql {
    let mut b = Builder::new(Dialect::Postgres);
    b.push("SELECT setval(pg_get_serial_sequence(")
        .param(Value::Text(format!("\"{table}\"")))
        .push(", ")
        .param(Value::Text(column.to_string()))
        .push("), (SELECT COALESCE(MAX(")
        .ident(column)
        .push("), 1) FROM ")
        .ident(table)
        .push("))");
    b.finish()
}
