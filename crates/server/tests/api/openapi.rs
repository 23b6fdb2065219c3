//! The per-token OpenAPI document and Postman collection: every operation lists
//! its problem statuses, the column enums are the catalog's visible columns, a
//! narrow token's documents hold only what it may do, and documented value
//! formats are what the server really sends. (The fuzzing counterpart is
//! `.ci/openapi.sh`, schemathesis against the demo.)

use serde_json::Value as J;

use crate::each_dialect;
use crate::helpers::TestApp;
use databuilder::cli::defs::apply_built_in;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn operations(doc: &J) -> Vec<(String, String, J)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((path.clone(), m.to_string(), op.clone()));
            }
        }
    }
    out
}

fn param<'a>(op: &'a J, name: &str) -> Option<&'a J> {
    op["parameters"].as_array()?.iter().find(|p| p["name"] == name)
}

fn enum_of(p: &J) -> Vec<String> {
    p["schema"]["items"]["enum"].as_array().expect("an enum").iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// Paths of resources (everything but the fixed routes).
fn resource_paths(doc: &J) -> Vec<String> {
    let fixed = ["/auth/test", "/tables", "/openapi.json", "/postman.json", "/graphql", "/views", "/reports"];
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| !fixed.contains(&p.as_str()) && !p.starts_with("/views/") && !p.starts_with("/report"))
        .filter(|p| !p.starts_with("/admin/"))
        .cloned()
        .collect()
}

