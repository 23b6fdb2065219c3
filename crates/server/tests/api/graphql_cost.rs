//! GraphQL cost over real HTTP (SPEC §4): what REST answers in one allowed call,
//! GraphQL answers under the default limits; what is far beyond it is refused
//! before any SQL runs. The model (rows, not leaf fields) is in
//! `api/graphql/limits.rs` and `docs/aggregates.md` ("GraphQL cost").

use reqwest::Method;
use serde_json::{Value as J, json};

use crate::each_dialect;
use crate::helpers::TestApp;

async fn gql(app: &TestApp, query: &str) -> J {
    let r = app.request(Method::POST, "/graphql", Some(&app.admin), Some(&json!({ "query": query }))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn codes(j: &J) -> Vec<String> {
    j["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["extensions"]["code"].as_str()).map(String::from).collect())
        .unwrap_or_default()
}

async fn what_rest_admits_graphql_admits(app: &TestApp) {
    // Every column of a page of 500 invoices (the same as `/invoices?per_page=500`).
    let schema = app.get("/invoices/schema").await.json();
    let columns: Vec<String> = schema["data"]["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema}"))
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert!(columns.len() >= 20, "{columns:?}");
    let j =
        gql(app, &format!("{{ invoices(limit: 500) {{ {} client {{ userid }} items {{ id }} }} }}", columns.join(" ")))
            .await;
    assert!(j.get("errors").is_none(), "{j}");
    let rest = app.get("/invoices?per_page=500").await.rows();
    assert_eq!(j["data"]["invoices"].as_array().unwrap().len(), rest.len());
    // 200 parents with their has-many children at the default page.
    let j = gql(app, "{ clients(limit: 200) { userid invoices { clientid } } }").await;
    assert!(j.get("errors").is_none(), "{j}");
    assert!(j["data"]["clients"].as_array().unwrap().iter().any(|c| !c["invoices"].as_array().unwrap().is_empty()));
    // Three include levels.
    let j = gql(app, "{ clients { invoices { items { id } client { company } } } }").await;
    assert!(j.get("errors").is_none(), "{j}");
}

async fn far_beyond_is_refused_before_sql(app: &TestApp) {
    for q in [
        "{ invoices(limit: 500) { id items(limit: 500) { id } } }".to_string(),
        format!(
            "{{ {} }}",
            (0..10).map(|i| format!("a{i}: invoices(limit: 500) {{ items {{ id }} }}")).collect::<String>()
        ),
    ] {
        let j = gql(app, &q).await;
        assert_eq!(codes(&j), ["COMPLEXITY_LIMIT"], "{q}: {j}");
        assert!(j["data"].is_null(), "nothing ran: {j}");
    }
}

/// `[graphql] max_complexity` still sets the limit.
fn small(cfg: &mut databuilder::config::Config) {
    cfg.graphql.max_complexity = 100;
}

async fn the_config_key_sets_the_limit(app: &TestApp) {
    assert!(gql(app, "{ invoices(limit: 100) { id } }").await.get("errors").is_none());
    assert_eq!(codes(&gql(app, "{ invoices(limit: 101) { id } }").await), ["COMPLEXITY_LIMIT"]);
    assert_eq!(codes(&gql(app, "{ invoices(limit: 50) { id client { userid } } }").await), Vec::<String>::new());
    assert_eq!(codes(&gql(app, "{ invoices(limit: 51) { id client { userid } } }").await), ["COMPLEXITY_LIMIT"]);
}

each_dialect!(what_rest_admits_graphql_admits, far_beyond_is_refused_before_sql);

mod configured {
    use super::*;
    each_dialect!(config = small; the_config_key_sets_the_limit);
}
