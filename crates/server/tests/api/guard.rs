//! The rules the planner compiles into every plan (table scopes, row filters,
//! secret columns, sensitive tables) and bad input of every kind.

use reqwest::Method;
use serde_json::json;

use crate::each_dialect;
use crate::helpers::{TestApp, read};

async fn table_scopes(app: &TestApp) {
    let t = app.token(&["--table", "invoices:r"]).await;
    assert_eq!(app.get_as(&t, "/invoices").await.status, 200);
    assert_eq!(app.get_as(&t, "/clients").await.status, 403);
    assert_eq!(app.get_as(&t, "/invoices?include=client").await.status, 403, "include needs read on the target");
    let post = app.request(Method::POST, "/invoices", Some(&t), Some(&json!({"total": 1}))).await;
    assert_eq!(post.status, 403);
    assert_eq!(app.request(Method::DELETE, "/invoices/1", Some(&t), None).await.status, 403);
    let w = app.token(&["--table", "taxes:cr"]).await;
    assert_eq!(
        app.request(Method::POST, "/taxes", Some(&w), Some(&json!({"name": "x", "taxrate": 1}))).await.status,
        201
    );
    assert_eq!(app.request(Method::PATCH, "/taxes/1", Some(&w), Some(&json!({"name": "y"}))).await.status, 403);
    let ro = app.token(&["--table", "taxes:crud", "--scope", "tables"]).await;
    assert_eq!(app.request(Method::DELETE, "/taxes/1", Some(&ro), None).await.status, 403, "no write scope");
    let all = app.token(&["--table", "*:r"]).await;
    assert_eq!(app.get_as(&all, "/clients").await.status, 200);
    assert_eq!(app.get_as(&all, "/staff").await.status, 403, "a wildcard never grants sensitive tables");
}

async fn row_filters_everywhere(app: &TestApp) {
    let t = app
        .token(&[
            "--table",
            "invoices:cru",
            "--table",
            "clients:r",
            "--table",
            "projects:cru",
            "--row-filter",
            "invoices:clientid=3",
            "--row-filter",
            "clients:userid=3",
            "--row-filter",
            "projects:clientid=3",
        ])
        .await;
    let mine = app.all("/invoices?fields=id,clientid&filter[clientid]=3").await;
    let rows = app.get_as(&t, "/invoices?per_page=500").await.rows();
    assert_eq!(rows.len(), mine.len());
    assert!(rows.iter().all(|r| r["clientid"] == 3));
    let other = app.all("/invoices?fields=id&filter[clientid.ne]=3").await;
    let other_id = other[0]["id"].as_i64().unwrap();
    assert_eq!(app.get_as(&t, &format!("/invoices/{other_id}")).await.status, 404, "out of scope answers like missing");
    // Widening through a filter or an OR group is impossible: they are ANDed with the row filter.
    let widened = app.get_as(&t, "/invoices?or[0][clientid]=4&or[1][clientid]=3&per_page=500").await.rows();
    assert!(widened.iter().all(|r| r["clientid"] == 3));
    // Includes obey the target's row filter.
    let clients = app.get_as(&t, "/clients?include=invoices").await.rows();
    assert_eq!(clients.len(), 1);
    assert!(clients[0]["invoices"].as_array().unwrap().iter().all(|i| i["clientid"] == 3));
    // Writes: cannot create outside, cannot move a row out, cannot touch other rows.
    let project = json!({"name": "P", "billing_type": 1, "start_date": "2026-01-01", "project_created": "2026-01-01", "addedfrom": 1});
    let created = app.request(Method::POST, "/projects", Some(&t), Some(&project)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["data"]["clientid"], 3, "the row filter value is set on create");
    let mut outside = project.clone();
    outside["clientid"] = json!(4);
    assert_eq!(app.request(Method::POST, "/projects", Some(&t), Some(&outside)).await.status, 422);
    let mine_id = mine[0]["id"].as_i64().unwrap();
    let moved =
        app.request(Method::PATCH, &format!("/invoices/{mine_id}"), Some(&t), Some(&json!({"clientid": 4}))).await;
    assert_eq!(moved.status, 422);
    let foreign =
        app.request(Method::PATCH, &format!("/invoices/{other_id}"), Some(&t), Some(&json!({"adminnote": "x"}))).await;
    assert_eq!(foreign.status, 404);
    assert!(app.get(&format!("/invoices/{other_id}")).await.json()["data"]["adminnote"] != "x");
}

