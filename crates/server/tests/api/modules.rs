//! Modules come and go (SPEC §5): a column and a table that saved definitions
//! use are dropped, the catalog is reloaded over HTTP, and the definitions that
//! used them answer 409 naming what is missing and the definition, while
//! everything else keeps working; the lists, the CLI and the GraphQL schema mark
//! or leave them out.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value as J, json};

use crate::each_dialect;
use crate::helpers::TestApp;
use databuilder::cli::defs::{apply_built_in, apply_text, broken_definitions};
use databuilder::store::definitions::Kind;

async fn reload(app: &TestApp) {
    let r = app.request(Method::POST, "/admin/catalog/reload", Some(&app.admin), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn assert_broken(r: &crate::helpers::Resp, definition: &str, missing: &str) {
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("application/problem+json"));
    let j = r.json();
    assert_eq!(j["errors"]["definition"], json!([definition]), "{j}");
    assert_eq!(j["errors"]["missing"], json!([missing]), "{j}");
    let detail = j["detail"].as_str().unwrap();
    assert!(detail.contains(definition) && detail.contains(missing), "{detail}");
}

fn slugs(rows: &[J], broken: bool) -> Vec<String> {
    rows.iter().filter(|r| r["broken"].is_null() != broken).map(|r| r["slug"].as_str().unwrap().to_string()).collect()
}

async fn gql(app: &TestApp, query: &str) -> J {
    let r = app.request(Method::POST, "/graphql", Some(&app.admin), Some(&json!({ "query": query }))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

/// `databuilder views list` and `databuilder check` against the test database.
fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let url = app.state.config.database.url.clone();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_databuilder"))
        .arg("--database-url")
        .arg(&url)
        .args(args)
        .output()
        .expect("run databuilder");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

async fn dropped_column_and_table(app: &TestApp) {
    let catalog = app.state.catalog();
    apply_built_in(&app.state.store, &catalog).await.unwrap();
    let notes = "slug = \"payment-notes\"\nname = \"Payment notes\"\nresource = \"invoicepaymentrecords\"\nfields = [\"id\", \"amount\", \"note\"]\n";
    apply_text(&app.state.store, &catalog, Kind::View, Path::new("n.toml"), notes).await.unwrap();
    let modes = "slug = \"by-note\"\nname = \"x\"\nresource = \"invoicepaymentrecords\"\ngroup_by = [\"note\"]\nmetrics = [\"count(*)\"]\n";
    apply_text(&app.state.store, &catalog, Kind::Report, Path::new("m.toml"), modes).await.unwrap();
    assert_eq!(app.get("/views/payment-notes").await.status, 200);
    assert!(slugs(&app.get("/views").await.rows(), true).is_empty());

    // A column goes away.
    app.sql("ALTER TABLE tblinvoicepaymentrecords DROP COLUMN note").await;
    reload(app).await;
    assert_broken(&app.get("/views/payment-notes").await, "view `payment-notes`", "column `note`");
    assert_broken(&app.get("/reports/by-note").await, "report `by-note`", "column `note`");
    assert_eq!(app.get("/reports/revenue-by-month").await.status, 200, "the table's other reports still work");
    assert_eq!(app.get("/views/client-invoices?client=3").await.status, 200);
    assert_eq!(app.get("/invoicepaymentrecords?fields=id,amount").await.status, 200);
    assert_eq!(slugs(&app.get("/views").await.rows(), true), ["payment-notes"]);

    // The whole table goes away.
    app.sql("DROP TABLE tblinvoicepaymentrecords").await;
    reload(app).await;
    assert_broken(
        &app.get("/reports/revenue-by-month").await,
        "report `revenue-by-month`",
        "resource `invoicepaymentrecords`",
    );
    assert_broken(&app.get("/views/payment-notes").await, "view `payment-notes`", "resource `invoicepaymentrecords`");
    assert_eq!(app.get("/report-groups/finance").await.status, 409, "a group with a broken report");
    assert_eq!(app.get("/reports/overdue-by-agent").await.status, 200);
    assert_eq!(app.get("/invoices/aggregate?group_by=status").await.status, 200);
    assert_eq!(app.get("/invoicepaymentrecords").await.status, 404);
    let reports = app.get("/reports").await.rows();
    let mut broken = slugs(&reports, true);
    broken.sort();
    assert_eq!(broken, ["by-note", "revenue-by-month"]);
    assert!(slugs(&reports, false).contains(&"overdue-by-agent".to_string()));

    // The GraphQL schema leaves them out; the rest answers.
    let j = gql(app, "{ report_revenue_by_month }").await;
    assert!(j["errors"].is_array() && j["data"].is_null(), "{j}");
    assert!(gql(app, "{ view_payment_notes }").await["errors"].is_array());
    let j = gql(app, "{ report_overdue_by_agent }").await;
    assert!(j["data"]["report_overdue_by_agent"]["data"].is_array(), "{j}");

    // The CLI marks them.
    let found = broken_definitions(&app.state.store, &app.state.catalog()).await.unwrap();
    let mut names: Vec<(Kind, String)> = found.iter().map(|(k, s, _)| (*k, s.clone())).collect();
    names.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        names,
        [
            (Kind::Report, "by-note".to_string()),
            (Kind::Group, "finance".to_string()),
            (Kind::View, "payment-notes".to_string()),
            (Kind::Report, "revenue-by-month".to_string()),
        ]
    );
    let (ok, out) = cli(app, &["views", "list"]);
    assert!(ok, "{out}");
    let line = out.lines().find(|l| l.starts_with("payment-notes")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("BROKEN") && line.contains("invoicepaymentrecords"), "{line}");
    assert!(out.lines().any(|l| l.starts_with("client-invoices") && !l.contains("BROKEN")), "{out}");
    let (ok, out) = cli(app, &["check"]);
    assert!(!ok, "check fails with broken definitions: {out}");
    let line = out.lines().find(|l| l.contains("saved definition")).unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.starts_with("[FAIL]") && line.contains("revenue-by-month") && line.contains("payment-notes"),
        "{line}"
    );
}

each_dialect!(dropped_column_and_table);
