//! GraphQL (`POST /graphql`): the REST security cases repeated through GraphQL
//! (table scopes, row filters, sensitive tables, secret columns, sandbox), values
//! and nesting compared with REST, and the GraphQL-specific attacks (depth,
//! complexity, aliases, batching, introspection, suggestion leaks).

use reqwest::Method;
use serde_json::{Value as J, json};

use crate::each_dialect;
use crate::helpers::{Resp, TestApp, read};

/// POST a query (with variables) as `token`; the HTTP answer.
async fn post(app: &TestApp, token: &str, query: &str, variables: J) -> Resp {
    let body = json!({"query": query, "variables": variables});
    app.request(Method::POST, "/graphql", Some(token), Some(&body)).await
}

/// A query that must answer 200; its JSON.
async fn gql(app: &TestApp, token: &str, query: &str) -> J {
    let r = post(app, token, query, json!({})).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

/// A query that must succeed; its `data`.
async fn data(app: &TestApp, token: &str, query: &str) -> J {
    let j = gql(app, token, query).await;
    assert!(j.get("errors").is_none(), "{query}: {j}");
    j["data"].clone()
}

/// A query that must fail; its JSON (errors present).
async fn failing(app: &TestApp, token: &str, query: &str) -> J {
    let j = gql(app, token, query).await;
    assert!(j["errors"].as_array().is_some_and(|e| !e.is_empty()), "{query} must fail: {j}");
    j
}

fn codes(j: &J) -> Vec<String> {
    j["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["extensions"]["code"].as_str()).map(String::from).collect())
        .unwrap_or_default()
}

fn ids(rows: &J, key: &str) -> Vec<i64> {
    rows.as_array().unwrap_or_else(|| panic!("a list: {rows}")).iter().map(|r| r[key].as_i64().unwrap()).collect()
}

/// Every resource name the token may not read (for leak checks).
fn hidden_resources(app: &TestApp, readable: &[&str]) -> Vec<String> {
    app.state.catalog().tables.iter().map(|t| t.resource.clone()).filter(|r| !readable.contains(&r.as_str())).collect()
}

fn assert_no_leak(j: &J, hidden: &[String]) {
    let text = j["errors"].to_string();
    assert!(!text.contains("Did you mean"), "{text}");
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_ascii_lowercase)
        .filter(|w| !w.is_empty())
        .collect();
    for h in hidden {
        assert!(!words.contains(h), "`{h}` leaked: {text}");
    }
}

async fn table_scopes(app: &TestApp) {
    let t = app.token(&["--table", "invoices:r"]).await;
    let d = data(app, &t, "{ invoices(limit: 2) { id total } }").await;
    assert_eq!(d["invoices"].as_array().unwrap().len(), 2);
    let hidden = hidden_resources(app, &["invoices"]);
    for q in [
        "{ clients { company } }",
        "{ client(id: 1) { company } }",
        "{ invoices { client { company } } }",
        "{ invoices { items { qty } } }",
    ] {
        let j = failing(app, &t, q).await;
        assert!(j["data"].is_null(), "{j}");
        assert_no_leak(&j, &hidden);
        assert!(!j["errors"].to_string().contains("client"), "{q}: {j}");
    }
    let j = failing(app, &t, "mutation { createInvoice(input: {total: \"1\"}) { id } }").await;
    assert!(j["data"].is_null(), "no mutations at all: {j}");
    let w = app.token(&["--table", "taxes:cr"]).await;
    let d = data(app, &w, "mutation { createTax(input: {name: \"x\", taxrate: \"1.00\"}) { id taxrate } }").await;
    assert_eq!(d["createTax"]["taxrate"], "1.00");
    failing(app, &w, "mutation { updateTax(id: 1, input: {name: \"y\"}) { id } }").await;
    failing(app, &w, "mutation { deleteTax(id: 1) { success } }").await;
    let ro = app.token(&["--table", "taxes:crud", "--scope", "tables"]).await;
    failing(app, &ro, "mutation { deleteTax(id: 1) { success } }").await;
}

async fn row_filters_everywhere(app: &TestApp) {
    let t = app
        .token(&[
            "--table",
            "invoices:cru",
            "--table",
            "clients:r",
            "--row-filter",
            "invoices:clientid=3",
            "--row-filter",
            "clients:userid=3",
        ])
        .await;
    let mine = app.all("/invoices?fields=id,clientid&filter[clientid]=3&sort=id").await;
    let d = data(app, &t, "{ invoices(limit: 500, sort: \"id\") { id clientid } invoices_count }").await;
    assert_eq!(ids(&d["invoices"], "id"), mine.iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>());
    assert!(d["invoices"].as_array().unwrap().iter().all(|r| r["clientid"] == 3));
    assert_eq!(d["invoices_count"], mine.len());
    let other = app.all("/invoices?fields=id&filter[clientid.ne]=3").await[0]["id"].as_i64().unwrap();
    let d = data(app, &t, &format!("{{ invoice(id: {other}) {{ id }} }}")).await;
    assert!(d["invoice"].is_null(), "out of the row filter answers like missing: {d}");
    let widened = data(app, &t, "{ invoices(limit: 500, or: [{clientid: 4}, {clientid: 3}]) { clientid } }").await;
    assert!(widened["invoices"].as_array().unwrap().iter().all(|r| r["clientid"] == 3));
    let nested = data(app, &t, "{ clients { userid invoices { clientid } } }").await;
    let clients = nested["clients"].as_array().unwrap();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0]["userid"], 3);
    assert_eq!(clients[0]["invoices"].as_array().unwrap().len(), mine.len());
    assert!(clients[0]["invoices"].as_array().unwrap().iter().all(|i| i["clientid"] == 3));

    let body = "number: 9101, datecreated: \"2026-01-02T03:04:05\", date: \"2026-01-02\", currency: 1, \
                subtotal: \"100.00\", total: \"119.00\", total_tax: \"19.00\", discount_type: \"\", include_shipping: 0";
    let outside =
        failing(app, &t, &format!("mutation {{ createInvoice(input: {{clientid: 4, {body}}}) {{ id }} }}")).await;
    assert_eq!(codes(&outside), ["VALIDATION"]);
    assert!(outside["errors"][0]["extensions"]["fields"]["clientid"].is_array(), "{outside}");
    let inside = data(app, &t, &format!("mutation {{ createInvoice(input: {{{body}}}) {{ id clientid }} }}")).await;
    assert_eq!(inside["createInvoice"]["clientid"], 3, "the row filter value is set on create");
    let mine_id = mine[0]["id"].as_i64().unwrap();
    let moved =
        failing(app, &t, &format!("mutation {{ updateInvoice(id: {mine_id}, input: {{clientid: 4}}) {{ id }} }}"))
            .await;
    assert_eq!(codes(&moved), ["VALIDATION"]);
    let foreign =
        failing(app, &t, &format!("mutation {{ updateInvoice(id: {other}, input: {{adminnote: \"x\"}}) {{ id }} }}"))
            .await;
    assert_eq!(codes(&foreign), ["NOT_FOUND"]);
    assert!(app.get(&format!("/invoices/{other}")).await.json()["data"]["adminnote"] != "x");
}

