//! `count=exact|estimated|none` and `meta.count`, on a generated table of 12,000
//! rows: past the exact thresholds of every dialect (1,000 rows on PostgreSQL
//! and MariaDB, 10,000 on SQLite), so the estimate path is the one taken.

use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::{EXACT_UPTO_SERVER, EXACT_UPTO_SQLITE};

use crate::each_dialect;
use crate::helpers::TestApp;

const ROWS: i64 = 12_000;

async fn numbers(app: &TestApp) {
    app.sql(match app.dialect {
        Dialect::MySql => "CREATE TABLE tblnumbers (id INT AUTO_INCREMENT PRIMARY KEY, n INT NOT NULL, KEY (n))",
        Dialect::Postgres => "CREATE TABLE tblnumbers (id SERIAL PRIMARY KEY, n INT NOT NULL)",
        Dialect::Sqlite => "CREATE TABLE tblnumbers (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
    })
    .await;
    if app.dialect != Dialect::MySql {
        app.sql("CREATE INDEX idx_numbers_n ON tblnumbers (n)").await;
    }
    // MariaDB stops a recursive CTE at 1,000 iterations unless told otherwise.
    let session = if app.dialect == Dialect::MySql { "SET max_recursive_iterations = 100000; " } else { "" };
    app.sql(&format!(
        "{session}INSERT INTO tblnumbers (n) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {ROWS}) SELECT n FROM s"
    ))
    .await;
    app.sql(match app.dialect {
        Dialect::MySql => "ANALYZE TABLE tblnumbers",
        _ => "ANALYZE",
    })
    .await;
    app.state.reload_catalog().await.expect("reload the catalog");
}

fn within(got: i64, want: i64, tolerance: f64) -> bool {
    (got as f64 - want as f64).abs() <= want as f64 * tolerance
}

async fn counts_say_which_total_they_are(app: &TestApp) {
    numbers(app).await;
    let exact = app.get("/numbers?count=exact&per_page=10").await.json();
    assert_eq!(exact["meta"]["total"], ROWS);
    assert_eq!(exact["meta"]["count"], "exact");
    assert!(exact["links"]["last"].as_str().unwrap().contains("page=1200"));
    let default = app.get("/numbers?per_page=10").await.json();
    assert_eq!(default["meta"]["count"], "exact", "exact stays the default");
    let none = app.get("/numbers?count=none").await.json();
    assert_eq!(none["meta"]["count"], "none");
    assert!(none["meta"]["total"].is_null());

    // Few matches: counted exactly even when an estimate was asked for.
    let small = app.get("/numbers?count=estimated&filter[n.lte]=300").await.json();
    assert_eq!(small["meta"]["count"], "exact");
    assert_eq!(small["meta"]["total"], 300);
    assert!(small["links"]["last"].is_string());

    for (query, want) in [("", ROWS), ("&filter[n.gt]=1000", ROWS - 1000)] {
        let r = app.get(&format!("/numbers?count=estimated&per_page=10{query}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let j = r.json();
        let total = j["meta"]["total"].as_i64().unwrap();
        assert_eq!(j["data"].as_array().unwrap().len(), 10);
        assert!(j["links"]["last"].is_null(), "no last page from an estimate: {j}");
        assert!(j["links"]["next"].as_str().unwrap().contains("count=estimated"), "{j}");
        match app.dialect {
            Dialect::Sqlite => {
                assert_eq!(j["meta"]["count"], "at_least", "{query}");
                assert_eq!(total, EXACT_UPTO_SQLITE as i64);
            }
            _ => {
                assert_eq!(j["meta"]["count"], "estimated", "{query}");
                assert!(total > EXACT_UPTO_SERVER as i64, "{query}: {total}");
                // Planner statistics after ANALYZE: close, not exact.
                assert!(within(total, want, 0.5), "{query}: estimate {total} for {want}");
            }
        }
    }
    let bad = app.get("/numbers?count=roughly").await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["errors"]["count"].is_array(), "{}", bad.text);
}

each_dialect!(counts_say_which_total_they_are);
