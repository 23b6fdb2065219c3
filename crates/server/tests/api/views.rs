//! Views, reports and report groups. Report figures are checked against an
//! independent computation (here, in Rust, over every row read through REST).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value as J;

use crate::each_dialect;
use crate::helpers::TestApp;
use databuilder::cli::defs::{apply_built_in, apply_text};
use databuilder::store::definitions::Kind;

async fn with_definitions(app: &TestApp) {
    apply_built_in(&app.state.store, &app.state.catalog()).await.expect("built-in definitions apply");
}

fn dec(v: &J) -> Decimal {
    match v {
        J::String(s) => s.parse().unwrap(),
        J::Number(n) => n.to_string().parse().unwrap(),
        _ => panic!("not a number: {v}"),
    }
}

async fn views_with_parameters(app: &TestApp) {
    with_definitions(app).await;
    let r = app.get("/views/client-invoices?client=3&per_page=500").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rows = r.rows();
    let expected = app.all("/invoices?filter[clientid]=3&filter[status.in]=1,3,4&fields=id,total").await;
    assert_eq!(rows.len(), expected.len());
    assert!(rows.iter().all(|r| r["clientid"] == 3 && [1, 3, 4].contains(&r["status"].as_i64().unwrap())));
    let totals: Vec<Decimal> = rows.iter().map(|r| dec(&r["total"])).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "the view's sort");
    assert!(rows.iter().all(|r| r["client"]["userid"] == 3), "the view's include");
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "clientid", "number", "status", "date", "duedate", "total", "client"]);
    let missing = app.get("/views/client-invoices").await;
    assert_eq!(missing.status, 400);
    assert!(missing.json()["errors"]["client"].is_array());
    let wrong = app.get("/views/client-invoices?client=abc").await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.json()["errors"]["client"].is_array());
    assert_eq!(app.get("/views/nope").await.status, 404);
    assert_eq!(app.get("/views/client-invoices?client=3&bogus=1").await.status, 400);
    // Optional parameter: absent → its filter is dropped; given → applied.
    let all_overdue = app.all("/invoices?filter[status]=4&fields=id").await.len();
    assert_eq!(app.get("/views/overdue-invoices?per_page=500").await.rows().len(), all_overdue);
    let one = app.get("/views/overdue-invoices?agent=3&per_page=500").await.rows();
    assert!(one.iter().all(|r| r["sale_agent"] == 3));
    let csv = app.get("/views/client-invoices?client=3&format=csv&fields=id,total").await;
    assert_eq!(csv.text.lines().count(), expected.len() + 1);
}

async fn narrowing_cannot_widen(app: &TestApp) {
    with_definitions(app).await;
    let base = "/views/client-invoices?client=3";
    assert_eq!(app.get(&format!("{base}&fields=id,total")).await.status, 200);
    for (q, param) in [
        ("fields=id,adminnote", "fields"),
        ("sort=adminnote", "sort"),
        ("filter[adminnote]=x", "filter[adminnote]"),
        ("include=items", "include"),
    ] {
        let r = app.get(&format!("{base}&{q}")).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert!(r.json()["errors"][param].is_array(), "{q}: {}", r.text);
    }
    // A caller filter is ANDed with the view's: status 2 is outside the view's 1,3,4.
    assert_eq!(app.get(&format!("{base}&filter[status]=2")).await.rows().len(), 0);
    // Another client id through a filter cannot escape the parameter's filter.
    assert!(app.get(&format!("{base}&filter[clientid]=4")).await.rows().is_empty());
}

async fn views_only_tokens(app: &TestApp) {
    with_definitions(app).await;
    let t = app.token(&["--scope", "views"]).await;
    assert_eq!(app.get_as(&t, "/invoices").await.status, 403, "no direct table access");
    let r = app.get_as(&t, "/views/client-invoices?client=3").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.rows().iter().all(|row| row.get("adminnote").is_none()));
    assert_eq!(
        app.get_as(&t, "/views/client-invoices?client=3&fields=id,adminnote").await.status,
        400,
        "nothing more of that table"
    );
    let listed: Vec<String> =
        app.get_as(&t, "/views").await.rows().iter().map(|v| v["slug"].as_str().unwrap().to_string()).collect();
    assert!(listed.contains(&"client-invoices".to_string()));
    let only = app.token(&["--scope", "views", "--view", "overdue-invoices"]).await;
    assert_eq!(app.get_as(&only, "/views/client-invoices?client=3").await.status, 403, "view allowlist");
    let r = app.get_as(&only, "/views/overdue-invoices").await;
    assert_eq!(r.status, 200, "{}", r.text);

    let tables_only = app.token(&["--table", "invoices:r", "--scope", "tables"]).await;
    assert_eq!(app.get_as(&tables_only, "/views/overdue-invoices").await.status, 403, "no views scope");
    // Row filters still apply inside a view.
    let portal = app.token(&["--scope", "views", "--row-filter", "invoices:clientid=3"]).await;
    let rows = app.get_as(&portal, "/views/overdue-invoices?per_page=500").await.rows();
    assert!(rows.iter().all(|r| r["clientid"] == 3));
}