async fn sensitive_tables_absent(app: &TestApp) {
    let hidden: Vec<String> =
        ["staff", "staffs", "contacts", "contact", "options", "sessions", "vault"].map(String::from).to_vec();
    for q in [
        "{ staffs { staffid } }",
        "{ staff(id: 1) { staffid } }",
        "{ contacts { id } }",
        "{ invoices { sale_agent_staff { firstname } } }",
        "{ clients { contacts { email } } }",
        "{ options { name } }",
    ] {
        let j = failing(app, &app.admin, q).await;
        assert_no_leak(&j, &hidden);
    }
    let schema = data(app, &app.admin, "{ __schema { types { name fields { name } } } }").await;
    let types = schema["__schema"]["types"].as_array().unwrap();
    assert!(!types.iter().any(|t| t["name"] == "Staff" || t["name"] == "Contact" || t["name"] == "Vault"));
    let text = schema.to_string();
    assert!(!text.contains("sale_agent_staff") && !text.contains("addedfrom_staff"), "no relation into staff");
    let granted = app.token(&["--table", "staff:r", "--allow-sensitive"]).await;
    let d = data(app, &granted, "{ staffs(limit: 1) { staffid email } }").await;
    assert_eq!(d["staffs"].as_array().unwrap().len(), 1, "an explicit grant opens it");
    failing(app, &granted, "{ staffs(limit: 1) { password } }").await;
}