async fn every_operation_lists_its_problems(app: &TestApp) {
    apply_built_in(&app.state.store, &app.state.catalog()).await.expect("definitions");
    let doc = app.get("/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let problem = &doc["components"]["schemas"]["Problem"];
    assert_eq!(problem["required"][5], "request_id");
    let ops = operations(&doc);
    assert!(ops.len() > 100, "{} operations", ops.len());
    for (path, method, op) in &ops {
        let responses = op["responses"].as_object().unwrap();
        for status in ["400", "401", "403", "429", "503"] {
            let r = responses.get(status).unwrap_or_else(|| panic!("{method} {path} lacks {status}"));
            assert_eq!(r["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
        }
        let extra: &[&str] = match method.as_str() {
            "post" if path != "/graphql" && !path.starts_with("/admin") => &["408", "409", "413", "415", "422"],
            "put" | "patch" => &["404", "409", "412", "413", "415", "422"],
            "delete" => &["404", "409", "412"],
            "get" if path.ends_with("{id}") || path.starts_with("/views/") || path.starts_with("/reports/") => &["404"],
            "get" if path.starts_with("/report-groups/") => &["404"],
            _ => &[],
        };
        for status in extra {
            assert!(responses.contains_key(*status), "{method} {path} lacks {status}");
        }
    }
    // Views carry their declared parameters; reports and groups are there.
    let view = &doc["paths"]["/views/client-invoices"]["get"];
    assert_eq!(param(view, "client").expect("declared parameter")["required"], true);
    let mut fields = enum_of(param(view, "fields").unwrap());
    fields.sort();
    assert_eq!(fields, ["clientid", "date", "duedate", "id", "number", "status", "total"], "only the view's fields");
    assert!(doc["paths"]["/reports/revenue-by-month"]["get"].is_object());
    assert!(doc["paths"]["/report-groups/finance"]["get"].is_object());
    // A body of a write: an object or an array of at most 1000.
    let body = &doc["paths"]["/taxes"]["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"];
    assert_eq!(body[1]["maxItems"], 1000);
    let create = &doc["components"]["schemas"]["taxes.create"];
    assert_eq!(create["additionalProperties"], false);
    assert!(create["properties"].get("id").is_none(), "an auto-increment key is not writable");
}

async fn fields_enum_is_the_catalog_minus_secrets(app: &TestApp) {
    let doc = app.get("/openapi.json").await.json();
    let catalog = app.state.catalog();
    for resource in ["invoices", "clients", "leads"] {
        let t = &catalog.tables[catalog.resource(resource).unwrap()];
        let expected: Vec<String> = t.columns.iter().filter(|c| !c.secret).map(|c| c.name.clone()).collect();
        let op = &doc["paths"][format!("/{resource}")]["get"];
        assert_eq!(enum_of(param(op, "fields").unwrap()), expected, "{resource}");
        let sort = enum_of(param(op, "sort").unwrap());
        assert_eq!(sort.len(), expected.len() * 2);
        assert!(sort.contains(&format!("-{}", expected[0])));
    }
    let invoices = enum_of(param(&doc["paths"]["/invoices"]["get"], "fields").unwrap());
    assert!(invoices.contains(&"total".to_string()) && !invoices.contains(&"hash".to_string()));
    let op = &doc["paths"]["/invoices"]["get"];
    assert_eq!(param(op, "per_page").unwrap()["schema"]["maximum"], 500);
    assert_eq!(param(op, "page").unwrap()["schema"]["minimum"], 1);
    assert_eq!(param(op, "filter").unwrap()["style"], "deepObject");
    assert!(enum_of(param(op, "include").unwrap()).contains(&"client".to_string()));
}

/// What the document says of a datetime and a date is what the server sends.
async fn datetimes_match_their_documented_pattern(app: &TestApp) {
    let doc = app.get("/openapi.json").await.json();
    let props = &doc["components"]["schemas"]["invoices"]["properties"];
    assert_eq!(props["date"]["format"], "date");
    let pattern = props["datecreated"]["pattern"].as_str().expect("datetime pattern");
    assert!(props["datecreated"].get("format").is_none(), "no date-time format: there is no offset");
    let rows = app.get("/invoices?fields=date,datecreated&per_page=5").await.rows();
    assert!(!rows.is_empty());
    for row in rows {
        let dt = row["datecreated"].as_str().expect("a datetime string");
        // The documented shape, checked without a regex engine: YYYY-MM-DDTHH:MM:SS.
        let b = dt.as_bytes();
        assert_eq!(b.len(), 19, "{dt}");
        assert!(b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        }));
        assert!(chrono::NaiveDateTime::parse_from_str(dt, "%Y-%m-%dT%H:%M:%S").is_ok(), "{dt}");
        assert!(pattern.starts_with('^') && pattern.ends_with("T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"));
        let d = row["date"].as_str().expect("a date");
        assert!(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok(), "{d}");
    }
}

async fn narrow_token_sees_two_resources_and_no_writes(app: &TestApp) {
    let t = app
        .token(&[
            "--table",
            "invoices:r",
            "--table",
            "clients:r",
            "--row-filter",
            "invoices:clientid=3",
            "--scope",
            "tables",
        ])
        .await;
    let doc = app.get_as(&t, "/openapi.json").await.json();
    let mut paths = resource_paths(&doc);
    paths.sort();
    assert_eq!(
        paths,
        ["/clients", "/clients/schema", "/clients/{id}", "/invoices", "/invoices/schema", "/invoices/{id}"]
    );
    for (path, method, _) in operations(&doc) {
        assert!(method == "get" || path == "/graphql", "{method} {path}: a read-only token has no write operation");
    }
    assert!(doc["paths"]["/views"].is_null(), "no `views` scope, no definitions");
    let include = enum_of(param(&doc["paths"]["/invoices"]["get"], "include").unwrap());
    assert!(include.iter().all(|r| r == "client"), "only relations to readable tables: {include:?}");
    let schemas: Vec<&String> = doc["components"]["schemas"].as_object().unwrap().keys().collect();
    assert!(schemas.iter().all(|s| !s.ends_with(".create") && !s.ends_with(".update")));

    let pm = app.get_as(&t, "/postman.json").await.json();
    let folders: Vec<&str> = pm["item"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(folders, ["meta", "clients", "invoices"]);
    for folder in pm["item"].as_array().unwrap() {
        for item in folder["item"].as_array().unwrap() {
            let m = item["request"]["method"].as_str().unwrap();
            let raw = item["request"]["url"]["raw"].as_str().unwrap();
            assert!(m == "GET" || raw.ends_with("/graphql"), "{m} {raw}");
            assert!(raw.starts_with("{{baseUrl}}/"));
        }
    }
}

async fn postman_collection_has_the_v21_shape(app: &TestApp) {
    apply_built_in(&app.state.store, &app.state.catalog()).await.expect("definitions");
    let pm = app.get("/postman.json").await.json();
    assert_eq!(pm["info"]["schema"], "https://schema.getpostman.com/json/collection/v2.1.0/collection.json");
    assert_eq!(pm["auth"]["type"], "bearer");
    assert_eq!(pm["auth"]["bearer"][0]["value"], "{{token}}");
    let vars: Vec<&str> = pm["variable"].as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap()).collect();
    assert_eq!(vars, ["baseUrl", "token"]);
    assert!(pm["variable"][0]["value"].as_str().unwrap().ends_with("/api/data_builder/v1"));
    // The v2.1 shape (the published schema is not vendored, see docs/openapi.md): folders
    // hold items, each item a name and a request with a method and a URL.
    assert!(pm["info"]["name"].is_string());
    for folder in pm["item"].as_array().unwrap() {
        assert!(folder["name"].is_string() && folder.get("request").is_none());
        for item in folder["item"].as_array().expect("a folder holds items") {
            assert!(item["name"].as_str().is_some_and(|n| !n.is_empty()));
            let req = &item["request"];
            assert!(["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&req["method"].as_str().unwrap()));
            assert!(req["header"].is_array());
            assert!(req["url"]["raw"].is_string() && req["url"]["host"][0] == "{{baseUrl}}");
            if let Some(body) = req.get("body") {
                assert_eq!(body["mode"], "raw");
                serde_json::from_str::<J>(body["raw"].as_str().unwrap()).expect("a JSON body");
            }
        }
    }
    let folders: Vec<&str> = pm["item"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(folders.contains(&"views") && folders.contains(&"reports") && folders.contains(&"invoices"));
    assert!(!folders.contains(&"staff"), "sensitive tables are absent, as in the OpenAPI document");
    // The same resources as the OpenAPI document.
    let doc = app.get("/openapi.json").await.json();
    let mut from_doc: Vec<String> = resource_paths(&doc)
        .into_iter()
        .filter(|p| !p.ends_with("/schema") && !p.ends_with("{id}"))
        .map(|p| p.trim_start_matches('/').to_string())
        .collect();
    from_doc.sort();
    let mut from_pm: Vec<String> =
        folders.iter().filter(|f| !["meta", "views", "reports"].contains(f)).map(|f| f.to_string()).collect();
    from_pm.sort();
    assert_eq!(from_pm, from_doc);
    // Every example request of the collection answers (writes are dry runs).
    let taxes = pm["item"].as_array().unwrap().iter().find(|f| f["name"] == "taxes").unwrap();
    for item in taxes["item"].as_array().unwrap() {
        let req = &item["request"];
        let url = req["url"]["raw"].as_str().unwrap().replace("{{baseUrl}}", &app.base);
        let method = reqwest::Method::from_bytes(req["method"].as_str().unwrap().as_bytes()).unwrap();
        let mut rb = app.client.request(method, url.clone()).bearer_auth(&app.admin);
        if let Some(body) = req["body"]["raw"].as_str() {
            rb = rb.header("content-type", "application/json").body(body.to_string());
        }
        let r = crate::helpers::read(rb).await;
        assert!(r.status < 300, "{url}: {} {}", r.status, r.text);
    }
}

each_dialect!(
    every_operation_lists_its_problems,
    fields_enum_is_the_catalog_minus_secrets,
    datetimes_match_their_documented_pattern,
    narrow_token_sees_two_resources_and_no_writes,
    postman_collection_has_the_v21_shape,
);