/// Group rows by a key, counting and summing a decimal column.
fn group(rows: &[J], key: impl Fn(&J) -> String, amount: &str) -> BTreeMap<String, (i64, Decimal)> {
    let mut out: BTreeMap<String, (i64, Decimal)> = BTreeMap::new();
    for r in rows {
        let e = out.entry(key(r)).or_default();
        e.0 += 1;
        e.1 += dec(&r[amount]);
    }
    out
}

async fn report_figures_match_an_independent_computation(app: &TestApp) {
    with_definitions(app).await;
    let overdue = app.all("/invoices?filter[status]=4&fields=id,sale_agent,total").await;
    let expected = group(&overdue, |r| r["sale_agent"].to_string(), "total");
    let r = app.get("/reports/overdue-by-agent").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = r.json();
    assert_eq!(j["meta"]["chart"], "bar");
    assert_eq!(
        j["meta"]["columns"][0],
        serde_json::json!({"name": "sale_agent", "type": "integer", "role": "dimension"})
    );
    assert_eq!(j["meta"]["columns"][2]["type"], "decimal");
    let rows = j["data"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    for row in rows {
        let (n, sum) = expected[&row["sale_agent"].to_string()];
        assert_eq!(row["count(*)"], n);
        assert!(row["sum(total)"].is_string(), "money sums stay exact strings");
        assert_eq!(dec(&row["sum(total)"]), sum, "{row}");
    }
    let sums: Vec<Decimal> = rows.iter().map(|r| dec(&r["sum(total)"])).collect();
    assert!(sums.windows(2).all(|w| w[0] >= w[1]), "sorted by -sum(total)");

    let top = app.get("/reports/top-clients").await.json();
    assert_eq!(top["data"].as_array().unwrap().len(), 10, "limit");
    let paid = app.all("/invoices?filter[status]=2&fields=id,clientid,total").await;
    let by_client = group(&paid, |r| r["clientid"].to_string(), "total");
    let best = by_client.values().map(|v| v.1).max().unwrap();
    assert_eq!(dec(&top["data"][0]["sum(total)"]), best);
}

async fn date_buckets_on_every_dialect(app: &TestApp) {
    let payments = app.all("/invoicepaymentrecords?fields=id,date,amount").await;
    let date = |r: &J| NaiveDate::parse_from_str(r["date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    type Key = Box<dyn Fn(&J) -> String>;
    let buckets: [(&str, Key); 5] = [
        ("day", Box::new(move |r| date(r).format("%Y-%m-%d").to_string())),
        ("week", Box::new(move |r| format!("{}-W{:02}", date(r).iso_week().year(), date(r).iso_week().week()))),
        ("month", Box::new(move |r| date(r).format("%Y-%m").to_string())),
        ("quarter", Box::new(move |r| format!("{}-Q{}", date(r).year(), date(r).month().div_ceil(3)))),
        ("year", Box::new(move |r| date(r).format("%Y").to_string())),
    ];
    for (bucket, key) in buckets {
        let def = format!(
            "slug = \"by-{bucket}\"\nname = \"x\"\nresource = \"invoicepaymentrecords\"\ngroup_by = [\"{bucket}(date)\"]\nmetrics = [\"count(*)\", \"sum(amount)\", \"min(amount)\", \"max(amount)\", \"avg(amount)\", \"count_distinct(invoiceid)\"]\n"
        );
        apply_text(&app.state.store, &app.state.catalog(), Kind::Report, Path::new("t.toml"), &def).await.unwrap();
        let expected = group(&payments, key, "amount");
        let rows = app.get(&format!("/reports/by-{bucket}")).await.rows();
        assert_eq!(rows.len(), expected.len(), "{bucket}");
        for row in &rows {
            let label = row[format!("{bucket}(date)").as_str()].as_str().unwrap().to_string();
            let (n, sum) = expected.get(&label).unwrap_or_else(|| panic!("{bucket}: unexpected bucket {label}"));
            assert_eq!(row["count(*)"], *n, "{bucket} {label}");
            assert_eq!(dec(&row["sum(amount)"]), *sum, "{bucket} {label}");
            assert!(dec(&row["min(amount)"]) <= dec(&row["max(amount)"]));
        }
    }
}

async fn row_filtered_reports_and_groups(app: &TestApp) {
    with_definitions(app).await;
    let portal = app.token(&["--scope", "views", "--row-filter", "invoices:clientid=3"]).await;
    let r = app.get_as(&portal, "/reports/top-clients").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rows = r.rows();
    assert!(rows.iter().all(|r| r["clientid"] == 3), "figures only over the token's rows: {rows:?}");
    let mine = app.all("/invoices?filter[status]=2&filter[clientid]=3&fields=id,total").await;
    if let Some(row) = rows.first() {
        let sum: Decimal = mine.iter().map(|r| dec(&r["total"])).sum();
        assert_eq!(dec(&row["sum(total)"]), sum);
    }
    let g = app.get("/report-groups/finance").await;
    assert_eq!(g.status, 200, "{}", g.text);
    let data = g.json()["data"].clone();
    for slug in ["overdue-by-agent", "revenue-by-month", "top-clients"] {
        assert!(data[slug]["data"].is_array(), "{slug}");
    }
    assert_eq!(app.get("/reports/revenue-by-month?from=yesterday").await.status, 400, "wrong parameter type");
    assert_eq!(app.get("/reports/nope").await.status, 404);
}

async fn apply_names_the_line(app: &TestApp) {
    let catalog = app.state.catalog();
    let bad = "slug = \"bad\"\nname = \"Bad\"\nresource = \"invoices\"\nfields = [\"id\",\n  \"nope\"]\n";
    let e = apply_text(&app.state.store, &catalog, Kind::View, Path::new("bad.toml"), bad).await.unwrap_err();
    assert!(e.starts_with("bad.toml:5:") && e.contains("nope"), "{e}");
    let secret = "slug = \"s\"\nname = \"S\"\nresource = \"invoices\"\nfields = [\"id\", \"hash\"]\n";
    assert!(
        apply_text(&app.state.store, &catalog, Kind::View, Path::new("s.toml"), secret)
            .await
            .unwrap_err()
            .contains("s.toml:4:")
    );
    let sensitive = "slug = \"st\"\nname = \"S\"\nresource = \"staff\"\n";
    assert!(
        apply_text(&app.state.store, &catalog, Kind::View, Path::new("st.toml"), sensitive)
            .await
            .unwrap_err()
            .contains("sensitive")
    );
    let typed = "slug = \"t\"\nname = \"T\"\nresource = \"invoices\"\n[filter]\ntotal = \"lots\"\n";
    assert!(
        apply_text(&app.state.store, &catalog, Kind::View, Path::new("t.toml"), typed)
            .await
            .unwrap_err()
            .contains("t.toml:5:")
    );
    let report = "slug = \"r\"\nname = \"R\"\nresource = \"invoices\"\ngroup_by = [\"month(total)\"]\nmetrics = [\"count(*)\"]\n";
    assert!(
        apply_text(&app.state.store, &catalog, Kind::Report, Path::new("r.toml"), report)
            .await
            .unwrap_err()
            .contains("date")
    );
    let group = "slug = \"g\"\nname = \"G\"\nreports = [\"missing\"]\n";
    assert!(
        apply_text(&app.state.store, &catalog, Kind::Group, Path::new("g.toml"), group)
            .await
            .unwrap_err()
            .contains("g.toml:3:")
    );
}

each_dialect!(
    views_with_parameters,
    narrowing_cannot_widen,
    views_only_tokens,
    report_figures_match_an_independent_computation,
    date_buckets_on_every_dialect,
    row_filtered_reports_and_groups,
    apply_names_the_line,
);

mod graphql_roots {
    use super::*;
    use reqwest::Method;

    async fn gql(app: &TestApp, token: &str, query: &str) -> J {
        let body = serde_json::json!({ "query": query });
        let r = app.request(Method::POST, "/graphql", Some(token), Some(&body)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    async fn views_and_reports_are_graphql_root_fields(app: &TestApp) {
        with_definitions(app).await;

        let j = gql(app, &app.admin, "{ view_client_invoices(params: {client: 3}, limit: 500) }").await;
        let rows = j["data"]["view_client_invoices"].as_array().unwrap_or_else(|| panic!("{j}")).clone();
        let rest = app.get("/views/client-invoices?client=3&per_page=500").await.rows();
        assert_eq!(rows, rest, "the same rows as REST");
        let j = gql(app, &app.admin, "{ report_overdue_by_agent }").await;
        assert_eq!(j["data"]["report_overdue_by_agent"], app.get("/reports/overdue-by-agent").await.json());
        let missing = gql(app, &app.admin, "{ view_client_invoices }").await;
        assert!(missing["errors"][0]["message"].as_str().unwrap().contains("client"), "{missing}");
        // A views-only token sees the view fields but no table fields.
        let t = app.token(&["--scope", "views", "--view", "overdue-invoices"]).await;
        let j = gql(app, &t, "{ view_overdue_invoices(limit: 5) }").await;
        assert!(j["data"]["view_overdue_invoices"].is_array(), "{j}");
        let j = gql(app, &t, "{ view_client_invoices(params: {client: 3}) }").await;
        assert!(j["errors"].is_array(), "outside the allowlist the field does not exist: {j}");
        let j = gql(app, &t, "{ invoices { id } }").await;
        assert!(j["errors"].is_array());
        let tables_only = app.token(&["--table", "invoices:r", "--scope", "tables"]).await;
        let j = gql(app, &tables_only, "{ report_top_clients }").await;
        assert!(j["errors"].is_array(), "no views scope, no report fields: {j}");
    }

    each_dialect!(views_and_reports_are_graphql_root_fields);
}