async fn secret_columns_never_leak(app: &TestApp) {
    for q in [
        "{ invoices { hash } }",
        "{ invoices(filter: {hash: \"x\"}) { id } }",
        "{ invoices(filter: \"token.is_null:true\") { id } }",
        "{ invoices(sort: \"hash\") { id } }",
        "mutation { createInvoice(input: {hash: \"x\"}) { id } }",
        "mutation { updateInvoice(id: 1, input: {token: \"x\"}) { id } }",
    ] {
        let j = failing(app, &app.admin, q).await;
        assert!(j["data"].is_null() || j["data"].as_object().is_some_and(|d| d.values().all(J::is_null)), "{q}: {j}");
    }
    let schema = data(
        app,
        &app.admin,
        r#"{ a: __type(name: "Invoice") { fields { name } } c: __type(name: "InvoiceCreateInput") { inputFields { name } }
             u: __type(name: "InvoiceUpdateInput") { inputFields { name } } }"#,
    )
    .await;
    let names = |v: &J, k: &str| -> Vec<String> {
        v[k].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
    };
    for (ty, key) in [("a", "fields"), ("c", "inputFields"), ("u", "inputFields")] {
        let n = names(&schema[ty], key);
        assert!(!n.contains(&"hash".to_string()) && !n.contains(&"token".to_string()), "{ty}: {n:?}");
    }
    assert!(!names(&schema["c"], "inputFields").contains(&"id".to_string()), "auto-increment key not in inputs");
    assert!(!names(&schema["u"], "inputFields").contains(&"id".to_string()));
}