async fn secret_columns_never_leak(app: &TestApp) {
    for q in [
        "/invoices?fields=hash",
        "/invoices?sort=hash",
        "/invoices?filter[hash]=x",
        "/invoices?filter[token.is_null]=true",
        "/invoices?or[0][hash]=x",
    ] {
        let r = app.get(q).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert!(r.json()["detail"].as_str().unwrap().contains("unknown column"), "{q}");
    }
    let csv = app.get("/invoices?format=csv&per_page=1").await;
    let header = csv.text.lines().next().unwrap();
    assert!(!header.split(',').any(|h| h == "hash" || h == "token"), "{header}");
    let inc = app.get("/clients?include=invoices&per_page=3").await.rows();
    for c in inc {
        for i in c["invoices"].as_array().unwrap() {
            assert!(i.get("hash").is_none());
        }
    }
}

async fn sensitive_tables_refused(app: &TestApp) {
    for path in [
        "/staff",
        "/staff/1",
        "/contacts",
        "/options",
        "/vault",
        "/sessions",
        "/staff/schema",
        "/clients?include=contacts",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
    }
    assert_eq!(app.get("/data_builder_api_tokens").await.status, 404, "state tables do not exist as resources");
    assert_eq!(app.get("/tbldata_builder_api_tokens").await.status, 404);
    let granted = app.token(&["--table", "contacts:r", "--allow-sensitive"]).await;
    let r = app.get_as(&granted, "/contacts?per_page=2").await;
    assert_eq!(r.status, 200, "an explicit --allow-sensitive grant opens it");
    assert!(r.rows()[0].get("password").is_none(), "but never its secret columns");
}

async fn bad_input_is_a_named_4xx(app: &TestApp) {
    let cases: &[(&str, &str)] = &[
        ("/invoices?per_page=0", "per_page"),
        ("/invoices?per_page=501", "per_page"),
        ("/invoices?page=x", "page"),
        ("/invoices?sort=-nope", "sort"),
        ("/invoices?fields=id,nope", "fields"),
        ("/invoices?filter[total.gt]=1e999x", "filter[total.gt]"),
        ("/invoices?filter[date]=2024-13-45", "filter[date]"),
        ("/invoices?filter[status.in]=1,x", "filter[status.in]"),
        ("/invoices?filter[total.contains]=1", "filter[total.contains]"),
        ("/invoices?filter[status.zz]=1", "filter[status.zz]"),
        ("/invoices?count=maybe", "count"),
        ("/invoices?format=xml", "format"),
        ("/invoices?include=", "include"),
        ("/invoices?unknown=1", "unknown"),
        ("/invoices?filter=status", "filter"),
        ("/invoices?filter[id]=1%27%20OR%201=1", "filter[id]"),
        ("/invoices?sort=id;DROP%20TABLE%20tblinvoices", "sort"),
        ("/invoices?fields=id%60,total", "fields"),
    ];
    for (q, param) in cases {
        let r = app.get(q).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert!(r.json()["errors"][param].is_array(), "{q} must name {param}: {}", r.text);
    }
    // Injection in a text filter is just a value.
    let r = app.get("/invoices?filter[prefix]=x%27%20OR%20%271%27=%271").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["meta"]["total"], 0);
    assert_eq!(app.get("/invoices?per_page=1").await.json()["meta"]["total"], 200, "the table is intact");
}

