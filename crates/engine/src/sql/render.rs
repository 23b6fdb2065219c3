//! The one place statement text is made from plans. Identifiers come from the
//! catalog (by index), values are bound. ORDER BY puts NULLs first ascending and
//! last descending on every dialect, so pages and cursors agree across databases.

use super::{Builder, Sql};
use crate::catalog::{Catalog, Dialect, Table};
use crate::plan::{Bucket, GroupKey, Metric, MetricFn, ReportPlan};
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

/// A report: `SELECT <groups> AS g0…, <metrics> AS m0… FROM t WHERE … GROUP BY …
/// HAVING … ORDER BY … LIMIT ?`. Date buckets are rendered per dialect as text
/// (`2024-01-31`, `2024-W05`, `2024-01`, `2024-Q1`, `2024`).
pub fn render_report(catalog: &Catalog, r: &ReportPlan) -> Sql {
    let mut b = Builder::new(catalog.dialect);
    report_body(&mut b, catalog, r, true);
    b.finish()
}

/// The number of groups a report has before its limit:
/// `SELECT COUNT(*) FROM (<report without ORDER BY and LIMIT>) AS n`.
pub fn render_report_count(catalog: &Catalog, r: &ReportPlan) -> Sql {
    let mut b = Builder::new(catalog.dialect);
    b.push("SELECT COUNT(*) FROM (");
    report_body(&mut b, catalog, r, false);
    b.push(") AS ").ident("n");
    b.finish()
}

fn report_body(b: &mut Builder, catalog: &Catalog, r: &ReportPlan, order_and_limit: bool) {
    let t = catalog.table(r.table);
    b.push("SELECT ");
    for (i, g) in r.groups.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        group_expr(b, t, g);
        b.push(" AS ").ident(&format!("g{i}"));
    }
    for (i, m) in r.metrics.iter().enumerate() {
        if i > 0 || !r.groups.is_empty() {
            b.push(", ");
        }
        metric_expr(b, t, m);
        b.push(" AS ").ident(&format!("m{i}"));
    }
    b.push(" FROM ").ident(&t.name);
    where_clause(b, t, &r.filter);
    for (i, g) in r.groups.iter().enumerate() {
        b.push(if i == 0 { " GROUP BY " } else { ", " });
        group_expr(b, t, g);
    }
    for (i, (m, op, v)) in r.having.iter().enumerate() {
        b.push(if i == 0 { " HAVING " } else { " AND " });
        metric_expr(b, t, &r.metrics[*m]);
        b.push(op.sql()).param(v.clone());
    }
    if !order_and_limit {
        return;
    }
    let groups = r.groups.len();
    for (i, (idx, desc)) in r.order.iter().enumerate() {
        b.push(if i == 0 { " ORDER BY " } else { ", " });
        let alias = if *idx < groups { format!("g{idx}") } else { format!("m{}", idx - groups) };
        b.ident(&alias);
        b.push(match (b.dialect, *desc) {
            (Dialect::Postgres, false) => " ASC NULLS FIRST",
            (Dialect::Postgres, true) => " DESC NULLS LAST",
            (_, false) => " ASC",
            (_, true) => " DESC",
        });
    }
    if let Some(limit) = r.limit {
        b.push(" LIMIT ").param(Value::Int(limit as i64));
    }
}

fn group_expr(b: &mut Builder, t: &Table, g: &GroupKey) {
    let col = &t.columns[g.col].name;
    let Some(bucket) = g.bucket else {
        b.ident(col);
        return;
    };
    match b.dialect {
        Dialect::Sqlite => {
            let fmt = match bucket {
                Bucket::Day => "'%Y-%m-%d'",
                Bucket::Week => "'%G-W%V'",
                Bucket::Month => "'%Y-%m'",
                Bucket::Year => "'%Y'",
                Bucket::Quarter => {
                    b.push("(strftime('%Y', ")
                        .ident(col)
                        .push(") || '-Q' || ((CAST(strftime('%m', ")
                        .ident(col)
                        .push(") AS INTEGER) + 2) / 3))");
                    return;
                }
            };
            b.push("strftime(").push(fmt).push(", ").ident(col).push(")");
        }
        Dialect::MySql => {
            let fmt = match bucket {
                Bucket::Day => "'%Y-%m-%d'",
                Bucket::Week => "'%x-W%v'",
                Bucket::Month => "'%Y-%m'",
                Bucket::Year => "'%Y'",
                Bucket::Quarter => {
                    b.push("CONCAT(YEAR(").ident(col).push("), '-Q', QUARTER(").ident(col).push("))");
                    return;
                }
            };
            b.push("DATE_FORMAT(").ident(col).push(", ").push(fmt).push(")");
        }
        Dialect::Postgres => {
            let fmt = match bucket {
                Bucket::Day => "'YYYY-MM-DD'",
                Bucket::Week => "'IYYY-\"W\"IW'",
                Bucket::Month => "'YYYY-MM'",
                Bucket::Quarter => "'YYYY-\"Q\"Q'",
                Bucket::Year => "'YYYY'",
            };
            b.push("to_char(").ident(col).push(", ").push(fmt).push(")");
        }
    }
}

fn metric_expr(b: &mut Builder, t: &Table, m: &Metric) {
    let Some(c) = m.col else {
        b.push("COUNT(*)");
        return;
    };
    let (open, close) = match m.func {
        MetricFn::Count => ("COUNT(", ")"),
        MetricFn::Sum => ("SUM(", ")"),
        MetricFn::Avg => ("AVG(", ")"),
        MetricFn::Min => ("MIN(", ")"),
        MetricFn::Max => ("MAX(", ")"),
        MetricFn::CountDistinct => ("COUNT(DISTINCT ", ")"),
    };
    b.push(open).ident(&t.columns[c].name).push(close);
}

/// Add to counters in one statement: `(bucket, win, n)` rows upserted with
/// `n = n + excluded.n`. SQLite and PostgreSQL return `bucket, win, n`; MySQL
/// cannot, so [`render_counter_read`] reads the rows back in the same transaction
/// (they stay locked until commit).
pub fn render_counter_upsert(dialect: Dialect, table: &str, rows: &[(String, i64, i64)]) -> Sql {
    let mut b = Builder::new(dialect);
    b.push("INSERT INTO ").ident(table).push(" (bucket, win, n) VALUES ");
    for (i, (bucket, win, n)) in rows.iter().enumerate() {
        b.push(if i == 0 { "(" } else { ", (" });
        b.param(Value::Text(bucket.clone()))
            .push(", ")
            .param(Value::Int(*win))
            .push(", ")
            .param(Value::Int(*n))
            .push(")");
    }
    if dialect == Dialect::MySql {
        b.push(" ON DUPLICATE KEY UPDATE n = n + VALUES(n)");
    } else {
        b.push(" ON CONFLICT (bucket, win) DO UPDATE SET n = ")
            .ident(table)
            .push(".n + excluded.n RETURNING bucket, win, n");
    }
    b.finish()
}

/// Read counters back: `SELECT bucket, win, n FROM t WHERE (bucket = ? AND win = ?) OR …`.
pub fn render_counter_read(dialect: Dialect, table: &str, keys: &[(String, i64)]) -> Sql {
    let mut b = Builder::new(dialect);
    b.push("SELECT bucket, win, n FROM ").ident(table).push(" WHERE ");
    for (i, (bucket, win)) in keys.iter().enumerate() {
        b.push(if i == 0 { "(" } else { " OR (" });
        b.push("bucket = ").param(Value::Text(bucket.clone())).push(" AND win = ").param(Value::Int(*win)).push(")");
    }
    b.finish()
}