async fn sandbox_writes_roll_back(app: &TestApp) {
    let sandbox = app.token(&["--sandbox"]).await;
    let before = data(app, &app.admin, "{ taxes_count }").await["taxes_count"].clone();
    let r = post(
        app,
        &sandbox,
        "mutation { createTax(input: {name: \"Sandbox\", taxrate: \"1.50\"}) { name taxrate } }",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = r.json();
    assert_eq!(j["data"]["createTax"]["taxrate"], "1.50", "answers what would have been written");
    assert_eq!(j["extensions"]["dry_run"], true);
    assert_eq!(r.header("x-dry-run"), Some("true"));
    let d = data(
        app,
        &sandbox,
        "mutation { updateTax(id: 1, input: {name: \"Renamed\"}) { name } deleteTax(id: 2) { success dry_run } }",
    )
    .await;
    assert_eq!(d["updateTax"]["name"], "Renamed");
    assert_eq!(d["deleteTax"], json!({"success": true, "dry_run": true}));
    let after = data(app, &app.admin, "{ taxes_count tax(id: 1) { name } two: tax(id: 2) { id } }").await;
    assert_eq!(after["taxes_count"], before, "nothing persists");
    assert_ne!(after["tax"]["name"], "Renamed");
    assert_eq!(after["two"]["id"], 2);
    let admin_dry =
        data(app, &app.admin, "mutation { deleteTax(id: 2, dry_run: true) { success message dry_run } }").await;
    assert_eq!(admin_dry["deleteTax"]["dry_run"], true);
    assert_eq!(data(app, &app.admin, "{ tax(id: 2) { id } }").await["tax"]["id"], 2);
}

async fn values_match_rest(app: &TestApp) {
    let q =
        "{ invoices(limit: 60, sort: \"-total,id\") { id clientid total subtotal date datecreated duedate status } }";
    let g = data(app, &app.admin, q).await;
    let rest = app
        .get("/invoices?fields=id,clientid,total,subtotal,date,datecreated,duedate,status&sort=-total,id&per_page=60")
        .await;
    assert_eq!(g["invoices"], J::Array(rest.rows()), "same rows, same encoding (DECIMAL strings, ISO dates)");
    let total = g["invoices"][0]["total"].as_str().expect("DECIMAL as a string");
    assert_eq!(total.split('.').nth(1).map(str::len), Some(2), "scale kept: {total}");
    // Paging: offset and page agree with REST's order.
    let all: Vec<i64> =
        app.all("/invoices?fields=id&sort=id").await.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let d = data(app, &app.admin, "{ a: invoices(limit: 10, offset: 5, sort: \"id\") { id } b: invoices(limit: 7, page: 3, sort: \"id\") { id } }")
        .await;
    assert_eq!(ids(&d["a"], "id"), all[5..15]);
    assert_eq!(ids(&d["b"], "id"), all[14..21]);
    // Nullability from the catalog.
    let t =
        data(app, &app.admin, "{ __type(name: \"Invoice\") { fields { name type { kind name ofType { name } } } } }")
            .await;
    let field = |n: &str| t["__type"]["fields"].as_array().unwrap().iter().find(|f| f["name"] == n).cloned().unwrap();
    assert_eq!(field("total")["type"]["kind"], "NON_NULL");
    assert_eq!(field("total")["type"]["ofType"]["name"], "Decimal");
    assert_eq!(field("duedate")["type"]["name"], "Date");
    assert_eq!(field("id")["type"]["ofType"]["name"], "Int");
}

async fn every_filter_operator_matches_rest(app: &TestApp) {
    let cases: &[(&str, &str)] = &[
        ("{status: 2}", "filter[status]=2"),
        ("\"status:2\"", "filter=status:2"),
        ("[\"status:2\", \"total.gt:1000\"]", "filter[status]=2&filter[total.gt]=1000"),
        ("{status_eq: 2}", "filter[status.eq]=2"),
        ("{status_ne: 2}", "filter[status.ne]=2"),
        ("{total_gt: 1000}", "filter[total.gt]=1000"),
        ("{total_gte: \"1000\", status: 2}", "filter[total.gte]=1000&filter[status]=2"),
        ("{total_lt: 1000}", "filter[total.lt]=1000"),
        ("{total_lte: 1000.5}", "filter[total.lte]=1000.5"),
        ("{status_in: [1, 4]}", "filter[status.in]=1,4"),
        ("{status_not_in: [1, 4]}", "filter[status.not_in]=1,4"),
        ("{datesend_is_null: true}", "filter[datesend.is_null]=true"),
        ("{datesend: null}", "filter[datesend.is_null]=true"),
        ("{duedate_lt: \"2026-05-01\"}", "filter[duedate.lt]=2026-05-01"),
        ("{date_between: [\"2024-01-01\", \"2024-12-31\"]}", "filter[date.between]=2024-01-01,2024-12-31"),
        ("{prefix_like: \"INV%\"}", "filter[prefix.like]=INV%25"),
        ("{prefix_starts_with: \"IN\"}", "filter[prefix.starts_with]=IN"),
        ("{prefix_contains: \"NV\"}", "filter[prefix.contains]=NV"),
    ];
    for (gql_filter, rest) in cases {
        let q = format!("{{ invoices(limit: 500, sort: \"id\", filter: {gql_filter}) {{ id }} }}");
        let got = ids(&data(app, &app.admin, &q).await["invoices"], "id");
        let want: Vec<i64> = app
            .all(&format!("/invoices?fields=id&sort=id&{rest}"))
            .await
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got, want, "{gql_filter} vs {rest}");
    }
    let j = failing(app, &app.admin, "{ invoices(filter: {total_contains: \"1\"}) { id } }").await;
    assert_eq!(codes(&j), ["BAD_REQUEST"]);
    let j = failing(app, &app.admin, "{ invoices(filter: {status_in: \"1,x\"}) { id } }").await;
    assert_eq!(codes(&j), ["BAD_REQUEST"]);
    let j = failing(app, &app.admin, "{ invoices(limit: 501) { id } }").await;
    assert_eq!(codes(&j), ["BAD_REQUEST"]);
    // A failing root field is null next to its siblings, in query order.
    let j = failing(app, &app.admin, "{ bad: invoices(filter: {nope_gte: 1}) { id } ok: invoices_count }").await;
    assert_eq!(codes(&j), ["BAD_REQUEST"]);
    assert!(j["errors"][0]["message"].as_str().unwrap().contains("unknown column `nope`"), "{j}");
    assert!(j["data"]["bad"].is_null());
    assert_eq!(j["data"]["ok"], 200);
    assert_eq!(j["data"].as_object().unwrap().keys().collect::<Vec<_>>(), ["bad", "ok"]);
}

