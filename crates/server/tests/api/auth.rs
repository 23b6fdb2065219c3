//! Tokens and the auth gate; the descriptive endpoints.

use crate::each_dialect;
use crate::helpers::TestApp;
use reqwest::Method;

async fn bearer_is_required(app: &TestApp) {
    let r = app.request(Method::GET, "/invoices", None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert!(r.header("x-request-id").is_some());
    let j = r.json();
    assert_eq!(j["status"], 401);
    assert_eq!(j["instance"], "/api/data_builder/v1/invoices");
    assert_eq!(j["request_id"].as_str(), r.header("x-request-id"));

    let malformed = app.get_as("dba_not_a_token", "/invoices").await;
    assert_eq!(malformed.status, 401);
    assert!(malformed.json()["detail"].as_str().unwrap().contains("malformed"));

    // Well formed, with a valid checksum, but never issued.
    let unknown = databuilder::store::tokens::generate();
    assert_eq!(app.get_as(&unknown, "/invoices").await.status, 401);

    // Query tokens are off by default.
    let q = app.request(Method::GET, &format!("/invoices?token={}", app.admin), None, None).await;
    assert_eq!(q.status, 401);
}

async fn revoked_and_rotated_tokens_stop_working(app: &TestApp) {
    let t = app.token(&["--table", "invoices:r"]).await;
    let rec = app.state.store.token_by_hash(&databuilder::store::tokens::hash(&t)).await.unwrap().unwrap();
    assert!(app.state.store.revoke_token(rec.id).await.unwrap());
    assert_eq!(app.get_as(&t, "/invoices").await.status, 401);

    let t2 = app.token(&["--table", "invoices:r"]).await;
    let rec2 = app.state.store.token_by_hash(&databuilder::store::tokens::hash(&t2)).await.unwrap().unwrap();
    let new = app.state.store.rotate_token(rec2.id).await.unwrap().unwrap();
    assert_eq!(app.get_as(&t2, "/invoices").await.status, 401);
    assert_eq!(app.get_as(&new, "/invoices").await.status, 200);
}

async fn auth_test_and_tables(app: &TestApp) {
    let t = app.token(&["--table", "invoices:r", "--table", "clients:cr"]).await;
    let j = app.get_as(&t, "/auth/test").await.json();
    assert_eq!(j["status"], "ok");
    assert_eq!(j["data"]["authenticated"], true);
    assert_eq!(j["data"]["tables_count"], 2);
    assert!(j["data"]["rate_limit"]["limit"].is_number());

    let tables = app.get_as(&t, "/tables").await.json();
    let names: Vec<&str> = tables["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["clients", "invoices"]);
    let clients = &tables["data"][0];
    assert_eq!(clients["permissions"]["create"], true);
    assert_eq!(clients["permissions"]["delete"], false);
    assert_eq!(clients["primary_key"], "userid");

    // The admin sees every non-sensitive table, never the state tables.
    let all = app.get("/tables").await.json();
    let names: Vec<String> =
        all["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    assert!(names.contains(&"invoices".to_string()));
    assert!(!names.iter().any(|n| n.contains("data_builder")), "{names:?}");
    for sensitive in ["staff", "contacts", "options", "sessions", "vault", "user_auto_login"] {
        assert!(!names.contains(&sensitive.to_string()), "{sensitive} listed");
    }
}

async fn schema_endpoint(app: &TestApp) {
    let j = app.get("/invoices/schema").await.json();
    let d = &j["data"];
    assert_eq!(d["name"], "invoices");
    assert_eq!(d["primary_key"], "id");
    let cols: Vec<&str> = d["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(cols.contains(&"total"));
    assert!(!cols.contains(&"hash"), "secret column listed");
    assert!(!cols.contains(&"token"), "secret column listed");
    let total = d["columns"].as_array().unwrap().iter().find(|c| c["name"] == "total").unwrap();
    assert_eq!(total["type"], "decimal");
    let rels: Vec<&str> = d["relations"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(rels.contains(&"client"), "{rels:?}");
    assert!(rels.contains(&"items"), "{rels:?}");
    assert!(!rels.iter().any(|r| r.contains("staff")), "relations to sensitive tables are hidden: {rels:?}");
    let clients = app.get("/clients/schema").await.json();
    assert_eq!(clients["data"]["primary_key"], "userid");
    let contracts = app.get("/contracts/schema").await.json();
    let rels: Vec<&str> =
        contracts["data"]["relations"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(rels.contains(&"client"), "contracts.client → clients is `client`: {rels:?}");
}

async fn catalog_reload_picks_up_new_tables(app: &TestApp) {
    assert_eq!(app.get("/tblmodule_widgets").await.status, 404);
    app.sql("CREATE TABLE tblmodule_widgets (name VARCHAR(50) NOT NULL, qty INT NOT NULL)").await;
    app.sql("INSERT INTO tblmodule_widgets (name, qty) VALUES ('a', 1), ('b', 2)").await;
    let reload = app.request(Method::POST, "/admin/catalog/reload", Some(&app.admin.clone()), None).await;
    assert_eq!(reload.status, 200, "{}", reload.text);
    let r = app.get("/module_widgets?sort=qty").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.rows().len(), 2);
    // No primary key: readable, not addressable by id.
    let one = app.get("/module_widgets/1").await;
    assert_eq!(one.status, 400, "{}", one.text);
    assert!(one.json()["errors"]["id"][0].as_str().unwrap().contains("no primary key"));
    // Only admins reload.
    let t = app.token(&["--table", "invoices:r"]).await;
    assert_eq!(app.request(Method::POST, "/admin/catalog/reload", Some(&t), None).await.status, 403);
}

each_dialect!(
    bearer_is_required,
    revoked_and_rotated_tokens_stop_working,
    auth_test_and_tables,
    schema_endpoint,
    catalog_reload_picks_up_new_tables,
);

mod propagation {
    use super::*;

    /// Lookups are cached for at most 5 s: a revocation reaches every instance within that.
    async fn revocation_reaches_a_warm_cache_within_five_seconds(app: &TestApp) {
        let t = app.token(&["--table", "invoices:r"]).await;
        assert_eq!(app.get_as(&t, "/invoices?per_page=1").await.status, 200);
        let rec = app.state.store.token_by_hash(&databuilder::store::tokens::hash(&t)).await.unwrap().unwrap();
        app.state.store.revoke_token(rec.id).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5100)).await;
        assert_eq!(app.get_as(&t, "/invoices?per_page=1").await.status, 401);
    }

    each_dialect!(revocation_reaches_a_warm_cache_within_five_seconds);
}

mod openapi {
    use super::*;

    async fn openapi_is_exactly_what_the_token_may_do(app: &TestApp) {
        let t = app.token(&["--table", "invoices:r", "--table", "taxes:crud"]).await;
        let doc = app.get_as(&t, "/openapi.json").await.json();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        // The resources, then the routes every token has (its `views` scope gives /views and /reports).
        let (resources, fixed): (Vec<&String>, Vec<&String>) =
            paths.into_iter().partition(|p| p.starts_with("/invoices") || p.starts_with("/taxes"));
        assert_eq!(
            resources,
            ["/invoices", "/invoices/schema", "/invoices/{id}", "/taxes", "/taxes/schema", "/taxes/{id}"]
        );
        let mut fixed: Vec<&str> = fixed.into_iter().map(String::as_str).collect();
        fixed.sort_unstable();
        assert_eq!(
            fixed,
            ["/auth/test", "/graphql", "/openapi.json", "/postman.json", "/reports", "/tables", "/views"]
        );
        assert!(doc["paths"]["/invoices"]["post"].is_null(), "no create permission, no POST");
        assert!(doc["paths"]["/taxes"]["post"].is_object());
        assert!(doc["paths"]["/taxes/{id}"]["delete"].is_object());
        let props = doc["components"]["schemas"]["invoices"]["properties"].as_object().unwrap();
        assert!(props.contains_key("total") && !props.contains_key("hash"), "secret columns are not described");
        assert_eq!(props["total"]["format"], "decimal");
        let admin = app.get("/openapi.json").await.json();
        assert!(admin["paths"]["/staff"].is_null(), "sensitive tables are absent");
    }

    each_dialect!(openapi_is_exactly_what_the_token_may_do);
}