async fn router_errors_carry_headers(app: &TestApp) {
    let nf = read(app.client.get(format!("{}/../../nope", app.base))).await;
    assert_eq!(nf.status, 404);
    let m = read(app.client.request(Method::PUT, format!("{}/invoices", app.base)).bearer_auth(&app.admin)).await;
    assert_eq!(m.status, 405);
    for r in [&nf, &m] {
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("cache-control"), Some("no-store, no-cache, must-revalidate"));
        assert!(r.header("x-request-id").is_some());
    }
    let deep = format!("{}{}", "[".repeat(11), "]".repeat(11));
    let r = read(
        app.client
            .post(format!("{}/taxes", app.base))
            .bearer_auth(&app.admin)
            .header("content-type", "application/json")
            .body(deep),
    )
    .await;
    assert_eq!(r.status, 400);
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(300 * 1024));
    let r = read(
        app.client
            .post(format!("{}/taxes", app.base))
            .bearer_auth(&app.admin)
            .header("content-type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!(r.status, 413);
    assert!(r.header("x-request-id").is_some());
}

async fn mysql_zero_dates_are_null(app: &TestApp) {
    if app.dialect != databuilder_engine::catalog::Dialect::MySql {
        return;
    }
    app.sql("SET SESSION sql_mode = ''; UPDATE tblinvoices SET duedate = '0000-00-00', datesend = '0000-00-00 00:00:00' WHERE id = 1").await;
    let r = app.get("/invoices/1").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json()["data"]["duedate"].is_null(), "{}", r.text);
}

each_dialect!(
    table_scopes,
    row_filters_everywhere,
    secret_columns_never_leak,
    sensitive_tables_refused,
    bad_input_is_a_named_4xx,
    router_errors_carry_headers,
    mysql_zero_dates_are_null,
);

mod sandbox {
    use super::*;

    /// A sandbox token never sees real personal data: not in REST, CSV, GraphQL or reports.
    async fn sandbox_responses_carry_fake_personal_data(app: &TestApp) {
        let sb = app.token(&["--sandbox"]).await;
        let real = app.get("/clients?per_page=50&sort=userid").await.rows();
        let fake = app.get_as(&sb, "/clients?per_page=50&sort=userid").await.rows();
        assert_eq!(real.len(), fake.len());
        for (r, f) in real.iter().zip(&fake) {
            assert_eq!(r["userid"], f["userid"], "keys are kept");
            if r["company"].is_string() {
                assert_ne!(r["company"], f["company"]);
            }
            if r["phonenumber"].is_string() {
                assert!(f["phonenumber"].as_str().unwrap().starts_with("+1 555"), "{f}");
            }
        }
        let again = app.get_as(&sb, "/clients?per_page=50&sort=userid").await.rows();
        assert_eq!(fake, again, "one real value, one fake value");
        let leads = app.get_as(&sb, "/leads?per_page=20&filter[email.is_null]=false").await.rows();
        assert!(leads.iter().all(|l| l["email"].as_str().unwrap().ends_with("@example.com")));
        let inv = app.get("/invoices/1").await.json()["data"]["total"].clone();
        let sb_inv = app.get_as(&sb, "/invoices/1").await.json()["data"]["total"].clone();
        assert_ne!(inv, sb_inv, "amounts are randomized too");
        // The same 50 rows as CSV: no row carries its real company. (Compared row by
        // row: a fake drawn from the same word lists may equal another row's real name.)
        let csv = app.get_as(&sb, "/clients?format=csv&fields=userid,company&per_page=50&sort=userid").await.text;
        let mut lines = csv.lines().skip(1);
        for r in &real {
            let line = lines.next().unwrap_or_else(|| panic!("a CSV line per row: {csv}"));
            if let Some(c) = r["company"].as_str() {
                assert!(line.starts_with(&format!("{},", r["userid"])), "{line}");
                assert!(!line.contains(c), "real company {c} in the sandbox CSV: {line}");
            }
        }
        let body = serde_json::json!({"query": "{ clients(limit: 50, sort: \"userid\") { userid company } }"});
        let g = app.request(Method::POST, "/graphql", Some(&sb), Some(&body)).await.json();
        for (r, f) in real.iter().zip(g["data"]["clients"].as_array().unwrap()) {
            if r["company"].is_string() {
                assert_ne!(r["company"], f["company"], "GraphQL is masked alike");
            }
        }
        databuilder::cli::defs::apply_built_in(&app.state.store, &app.state.catalog()).await.unwrap();
        let admin_report = app.get("/reports/top-clients").await.json();
        let sb_report = app.get_as(&sb, "/reports/top-clients").await.json();
        assert_ne!(
            admin_report["data"][0]["sum(total)"], sb_report["data"][0]["sum(total)"],
            "report money figures too"
        );
    }

    each_dialect!(sandbox_responses_carry_fake_personal_data);
}