async fn nested_both_directions_match_rest_include(app: &TestApp) {
    let g = data(
        app,
        &app.admin,
        "{ clients(limit: 5, sort: \"userid\") { userid company invoices { id total items { id qty } } } }",
    )
    .await;
    let rest = app.get("/clients?include=invoices.items&per_page=5&sort=userid").await.rows();
    let project = |clients: &[J]| -> J {
        J::Array(
            clients
                .iter()
                .map(|c| {
                    let inv: Vec<J> = c["invoices"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| {
                            let items: Vec<J> = i["items"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|x| json!({"id": x["id"], "qty": x["qty"]}))
                                .collect();
                            json!({"id": i["id"], "total": i["total"], "items": items})
                        })
                        .collect();
                    json!({"userid": c["userid"], "company": c["company"], "invoices": inv})
                })
                .collect(),
        )
    };
    assert_eq!(g["clients"], project(&rest));
    assert!(g["clients"].as_array().unwrap().iter().any(|c| !c["invoices"].as_array().unwrap().is_empty()));
    // Belongs-to: invoices { client { … } } equals REST include=client.
    let g =
        data(app, &app.admin, "{ invoices(limit: 40, sort: \"id\") { id clientid client { userid company } } }").await;
    let rest = app.get("/invoices?include=client&per_page=40&sort=id").await.rows();
    for (a, b) in g["invoices"].as_array().unwrap().iter().zip(&rest) {
        assert_eq!(a["client"]["userid"], b["client"]["userid"]);
        assert_eq!(a["client"]["company"], b["client"]["company"]);
        assert_eq!(a["client"]["userid"], a["clientid"]);
    }
    // Aliases and nested filters: one include each.
    let g = data(
        app,
        &app.admin,
        "{ clients(limit: 20) { userid paid: invoices(filter: {status: 2}) { status } open: invoices(filter: \"status:1\") { status } some: invoices(limit: 1) { id } } }",
    )
    .await;
    for c in g["clients"].as_array().unwrap() {
        assert!(c["paid"].as_array().unwrap().iter().all(|i| i["status"] == 2));
        assert!(c["open"].as_array().unwrap().iter().all(|i| i["status"] == 1));
        assert!(c["some"].as_array().unwrap().len() <= 1);
    }
    let paid: usize = g["clients"].as_array().unwrap().iter().map(|c| c["paid"].as_array().unwrap().len()).sum();
    let rest_paid = app.get("/invoices?filter[status]=2&per_page=1").await.json()["meta"]["total"].as_u64().unwrap();
    assert_eq!(paid as u64, rest_paid, "all 20 clients: every paid invoice appears once");
    let one = data(app, &app.admin, "{ invoice(id: 1) { id client { userid } items { id } } }").await;
    assert_eq!(one["invoice"]["items"].as_array().unwrap().len(), 3);
}

async fn mutations_validate_like_rest(app: &TestApp) {
    let d =
        data(app, &app.admin, "mutation { createTax(input: {name: \"VAT\", taxrate: \"19.50\"}) { id name taxrate } }")
            .await;
    assert_eq!(d["createTax"]["taxrate"], "19.50");
    let id = d["createTax"]["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/taxes/{id}")).await.json()["data"]["taxrate"], "19.50");
    let d = data(
        app,
        &app.admin,
        &format!("mutation {{ updateTax(id: {id}, input: {{taxrate: \"20.00\"}}) {{ taxrate }} }}"),
    )
    .await;
    assert_eq!(d["updateTax"]["taxrate"], "20.00");
    let d = data(app, &app.admin, &format!("mutation {{ deleteTax(id: {id}) {{ success message }} }}")).await;
    assert_eq!(d["deleteTax"]["success"], true);
    let d = data(app, &app.admin, &format!("mutation {{ deleteTax(id: {id}) {{ success message }} }}")).await;
    assert_eq!(d["deleteTax"]["success"], false, "already gone: {d}");
    // Validation: the same per-field detail as REST's 422.
    let body = json!({"total": "abc", "clientid": 1, "number": 1, "date": "2026-13-45"});
    let rest = app.send(Method::POST, "/invoices", &body).await;
    assert_eq!(rest.status, 422);
    let j = failing(
        app,
        &app.admin,
        "mutation { createInvoice(input: {total: \"abc\", clientid: 1, number: 1, date: \"2026-13-45\"}) { id } }",
    )
    .await;
    assert_eq!(codes(&j), ["VALIDATION"]);
    assert_eq!(j["errors"][0]["extensions"]["fields"], rest.json()["errors"], "{j}");
    assert!(j["errors"][0]["extensions"]["fields"]["total"].to_string().contains("expected a decimal number"));
    // A created row read back with its relations.
    let full = "clientid: 2, number: 9201, datecreated: \"2026-01-02T03:04:05\", date: \"2026-01-02\", currency: 1, \
                subtotal: \"100.00\", total: \"119.00\", total_tax: \"19.00\", discount_type: \"\", include_shipping: 0";
    let d = data(
        app,
        &app.admin,
        &format!("mutation {{ createInvoice(input: {{{full}}}) {{ id total client {{ userid }} items {{ id }} }} }}"),
    )
    .await;
    assert_eq!(d["createInvoice"]["total"], "119.00");
    assert_eq!(d["createInvoice"]["client"]["userid"], 2);
    assert_eq!(d["createInvoice"]["items"], json!([]));
}

