//! Ad-hoc aggregates (`GET /{resource}/aggregate`, GraphQL `<plural>_aggregate`):
//! the same figures as a saved report with the same definition and as an
//! independent computation in Rust over every row read through REST, and every
//! permission rule of lists, through both front-ends.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value as J, json};

use crate::each_dialect;
use crate::helpers::TestApp;
use databuilder::cli::defs::{apply_built_in, apply_text};
use databuilder::store::definitions::Kind;

fn dec(v: &J) -> Decimal {
    match v {
        J::String(s) => s.parse().unwrap(),
        J::Number(n) => n.to_string().parse().unwrap(),
        _ => panic!("not a number: {v}"),
    }
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

async fn gql(app: &TestApp, token: &str, query: &str) -> J {
    let body = json!({ "query": query });
    let r = app.request(Method::POST, "/graphql", Some(token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

/// The `param` a GraphQL error names.
fn gql_param(j: &J) -> String {
    j["errors"][0]["extensions"]["param"].as_str().unwrap_or_else(|| panic!("no param in {j}")).to_string()
}

async fn same_figures_as_a_report_and_an_independent_computation(app: &TestApp) {
    apply_built_in(&app.state.store, &app.state.catalog()).await.unwrap();
    let q = "group_by=sale_agent&metrics=count(*),sum(total)&filter[status]=4&having[sum(total).gt]=0&sort=-sum(total)";
    let r = app.get(&format!("/invoices/aggregate?{q}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = r.json();
    let report = app.get("/reports/overdue-by-agent").await.json();
    assert_eq!(j["data"], report["data"], "the same rows as the report with the same definition");
    assert_eq!(j["meta"]["columns"], report["meta"]["columns"]);
    assert_eq!(j["meta"]["columns"][0], json!({"name": "sale_agent", "type": "integer", "role": "dimension"}));
    assert!(j["meta"].get("total").is_none(), "no total unless asked");

    let overdue = app.all("/invoices?filter[status]=4&fields=id,sale_agent,total").await;
    let expected: BTreeMap<String, (i64, Decimal)> = group(&overdue, |r| r["sale_agent"].to_string(), "total")
        .into_iter()
        .filter(|(_, v)| v.1 > Decimal::ZERO)
        .collect();
    let rows = j["data"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert_eq!(rows.len(), expected.len());
    for row in rows {
        let (n, sum) = expected[&row["sale_agent"].to_string()];
        assert_eq!(row["count(*)"], n, "{row}");
        assert!(row["sum(total)"].is_string(), "money sums stay exact strings: {row}");
        assert_eq!(dec(&row["sum(total)"]), sum, "{row}");
    }
    let sums: Vec<Decimal> = rows.iter().map(|r| dec(&r["sum(total)"])).collect();
    assert!(sums.windows(2).all(|w| w[0] >= w[1]), "sorted by -sum(total)");

    // Two keys, an OR group, and `count=exact` (the number of groups before the limit).
    let q = "group_by=status,clientid&metrics=count(*),max(total)&or[0][status]=2&or[1][status]=4&limit=3&count=exact";
    let j = app.get(&format!("/invoices/aggregate?{q}")).await.json();
    let rows = app.all("/invoices?filter[status.in]=2,4&fields=id,status,clientid,total").await;
    let mut expected: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for r in &rows {
        *expected.entry((r["status"].as_i64().unwrap(), r["clientid"].as_i64().unwrap())).or_default() += 1;
    }
    assert_eq!(j["meta"]["total"], expected.len() as i64, "{j}");
    let data = j["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "limit");
    for (row, (key, n)) in data.iter().zip(&expected) {
        assert_eq!((row["status"].as_i64().unwrap(), row["clientid"].as_i64().unwrap()), *key, "ordered by the groups");
        assert_eq!(row["count(*)"], *n);
    }
}

async fn date_buckets_match_reports(app: &TestApp) {
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
        let metrics = "count(*),sum(amount),min(amount),max(amount),avg(amount),count_distinct(invoiceid)";
        let def = format!(
            "slug = \"by-{bucket}\"\nname = \"x\"\nresource = \"invoicepaymentrecords\"\ngroup_by = [\"{bucket}(date)\"]\nmetrics = [{}]\nlimit = 1000\n",
            metrics.split(',').map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", ")
        );
        apply_text(&app.state.store, &app.state.catalog(), Kind::Report, Path::new("t.toml"), &def).await.unwrap();
        let report = app.get(&format!("/reports/by-{bucket}")).await.json();
        let r = app
            .get(&format!("/invoicepaymentrecords/aggregate?group_by={bucket}(date)&metrics={metrics}&limit=1000"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rows = r.rows();
        assert_eq!(J::Array(rows.clone()), report["data"], "{bucket}: the same as the report");
        let expected = group(&payments, key, "amount");
        assert_eq!(rows.len(), expected.len(), "{bucket}");
        for row in &rows {
            let label = row[format!("{bucket}(date)").as_str()].as_str().unwrap().to_string();
            let (n, sum) = expected.get(&label).unwrap_or_else(|| panic!("{bucket}: unexpected bucket {label}"));
            assert_eq!(row["count(*)"], *n, "{bucket} {label}");
            assert_eq!(dec(&row["sum(amount)"]), *sum, "{bucket} {label}");
        }
    }
}

async fn bad_input_names_the_parameter(app: &TestApp) {
    let nine = "id,clientid,status,currency,sale_agent,project_id,date,duedate,total";
    for (q, param) in [
        ("metrics=median(total)", "metrics"),
        ("metrics=sum(nope)", "metrics"),
        ("metrics=sum(hash)", "metrics"),
        ("group_by=hash", "group_by"),
        ("group_by=month(total)", "group_by"),
        ("metrics=count(*)&having[sum(total).gt]=0", "having[sum(total).gt]"),
        ("metrics=sum(total)&having[sum(total).like]=0", "having[sum(total).like]"),
        ("metrics=sum(total)&having[sum(total).gt]=lots", "having[sum(total).gt]"),
        ("sort=-sum(total)", "sort"),
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("per_page=5", "per_page"),
        ("filter[hash]=x", "filter[hash]"),
        ("bogus=1", "bogus"),
    ] {
        let r = app.get(&format!("/invoices/aggregate?{q}")).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert!(r.header("content-type").unwrap().starts_with("application/problem+json"), "{q}");
        assert!(r.json()["errors"][param].is_array(), "{q} names {param}: {}", r.text);
    }
    let r = app.get(&format!("/invoices/aggregate?group_by={nine}")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.json()["errors"]["group_by"].is_array());
    assert_eq!(
        app.get(&format!("/invoices/aggregate?group_by={}", &nine[..nine.rfind(',').unwrap()])).await.status,
        200
    );
    let r = app.get("/clients/aggregate?metrics=sum(company)").await;
    assert_eq!(r.status, 400, "sum of a text column: {}", r.text);
    assert!(r.json()["errors"]["metrics"].is_array());
    // A secret column answers exactly like a column that does not exist.
    let secret = app.get("/invoices/aggregate?group_by=hash").await.json();
    let unknown = app.get("/invoices/aggregate?group_by=hashx").await.json();
    assert_eq!(
        secret["detail"].as_str().unwrap().replace("hash", "X"),
        unknown["detail"].as_str().unwrap().replace("hashx", "X")
    );
    // Default 100 rows, at most 1000; there are 200 invoices.
    assert_eq!(app.get("/invoices/aggregate?group_by=id").await.rows().len(), 100);
    assert_eq!(app.get("/invoices/aggregate?group_by=id&limit=1000").await.rows().len(), 200);
    // Without metrics: count(*).
    let j = app.get("/invoices/aggregate").await.json();
    assert_eq!(j["data"], json!([{"count(*)": 200}]));
    assert_eq!(app.get("/nope/aggregate").await.status, 404);
    // `aggregate` is a static segment: no row is read with id "aggregate".
    assert_eq!(app.request(Method::PUT, "/invoices/aggregate", Some(&app.admin), Some(&json!({}))).await.status, 405);
}

async fn permissions_hold(app: &TestApp) {
    apply_built_in(&app.state.store, &app.state.catalog()).await.unwrap();
    // Views-only tokens may not aggregate a table they cannot list.
    let views_only = app.token(&["--scope", "views"]).await;
    assert_eq!(app.get_as(&views_only, "/invoices/aggregate").await.status, 403);
    // Sensitive tables refuse, as lists do.
    let staff = app.get("/staff/aggregate").await;
    assert_eq!(staff.status, app.get("/staff").await.status);
    assert_eq!(staff.status, 403, "{}", staff.text);
    // A table outside the token's grants.
    let only_clients = app.token(&["--table", "clients:r"]).await;
    assert_eq!(app.get_as(&only_clients, "/invoices/aggregate").await.status, 403);
    // Row filters apply to the figures.
    let portal = app.token(&["--table", "invoices:r", "--row-filter", "invoices:clientid=3"]).await;
    let r = app.get_as(&portal, "/invoices/aggregate?group_by=clientid&metrics=count(*),sum(total)").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mine = app.all("/invoices?filter[clientid]=3&fields=id,total").await;
    let sum: Decimal = mine.iter().map(|r| dec(&r["total"])).sum();
    assert_eq!(r.rows(), vec![json!({"clientid": 3, "count(*)": mine.len(), "sum(total)": r.rows()[0]["sum(total)"]})]);
    assert_eq!(dec(&r.rows()[0]["sum(total)"]), sum);
    // A column list: every named column must be in it (group, metric, filter, having, sort).
    let catalog = app.state.catalog();
    let args = ["--table", "invoices:r"];
    let mut pol = {
        use clap::Parser;
        #[derive(Parser)]
        struct W {
            #[command(flatten)]
            a: databuilder::cli::token::CreateArgs,
        }
        let mut argv = vec!["x", "--name", "cols"];
        argv.extend(args);
        databuilder::cli::token::policy(&catalog, &W::parse_from(argv).a).unwrap()
    };
    pol.columns.insert("invoices".into(), vec!["id".into(), "status".into(), "total".into()]);
    let cols = app.state.store.create_token("cols", &pol, None).await.unwrap().1;
    assert_eq!(app.get_as(&cols, "/invoices/aggregate?group_by=status&metrics=sum(total)").await.status, 200);
    for (q, param) in [
        ("group_by=clientid", "group_by"),
        ("metrics=max(duedate)", "metrics"),
        ("filter[clientid]=3", "filter[clientid]"),
        ("or[0][clientid]=3", "or[0][clientid]"),
    ] {
        let r = app.get_as(&cols, &format!("/invoices/aggregate?{q}")).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert!(r.json()["errors"][param].is_array(), "{q}: {}", r.text);
    }
}

async fn sandbox_figures_are_masked_like_lists(app: &TestApp) {
    let sandbox = app.token(&["--sandbox"]).await;
    let listed: BTreeSet<String> = app
        .get_as(&sandbox, "/clients?fields=company&per_page=500")
        .await
        .rows()
        .iter()
        .map(|r| r["company"].to_string())
        .collect();
    let r = app.get_as(&sandbox, "/clients/aggregate?group_by=company&limit=1000").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let grouped: BTreeSet<String> = r.rows().iter().map(|r| r["company"].to_string()).collect();
    assert_eq!(grouped, listed, "the same masked labels as the list");
    let real: BTreeSet<String> =
        app.all("/clients?fields=company").await.iter().map(|r| r["company"].to_string()).collect();
    assert_ne!(grouped, real, "masked, not the real company names");
    // One invoice's max(total) is masked exactly as its total in the list.
    let id = app.all("/invoices?fields=id").await[0]["id"].clone();
    let row = app.get_as(&sandbox, &format!("/invoices/{id}?fields=total")).await.json()["data"].clone();
    let agg = app.get_as(&sandbox, &format!("/invoices/aggregate?filter[id]={id}&metrics=max(total)")).await.rows();
    assert_eq!(agg[0]["max(total)"], row["total"]);
}

async fn csv_and_ndjson(app: &TestApp) {
    let q = "group_by=status&metrics=count(*),sum(total)";
    let j = app.get(&format!("/invoices/aggregate?{q}")).await.rows();
    let csv = app.get(&format!("/invoices/aggregate?{q}&format=csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "status,count(*),sum(total)");
    assert_eq!(lines.len(), j.len() + 1);
    assert_eq!(lines[1], format!("{},{},{}", j[0]["status"], j[0]["count(*)"], j[0]["sum(total)"].as_str().unwrap()));
    let nd = app.get(&format!("/invoices/aggregate?{q}&format=ndjson")).await;
    assert!(nd.header("content-type").unwrap().starts_with("application/x-ndjson"));
    let parsed: Vec<J> = nd.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(parsed, j);
    let accept = app
        .client
        .get(format!("{}/invoices/aggregate?{q}", app.base))
        .bearer_auth(&app.admin)
        .header("accept", "text/csv");
    assert_eq!(crate::helpers::read(accept).await.text, csv.text);
}

async fn graphql_aggregates(app: &TestApp) {
    let rest = app
        .get("/invoices/aggregate?group_by=status,month(date)&metrics=count(*),sum(total)&filter[total.gte]=100&having[count(*).gte]=1&sort=-sum(total)&limit=5&count=exact")
        .await
        .json();
    let j = gql(
        app,
        &app.admin,
        r#"{ invoices_aggregate(group_by: ["status", "month(date)"], metrics: ["count(*)", "sum(total)"], filter: {total_gte: 100}, having: ["count(*).gte:1"], sort: "-sum(total)", limit: 5, total: true) }"#,
    )
    .await;
    assert_eq!(j["data"]["invoices_aggregate"], rest, "the same answer as REST: {j}");
    // `having` as an object through variables.
    let body = json!({
        "query": "query($h: JSON) { invoices_aggregate(group_by: [\"status\"], metrics: [\"sum(total)\"], having: $h) }",
        "variables": {"h": {"sum(total).gt": 1000}},
    });
    let v = app.request(Method::POST, "/graphql", Some(&app.admin), Some(&body)).await.json();
    let rest =
        app.get("/invoices/aggregate?group_by=status&metrics=sum(total)&having[sum(total).gt]=1000").await.json();
    assert_eq!(v["data"]["invoices_aggregate"], rest, "{v}");
    let or =
        gql(app, &app.admin, r#"{ invoices_aggregate(group_by: ["status"], or: [{status: 2}, {status: 4}]) }"#).await;
    let rest = app.get("/invoices/aggregate?group_by=status&or[0][status]=2&or[1][status]=4").await.json();
    assert_eq!(or["data"]["invoices_aggregate"], rest);

    for (args, param) in [
        (r#"metrics: ["median(total)"]"#, "metrics"),
        (r#"group_by: ["hash"]"#, "group_by"),
        (r#"metrics: ["count(*)"], having: "sum(total).gt:0""#, "having[sum(total).gt]"),
        ("limit: 1001", "limit"),
        (r#"group_by: ["a","b","c","d","e","f","g","h","i"]"#, "group_by"),
    ] {
        let j = gql(app, &app.admin, &format!("{{ invoices_aggregate({args}) }}")).await;
        assert_eq!(gql_param(&j), param, "{args}: {j}");
    }
    let j = gql(app, &app.admin, r#"{ clients_aggregate(metrics: ["sum(company)"]) }"#).await;
    assert_eq!(gql_param(&j), "metrics");

    // Row filters, views-only tokens, sensitive tables, sandbox masking.
    let portal = app.token(&["--table", "invoices:r", "--row-filter", "invoices:clientid=3"]).await;
    let j = gql(app, &portal, r#"{ invoices_aggregate(group_by: ["clientid"]) }"#).await;
    let rest = app.get_as(&portal, "/invoices/aggregate?group_by=clientid").await.json();
    assert_eq!(j["data"]["invoices_aggregate"], rest);
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    let views_only = app.token(&["--scope", "views"]).await;
    let j = gql(app, &views_only, "{ invoices_aggregate }").await;
    assert!(j["errors"].is_array() && j["data"].is_null(), "no such field for a views-only token: {j}");
    let j = gql(app, &app.admin, "{ staff_aggregate }").await;
    assert!(j["errors"].is_array(), "no aggregate over a sensitive table: {j}");
    let sandbox = app.token(&["--sandbox"]).await;
    let j = gql(app, &sandbox, r#"{ clients_aggregate(group_by: ["company"], limit: 1000) }"#).await;
    let rest = app.get_as(&sandbox, "/clients/aggregate?group_by=company&limit=1000").await.json();
    assert_eq!(j["data"]["clients_aggregate"], rest);
}

each_dialect!(
    same_figures_as_a_report_and_an_independent_computation,
    date_buckets_match_reports,
    bad_input_names_the_parameter,
    permissions_hold,
    sandbox_figures_are_masked_like_lists,
    csv_and_ndjson,
    graphql_aggregates,
);
