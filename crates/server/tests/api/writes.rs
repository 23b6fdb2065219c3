//! Writes: JSON, form and multipart bodies, batches (all-or-nothing), the
//! mass-assignment guard, Idempotency-Key, ETag/If-Match, dry_run and sandbox.

use reqwest::Method;
use serde_json::{Value as J, json};

use crate::each_dialect;
use crate::helpers::{TestApp, read};

async fn count(app: &TestApp, path: &str) -> i64 {
    app.get(&format!("{path}?per_page=1")).await.json()["meta"]["total"].as_i64().unwrap()
}

async fn create_one_and_many(app: &TestApp) {
    let r = app.send(Method::POST, "/taxes", &json!({"name": "VAT", "taxrate": "19.50"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = &r.json()["data"];
    assert_eq!(d["name"], "VAT");
    assert_eq!(d["taxrate"], "19.50", "DECIMAL round-trips exactly");
    let id = d["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/taxes/{id}")).await.json()["data"]["taxrate"], "19.50");

    let before = count(app, "/taxes").await;
    let batch = json!([{"name": "A", "taxrate": 1}, {"name": "B", "taxrate": "2.25"}, {"name": "C", "taxrate": 3.5}]);
    let r = app.send(Method::POST, "/taxes", &batch).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.rows().len(), 3);
    assert_eq!(count(app, "/taxes").await, before + 3);

    // All or nothing: the third row is invalid, nothing is written.
    let bad = json!([{"name": "D", "taxrate": 1}, {"name": "E", "taxrate": 2}, {"name": "F", "taxrate": "lots"}]);
    let r = app.send(Method::POST, "/taxes", &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.json()["errors"]["[2].taxrate"].is_array(), "{}", r.text);
    assert_eq!(count(app, "/taxes").await, before + 3);
    // A database-level failure mid-batch also rolls back: name longer than varchar(100).
    let long = "x".repeat(101);
    let r = app.send(Method::POST, "/taxes", &json!([{"name": "G", "taxrate": 1}, {"name": long, "taxrate": 1}])).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(count(app, "/taxes").await, before + 3);

    let too_many: Vec<J> = (0..1001).map(|i| json!({"name": format!("n{i}"), "taxrate": 1})).collect();
    let r = app.send(Method::POST, "/taxes", &J::Array(too_many)).await;
    assert!(r.status == 400 || r.status == 413, "{}", r.status);
    assert_eq!(count(app, "/taxes").await, before + 3);
}