async fn depth_five_passes_six_fails(app: &TestApp) {
    let five = "{ invoices(limit: 1) { client { invoices(limit: 1) { client { company } } } } }";
    let d = data(app, &app.admin, five).await;
    assert!(d["invoices"][0]["client"]["invoices"].is_array());
    let six = "{ invoices(limit: 1) { client { invoices(limit: 1) { client { invoices(limit: 1) { id } } } } } }";
    let j = failing(app, &app.admin, six).await;
    assert_eq!(codes(&j), ["DEPTH_LIMIT"]);
    assert!(j["data"].is_null());
    let deep = format!("{{{}x{}}}", "a { ".repeat(2000), "}".repeat(2000));
    let j = failing(app, &app.admin, &deep).await;
    assert_eq!(codes(&j), ["DEPTH_LIMIT"], "absurd nesting stops before the parser");
}

async fn complexity_bomb_rejected(app: &TestApp) {
    let j = failing(app, &app.admin, "{ invoices(limit: 500) { id items(limit: 500) { id qty } } }").await;
    assert_eq!(codes(&j), ["COMPLEXITY_LIMIT"]);
    assert!(j["data"].is_null(), "rejected before anything ran: {j}");
    let j = post(
        app,
        &app.admin,
        "query($n: Int) { clients(limit: $n) { invoices(limit: $n) { items(limit: $n) { id } } } }",
        json!({"n": 100}),
    )
    .await
    .json();
    assert_eq!(codes(&j), ["COMPLEXITY_LIMIT"], "variables are resolved: {j}");
    data(app, &app.admin, "{ clients(limit: 5) { invoices(limit: 10) { items(limit: 3) { id } } } }").await;
}

async fn alias_and_root_floods_rejected(app: &TestApp) {
    let aliases: String = (0..100).map(|i| format!("a{i}: id ")).collect();
    let j = failing(app, &app.admin, &format!("{{ invoices(limit: 1) {{ {aliases} }} }}")).await;
    assert_eq!(codes(&j), ["TOO_MANY_ALIASES"]);
    let roots: String = (0..11).map(|i| format!("r{i}: invoices_count ")).collect();
    let j = failing(app, &app.admin, &format!("{{ {roots} }}")).await;
    assert!(codes(&j).contains(&"TOO_MANY_ROOT_FIELDS".to_string()), "{j}");
}

