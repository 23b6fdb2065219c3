//! Load tests of the demo database: the DDL and a small scale of data go into
//! a real SQLite database (always), MariaDB/MySQL and PostgreSQL (ignored
//! tests, run when `DEMO_MYSQL_URL` / `DEMO_POSTGRES_URL` name an empty
//! database), plus a timing of the full scale-1 generation.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use sqlx::{Database, Row, query::Query};

use super::schema::{ColType, table};
use super::*;

/// `INSERT INTO t (cols) VALUES (placeholders)` for one batch.
fn insert_sql(dialect: Dialect, b: &Batch) -> String {
    let q = |s: &str| match dialect {
        Dialect::MySql => format!("`{s}`"),
        _ => format!("\"{s}\""),
    };
    let cols: Vec<String> = b.columns.iter().map(|c| q(c)).collect();
    let marks: Vec<String> =
        (1..=cols.len()).map(|i| if dialect == Dialect::Postgres { format!("${i}") } else { "?".into() }).collect();
    format!("INSERT INTO {} ({}) VALUES ({})", q(b.table), cols.join(", "), marks.join(", "))
}

/// The declared type of `column` in `table`.
fn col_type(table_name: &str, column: &str) -> ColType {
    table(table_name).and_then(|t| t.column(column)).map_or(ColType::Text, |c| c.ty)
}

/// Binds one value natively; NULLs take the column's type (PostgreSQL needs it).
macro_rules! native_binder {
    ($name:ident, $db:ty) => {
        fn $name<'q>(
            q: Query<'q, $db, <$db as Database>::Arguments>,
            v: &Value,
            ty: ColType,
        ) -> Query<'q, $db, <$db as Database>::Arguments> {
            match (v, ty) {
                (Value::Null, ColType::Int | ColType::UInt | ColType::TinyInt1 | ColType::BigInt) => {
                    q.bind(Option::<i64>::None)
                }
                (Value::Null, ColType::Decimal(..)) => q.bind(Option::<Decimal>::None),
                (Value::Null, ColType::Date) => q.bind(Option::<NaiveDate>::None),
                (Value::Null, ColType::DateTime | ColType::Timestamp) => q.bind(Option::<NaiveDateTime>::None),
                (Value::Null, ColType::Blob) => q.bind(Option::<Vec<u8>>::None),
                (Value::Null, _) => q.bind(Option::<String>::None),
                (Value::Bool(b), _) => q.bind(*b),
                (Value::Int(i), _) => q.bind(*i),
                (Value::Float(f), _) => q.bind(*f),
                (Value::Decimal(d), _) => q.bind(*d),
                (Value::Text(s), _) => q.bind(s.clone()),
                (Value::Date(d), _) => q.bind(*d),
                (Value::DateTime(d), _) => q.bind(*d),
                (Value::Bytes(b), _) => q.bind(b.clone()),
            }
        }
    };
}

native_binder!(bind_mysql, sqlx::MySql);
native_binder!(bind_postgres, sqlx::Postgres);

/// Binds one value for SQLite: exact decimals as text, dates as ISO text.
fn bind_sqlite<'q>(
    q: Query<'q, sqlx::Sqlite, <sqlx::Sqlite as Database>::Arguments>,
    v: &Value,
) -> Query<'q, sqlx::Sqlite, <sqlx::Sqlite as Database>::Arguments> {
    match v {
        Value::Null => q.bind(Option::<String>::None),
        Value::Bool(b) => q.bind(i64::from(*b)),
        Value::Int(i) => q.bind(*i),
        Value::Float(f) => q.bind(*f),
        Value::Decimal(d) => q.bind(d.to_string()),
        Value::Text(s) => q.bind(s.clone()),
        Value::Date(d) => q.bind(d.format("%Y-%m-%d").to_string()),
        Value::DateTime(d) => q.bind(d.format("%Y-%m-%d %H:%M:%S").to_string()),
        Value::Bytes(b) => q.bind(b.clone()),
    }
}