async fn form_and_multipart_bodies(app: &TestApp) {
    let form = app
        .client
        .post(format!("{}/taxes", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Form+Tax&taxrate=7.25");
    let r = read(form).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["data"]["taxrate"], "7.25");
    let boundary = "XyZ123";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nMultipart Tax\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"taxrate\"\r\n\r\n8\r\n--{boundary}--\r\n"
    );
    let mp = app
        .client
        .post(format!("{}/taxes", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    let r = read(mp).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["data"]["name"], "Multipart Tax");
    let xml = app
        .client
        .post(format!("{}/taxes", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "application/xml")
        .body("<a/>");
    assert_eq!(read(xml).await.status, 415);
}

async fn mass_assignment_guard(app: &TestApp) {
    let r = app
        .send(
            Method::POST,
            "/invoices",
            &json!({"id": 5, "hash": "x", "nonsense": 1, "total": "abc", "clientid": "seven", "sent": [1]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let e = &r.json()["errors"];
    for field in ["id", "hash", "nonsense", "total", "clientid", "sent"] {
        assert!(e[field].is_array(), "{field} must be refused: {e}");
    }
    assert_eq!(e["hash"][0], "unknown column", "secret columns look unknown");
    assert!(e["date"][0].as_str().unwrap().contains("required"), "{e}");
    let r = app.send(Method::POST, "/taxes", &json!({"taxrate": null, "name": "n"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"]["taxrate"][0], "may not be null");
    for body in ["", "[]", "42", "{\"a\":", "[1,2]"] {
        let rb = app
            .client
            .post(format!("{}/taxes", app.base))
            .bearer_auth(&app.admin)
            .header("content-type", "application/json")
            .body(body);
        let r = read(rb).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.json()["errors"]["body"].is_array());
    }
}

async fn secret_not_null_columns_are_generated(app: &TestApp) {
    // Perfex invoices need a random `hash` (a capability secret the caller can neither see nor set).
    let body = json!({
        "clientid": 1, "number": 9001, "datecreated": "2026-01-02T03:04:05", "date": "2026-01-02",
        "currency": 1, "subtotal": "100.00", "total": "119.00", "total_tax": "19.00",
        "discount_type": "", "include_shipping": 0, "status": 1
    });
    let r = app.send(Method::POST, "/invoices", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = &r.json()["data"];
    assert_eq!(d["total"], "119.00");
    assert_eq!(d["datecreated"], "2026-01-02T03:04:05");
    assert!(d.get("hash").is_none());
}

async fn idempotency_key(app: &TestApp) {
    let before = count(app, "/taxes").await;
    let send = || {
        app.client
            .post(format!("{}/taxes", app.base))
            .bearer_auth(&app.admin)
            .header("idempotency-key", "abc-123")
            .json(&json!({"name": "Once", "taxrate": "5.00"}))
    };
    let a = read(send()).await;
    let b = read(send()).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(b.status, 201);
    assert_eq!(a.json(), b.json(), "the replay is the first response");
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(count(app, "/taxes").await, before + 1, "written once");
    let other = app
        .client
        .post(format!("{}/taxes", app.base))
        .bearer_auth(&app.admin)
        .header("idempotency-key", "abc-123")
        .json(&json!({"name": "Different", "taxrate": "5.00"}));
    assert_eq!(read(other).await.status, 409, "same key, different request");
}

async fn update_with_etag_and_delete(app: &TestApp) {
    let get = app.get("/taxes/1").await;
    let tag = get.header("etag").unwrap().to_string();
    let stale = "\"0000000000\"";
    let put = |tag: String, body: J| {
        app.client.put(format!("{}/taxes/1", app.base)).bearer_auth(&app.admin).header("if-match", tag).json(&body)
    };
    let r = read(put(stale.into(), json!({"name": "Nope"}))).await;
    assert_eq!(r.status, 412, "{}", r.text);
    assert_ne!(app.get("/taxes/1").await.json()["data"]["name"], "Nope");
    let r = read(put(tag.clone(), json!({"name": "Renamed"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["data"]["name"], "Renamed");
    let new_tag = r.header("etag").unwrap().to_string();
    assert_ne!(new_tag, tag);
    let r = read(put(tag, json!({"name": "Lost update"}))).await;
    assert_eq!(r.status, 412, "the old ETag no longer matches");
    let patch = app.send(Method::PATCH, "/taxes/1", &json!({"taxrate": "1.10"})).await;
    assert_eq!(patch.status, 200);
    assert_eq!(patch.json()["data"]["name"], "Renamed");
    assert_eq!(patch.json()["data"]["taxrate"], "1.10");
    let bad = app.send(Method::PATCH, "/taxes/1", &json!({"id": 2})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(app.send(Method::PATCH, "/taxes/999999", &json!({"name": "x"})).await.status, 404);
    let del = app.request(Method::DELETE, "/taxes/1", Some(&app.admin.clone()), None).await;
    assert_eq!(del.status, 200, "{}", del.text);
    assert_eq!(del.json()["status"], "ok");
    assert_eq!(app.get("/taxes/1").await.status, 404);
    assert_eq!(app.request(Method::DELETE, "/taxes/1", Some(&app.admin.clone()), None).await.status, 404);
}

async fn dry_run_and_sandbox_write_nothing(app: &TestApp) {
    let before = count(app, "/taxes").await;
    let r = app.send(Method::POST, "/taxes?dry_run=true", &json!({"name": "Dry", "taxrate": "3.00"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["data"]["name"], "Dry");
    assert_eq!(r.json()["meta"]["dry_run"], true);
    assert_eq!(count(app, "/taxes").await, before);
    let upd = app.send(Method::PATCH, "/taxes/2?dry_run=true", &json!({"name": "Dry rename"})).await;
    assert_eq!(upd.json()["data"]["name"], "Dry rename");
    assert_ne!(app.get("/taxes/2").await.json()["data"]["name"], "Dry rename");
    let sandbox = app.token(&["--sandbox"]).await;
    let r = app.request(Method::POST, "/taxes", Some(&sandbox), Some(&json!({"name": "Sandbox", "taxrate": 1}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-dry-run"), Some("true"));
    let r = app.request(Method::DELETE, "/taxes/2", Some(&sandbox), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(count(app, "/taxes").await, before, "sandbox writes roll back");
    assert_eq!(app.get("/taxes/2").await.status, 200);
    assert_eq!(app.send(Method::POST, "/taxes?dry_run=maybe", &json!({})).await.status, 400);
}

each_dialect!(
    create_one_and_many,
    form_and_multipart_bodies,
    mass_assignment_guard,
    secret_not_null_columns_are_generated,
    idempotency_key,
    update_with_etag_and_delete,
    dry_run_and_sandbox_write_nothing,
);