async fn malformed_bodies_are_400_problems(app: &TestApp) {
    let url = format!("{}/graphql", app.base);
    let send = |body: &'static str| {
        app.client.post(url.clone()).bearer_auth(&app.admin).header("content-type", "application/json").body(body)
    };
    for body in [
        r#"[{"query": "{ invoices_count }"}, {"query": "{ invoices_count }"}]"#,
        "not json",
        "{}",
        r#"{"query": 5}"#,
        r#"{"query": "{ invoices_count }", "variables": [1]}"#,
        "\"{ invoices_count }\"",
    ] {
        let r = read(send(body)).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert!(r.header("x-request-id").is_some());
    }
    let r = read(app.client.get(url.clone()).bearer_auth(&app.admin)).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.json()["detail"].as_str().unwrap().contains("send a POST with {\"query\": …"), "{}", r.text);
    let r = read(
        app.client
            .post(url.clone())
            .header("content-type", "application/json")
            .body(r#"{"query": "{ invoices_count }"}"#),
    )
    .await;
    assert_eq!(r.status, 401, "the pipeline runs first");
    let ok = read(send(r#"{"query": "query Q($s: Int) { invoices_count(filter: {status: $s}) }", "variables": {"s": 2}, "operationName": "Q"}"#)).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.json()["data"]["invoices_count"].as_i64().unwrap() > 0);
}

async fn introspection_only_for_admin_and_sandbox(app: &TestApp) {
    let t = app.token(&["--table", "invoices:r"]).await;
    for q in ["{ __schema { types { name } } }", "{ __type(name: \"Invoice\") { name } }"] {
        let j = failing(app, &t, q).await;
        assert_eq!(codes(&j), ["INTROSPECTION_DISABLED"], "an explicit error, not a silent null: {j}");
    }
    assert_eq!(data(app, &t, "{ __typename }").await["__typename"], "Query");
    let d = data(app, &app.admin, "{ __schema { queryType { name } mutationType { name } } }").await;
    assert_eq!(d["__schema"]["mutationType"]["name"], "Mutation");
    let sandbox = app.token(&["--sandbox"]).await;
    let d = data(app, &sandbox, "{ __type(name: \"Invoice\") { name } }").await;
    assert_eq!(d["__type"]["name"], "Invoice");
}

async fn no_suggestions_leak_hidden_names(app: &TestApp) {
    let t = app.token(&["--table", "invoices:r"]).await;
    let hidden = hidden_resources(app, &["invoices"]);
    for q in [
        "{ client { company } }",
        "{ clients { company } }",
        "{ invoicess { id } }",
        "{ invoice { id } }",
        "{ staffs { staffid } }",
        "{ invoices { clien { id } } }",
        "{ invoices { itemz { id } } }",
        "query($f: ClientFilter) { invoices { id } }",
        "{ invoices(filtr: {status: 2}) { id } }",
        "{ invoices(filter: {clientid_in: [1]}) { client } }",
    ] {
        let j = failing(app, &t, q).await;
        assert_no_leak(&j, &hidden);
        assert!(!j["errors"].to_string().to_ascii_lowercase().contains("staff"), "{q}: {j}");
    }
}

async fn odd_names_are_sanitized(app: &TestApp) {
    use databuilder_engine::catalog::Dialect;
    let (q, id, big) = match app.dialect {
        Dialect::MySql => ('`', "id INT AUTO_INCREMENT PRIMARY KEY", "BIGINT"),
        Dialect::Postgres => ('"', "id SERIAL PRIMARY KEY", "BIGINT"),
        Dialect::Sqlite => ('"', "id INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT"),
    };
    app.sql(&format!(
        "CREATE TABLE tblodd_names ({id}, {q}unit price{q} DECIMAL(10,2), {q}2nd{q} VARCHAR(20), \
         unit_price VARCHAR(10), counter {big} NOT NULL)"
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO tblodd_names ({q}unit price{q}, {q}2nd{q}, unit_price, counter) VALUES (1.50, 'second', 'real', 9007199254740993)"
    ))
    .await;
    app.state.reload_catalog().await.expect("reload");
    let d = data(app, &app.admin, "{ odd_names { id _2nd unit_price counter } }").await;
    assert_eq!(
        d["odd_names"],
        json!([{"id": 1, "_2nd": "second", "unit_price": "real", "counter": 9007199254740993_i64}])
    );
    let t =
        data(app, &app.admin, "{ __type(name: \"OddName\") { fields { name type { name ofType { name } } } } }").await;
    let fields = t["__type"]["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["id", "_2nd", "unit_price", "counter"], "the valid name wins; the sanitized clash is skipped");
    assert_eq!(fields[3]["type"]["ofType"]["name"], "BigInt");
    let d = data(
        app,
        &app.admin,
        "mutation { createOddName(input: {_2nd: \"again\", unit_price: \"x\", counter: \"12345678901\"}) { id _2nd counter } }",
    )
    .await;
    assert_eq!(d["createOddName"]["_2nd"], "again");
    assert_eq!(d["createOddName"]["counter"], 12345678901_i64);
    let d = data(
        app,
        &app.admin,
        "{ odd_names(filter: {_2nd: \"again\"}, sort: \"-_2nd\") { id } odd_name(id: 1) { _2nd } }",
    )
    .await;
    assert_eq!(d["odd_names"].as_array().unwrap().len(), 1);
    assert_eq!(d["odd_name"]["_2nd"], "second");
}

each_dialect!(
    odd_names_are_sanitized,
    table_scopes,
    row_filters_everywhere,
    sensitive_tables_absent,
    secret_columns_never_leak,
    sandbox_writes_roll_back,
    values_match_rest,
    every_filter_operator_matches_rest,
    nested_both_directions_match_rest_include,
    mutations_validate_like_rest,
    depth_five_passes_six_fails,
    complexity_bomb_rejected,
    alias_and_root_floods_rejected,
    malformed_bodies_are_400_problems,
    introspection_only_for_admin_and_sandbox,
    no_suggestions_leak_hidden_names,
);