#[tokio::test]
async fn sqlite_accepts_schema_and_data() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("open sqlite");
    for stmt in ddl(Dialect::Sqlite) {
        let run = sqlx::query(sqlx::AssertSqlSafe(stmt.clone())).execute(&pool).await;
        run.unwrap_or_else(|e| panic!("{e}: {stmt}"));
    }
    for b in batches(0.01, 200) {
        let sql = insert_sql(Dialect::Sqlite, &b);
        for row in &b.rows {
            let q = row.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), bind_sqlite);
            q.execute(&pool).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
    }
    let n: i64 = sqlx::query("SELECT count(*) FROM tblinvoices").fetch_one(&pool).await.expect("count").get(0);
    assert_eq!(n, 200);
    let (shipping, declared): (i64, String) = sqlx::query_as(
        "SELECT (SELECT show_shipping_on_invoice FROM tblinvoices LIMIT 1), \
         (SELECT type FROM pragma_table_info('tblinvoices') WHERE name = 'total')",
    )
    .fetch_one(&pool)
    .await
    .expect("defaults");
    assert_eq!(shipping, 1, "defaults apply to omitted columns");
    assert_eq!(declared, "decimal(15,2)");
}

/// Loads scale 0.01 into the MySQL/MariaDB database named by `DEMO_MYSQL_URL`.
#[tokio::test]
#[ignore]
async fn mysql_accepts_schema_and_data() {
    let Ok(url) = std::env::var("DEMO_MYSQL_URL") else {
        return eprintln!("DEMO_MYSQL_URL not set; skipped");
    };
    let pool = sqlx::mysql::MySqlPoolOptions::new().max_connections(1).connect(&url).await.expect("connect");
    for stmt in ddl(Dialect::MySql) {
        let run = sqlx::query(sqlx::AssertSqlSafe(stmt.clone())).execute(&pool).await;
        run.unwrap_or_else(|e| panic!("{e}: {stmt}"));
    }
    for b in batches(0.01, 200) {
        let sql = insert_sql(Dialect::MySql, &b);
        for row in &b.rows {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (v, c) in row.iter().zip(&b.columns) {
                q = bind_mysql(q, v, col_type(b.table, c));
            }
            q.execute(&pool).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
    }
}

/// Loads scale 0.01 into the PostgreSQL database named by `DEMO_POSTGRES_URL`.
#[tokio::test]
#[ignore]
async fn postgres_accepts_schema_and_data() {
    let Ok(url) = std::env::var("DEMO_POSTGRES_URL") else {
        return eprintln!("DEMO_POSTGRES_URL not set; skipped");
    };
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.expect("connect");
    for stmt in ddl(Dialect::Postgres) {
        let run = sqlx::query(sqlx::AssertSqlSafe(stmt.clone())).execute(&pool).await;
        run.unwrap_or_else(|e| panic!("{e}: {stmt}"));
    }
    for b in batches(0.01, 200) {
        let sql = insert_sql(Dialect::Postgres, &b);
        for row in &b.rows {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (v, c) in row.iter().zip(&b.columns) {
                q = bind_postgres(q, v, col_type(b.table, c));
            }
            q.execute(&pool).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
    }
    for (t, pk) in serial_tables() {
        let reset = format!(
            "SELECT setval(pg_get_serial_sequence('\"{t}\"', '{pk}'), (SELECT coalesce(max(\"{pk}\"), 0) + 1 FROM \"{t}\"), false)"
        );
        sqlx::query(sqlx::AssertSqlSafe(reset)).execute(&pool).await.expect("setval");
    }
    let id: i32 = sqlx::query_scalar("INSERT INTO tblclients (datecreated) VALUES (now()) RETURNING userid")
        .fetch_one(&pool)
        .await
        .expect("identity insert");
    assert!(id > 1);
}

/// Time to generate scale 1 (run with `--release -- --ignored --nocapture`).
#[test]
#[ignore]
fn generation_speed() {
    let start = std::time::Instant::now();
    let mut rows = 0usize;
    for b in batches(1.0, 1000) {
        rows += b.rows.len();
    }
    println!("batches(1.0, 1000): {rows} rows in {:?}", start.elapsed());
}
