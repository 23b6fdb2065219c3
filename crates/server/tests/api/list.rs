//! Lists: the envelope, every list parameter, value typing, includes, formats.
//! Expected results are computed here from the full table, independently of
//! the server's SQL.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde_json::Value as J;

use crate::each_dialect;
use crate::helpers::TestApp;

fn dec(v: &J) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("decimal as string: {v}")).parse().unwrap()
}

fn ids(rows: &[J]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

async fn envelope_and_typing(app: &TestApp) {
    let r = app.get("/invoices").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let j = r.json();
    assert_eq!(j["data"].as_array().unwrap().len(), 25);
    assert_eq!(j["meta"]["total"], 200);
    assert_eq!(j["meta"]["page"], 1);
    assert_eq!(j["meta"]["current_page"], 1);
    assert_eq!(j["meta"]["per_page"], 25);
    assert!(j["links"]["next"].as_str().unwrap().contains("page=2"));
    assert!(j["links"]["last"].as_str().unwrap().contains("page=8"));
    assert!(j["links"]["prev"].is_null());
    let row = &j["data"][0];
    assert!(row["id"].is_i64());
    let total = row["total"].as_str().expect("DECIMAL as a string");
    assert_eq!(total.split('.').nth(1).map(str::len), Some(2), "scale kept: {total}");
    assert_eq!(row["date"].as_str().unwrap().len(), 10);
    let dc = row["datecreated"].as_str().unwrap();
    assert_eq!(&dc[10..11], "T", "ISO 8601 datetime: {dc}");
    assert!(row.get("hash").is_none() && row.get("token").is_none(), "secret columns are never returned");

    let last = app.get("/invoices?page=8").await.json();
    assert_eq!(last["data"].as_array().unwrap().len(), 25);
    assert!(last["links"]["next"].is_null());
    let none = app.get("/invoices?count=none&per_page=10").await.json();
    assert!(none["meta"]["total"].is_null());
    assert!(none["links"]["next"].is_string());
    let beyond = app.get("/invoices?page=99").await.json();
    assert_eq!(beyond["data"].as_array().unwrap().len(), 0);
}

async fn fields_and_sort(app: &TestApp) {
    let rows = app.get("/invoices?fields=id,total&per_page=3").await.rows();
    for r in &rows {
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "total"]);
    }
    let mut all = app.all("/invoices?fields=id,status,total").await;
    assert_eq!(all.len(), 200);
    // sort by a non-unique column: ties broken by the primary key.
    let sorted = app.all("/invoices?fields=id,status,total&sort=-status").await;
    all.sort_by(|a, b| b["status"].as_i64().cmp(&a["status"].as_i64()).then(a["id"].as_i64().cmp(&b["id"].as_i64())));
    assert_eq!(ids(&sorted), ids(&all));
    let by_total = app.all("/invoices?fields=id,total&sort=total").await;
    let totals: Vec<Decimal> = by_total.iter().map(|r| dec(&r["total"])).collect();
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "numeric order, not text order");
}

async fn every_filter_operator(app: &TestApp) {
    let all = app.all("/invoices?fields=id,status,total,date,clientid,prefix,datesend").await;
    let expect =
        |pred: &dyn Fn(&J) -> bool| -> Vec<i64> { ids(&all.iter().filter(|r| pred(r)).cloned().collect::<Vec<_>>()) };
    let got = |q: &'static str| async move { ids(&app.all(&format!("/invoices?fields=id&{q}")).await) };
    let st = |r: &J| r["status"].as_i64().unwrap();
    let tot = |r: &J| dec(&r["total"]);
    let thousand: Decimal = "1000".parse().unwrap();
    assert_eq!(got("filter[status]=2").await, expect(&|r| st(r) == 2));
    assert_eq!(got("filter[status.eq]=2").await, expect(&|r| st(r) == 2));
    assert_eq!(got("filter=status:2").await, expect(&|r| st(r) == 2));
    assert_eq!(got("filter[status.ne]=2").await, expect(&|r| st(r) != 2));
    assert_eq!(got("filter[total.gt]=1000").await, expect(&|r| tot(r) > thousand));
    assert_eq!(got("filter[total.gte]=1000").await, expect(&|r| tot(r) >= thousand));
    assert_eq!(got("filter[total.lt]=1000").await, expect(&|r| tot(r) < thousand));
    assert_eq!(got("filter[total.lte]=1000").await, expect(&|r| tot(r) <= thousand));
    assert_eq!(got("filter[status.in]=1,4").await, expect(&|r| [1, 4].contains(&st(r))));
    assert_eq!(got("filter[status.not_in]=1,4").await, expect(&|r| ![1, 4].contains(&st(r))));
    assert_eq!(got("filter[datesend.is_null]=true").await, expect(&|r| r["datesend"].is_null()));
    assert_eq!(got("filter[datesend.is_null]=false").await, expect(&|r| !r["datesend"].is_null()));
    assert_eq!(
        got("filter[date.between]=2024-01-01,2024-12-31").await,
        expect(&|r| {
            let d = r["date"].as_str().unwrap();
            ("2024-01-01"..="2024-12-31").contains(&d)
        })
    );
    assert_eq!(
        got("filter[prefix.like]=INV%").await,
        expect(&|r| r["prefix"].as_str().is_some_and(|p| p.starts_with("INV")))
    );
    assert_eq!(
        got("filter[prefix.starts_with]=IN").await,
        expect(&|r| r["prefix"].as_str().is_some_and(|p| p.starts_with("IN")))
    );
    assert_eq!(
        got("filter[prefix.contains]=NV").await,
        expect(&|r| r["prefix"].as_str().is_some_and(|p| p.contains("NV")))
    );
    assert_eq!(got("filter[prefix.contains]=%25").await, Vec::<i64>::new(), "% is matched literally");
    assert_eq!(
        got("filter[status]=2&filter[total.gt]=1000").await,
        expect(&|r| st(r) == 2 && tot(r) > thousand),
        "filters are ANDed"
    );
    assert_eq!(
        got("or[0][status]=1&or[1][status]=4&or[1][total.gt]=1000").await,
        expect(&|r| st(r) == 1 || (st(r) == 4 && tot(r) > thousand)),
    );
    assert!(!expect(&|r| st(r) == 2).is_empty(), "the demo data exercises the filters");
}

async fn cursor_pagination(app: &TestApp) {
    for sort in ["-total", "date,-id", "datesend", "-datesend"] {
        let offset = ids(&app.all(&format!("/invoices?fields=id&sort={sort}")).await);
        let mut seen = Vec::new();
        let mut url = format!("/invoices?fields=id&sort={sort}&per_page=37&cursor=");
        loop {
            let j = app.get(&url).await.json();
            seen.extend(ids(j["data"].as_array().unwrap()));
            match j["links"]["next"].as_str() {
                Some(next) => url = next.trim_start_matches("/api/data_builder/v1").to_string(),
                None => break,
            }
        }
        assert_eq!(seen, offset, "keyset pages equal the offset order for sort={sort}");
    }
    let first = app.get("/invoices?per_page=5&cursor=").await.json();
    let next = first["links"]["next"].as_str().unwrap().to_string();
    let cursor = next.split("cursor=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let mut forged = cursor.clone().into_bytes();
    forged[2] = if forged[2] == b'A' { b'B' } else { b'A' };
    let r = app.get(&format!("/invoices?cursor={}", String::from_utf8(forged).unwrap())).await;
    assert_eq!(r.status, 400);
    assert!(r.json()["errors"]["cursor"].is_array());
    let other_sort = app.get(&format!("/invoices?sort=-total&cursor={cursor}")).await;
    assert_eq!(other_sort.status, 400, "a cursor is bound to its sort");
    assert_eq!(app.get("/invoices?cursor=garbage").await.status, 400);
}

async fn since_parameter(app: &TestApp) {
    let all = app.all("/invoices?fields=id,datecreated").await;
    let mut stamps: Vec<String> = all.iter().map(|r| r["datecreated"].as_str().unwrap().to_string()).collect();
    stamps.sort();
    let pivot = stamps[stamps.len() / 2].clone();
    let rows = app.all(&format!("/invoices?fields=id,datecreated&since={pivot}")).await;
    let expected = stamps.iter().filter(|s| **s > pivot).count();
    assert_eq!(rows.len(), expected);
    let got: Vec<&str> = rows.iter().map(|r| r["datecreated"].as_str().unwrap()).collect();
    assert!(got.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let unix = app.get("/invoices?since=0&per_page=1").await.json();
    assert_eq!(unix["meta"]["total"], 200);
    assert_eq!(app.get("/invoices?since=yesterday").await.status, 400);
    let none = app.get("/countries?since=2024-01-01").await;
    assert_eq!(none.status, 400, "countries have no timestamp column");
    assert!(none.json()["errors"]["since"].is_array());
}

async fn includes_embed_related_rows(app: &TestApp) {
    let rows = app.get("/invoices?include=client,items&per_page=50&fields=id,clientid,total").await.rows();
    for r in &rows {
        assert_eq!(r["client"]["userid"], r["clientid"], "belongs-to embeds the client");
        let items = r["items"].as_array().expect("has-many embeds an array");
        assert_eq!(items.len(), 3, "three line items per invoice");
        assert!(items.iter().all(|i| i["rel_id"] == r["id"] && i["rel_type"] == "invoice"));
    }
    // Three levels: clients → invoices → items.
    let c = app.get("/clients?include=invoices.items&per_page=5").await.rows();
    let mut invoices = 0;
    for client in &c {
        for inv in client["invoices"].as_array().unwrap() {
            assert_eq!(inv["clientid"], client["userid"]);
            assert_eq!(inv["items"].as_array().unwrap().len(), 3);
            invoices += 1;
        }
    }
    assert!(invoices > 0);
    let one = app.get("/invoices/1?include=client,invoicepaymentrecords").await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert!(one.json()["data"]["client"].is_object());
    assert_eq!(app.get("/invoices?include=nothing").await.status, 400);
    assert_eq!(app.get("/invoices?include=a.b.c.d").await.status, 400);
    let staff = app.get("/invoices?include=sale_agent_staff").await;
    assert_eq!(staff.status, 403, "a sensitive table is refused through include too");
}

async fn csv_and_ndjson_stream_every_row(app: &TestApp) {
    let csv = app.get("/invoices?format=csv&fields=id,total,clientnote").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "id,total,clientnote");
    let records = csv.text.matches("\r\n").count() - 1;
    assert_eq!(records, 200, "CSV export streams every row");
    let nd = app.get("/invoices?format=ndjson&filter[status]=2&include=client").await;
    assert_eq!(nd.header("content-type"), Some("application/x-ndjson"));
    let rows: Vec<J> = nd.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let total = app.get("/invoices?filter[status]=2&per_page=1").await.json()["meta"]["total"].as_u64().unwrap();
    assert_eq!(rows.len() as u64, total);
    assert!(rows.iter().all(|r| r["client"]["userid"] == r["clientid"]));
    let accept = app
        .client
        .get(format!("{}/invoices?per_page=2", app.base))
        .bearer_auth(&app.admin)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(accept.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let paged = app.get("/invoices?format=ndjson&per_page=7&page=2").await;
    assert_eq!(paged.text.lines().count(), 7, "explicit paging applies to exports");
}

async fn get_by_id(app: &TestApp) {
    let r = app.get("/clients/3").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["data"]["userid"], 3);
    assert!(r.header("etag").is_some());
    assert_eq!(app.get("/clients/999999").await.status, 404);
    assert_eq!(app.get("/clients/abc").await.status, 404);
    assert_eq!(app.get("/nonexistent/1").await.status, 404);
    let f = app.get("/clients/3?fields=userid,company").await.json();
    assert_eq!(f["data"].as_object().unwrap().len(), 2);
    assert_eq!(app.get("/clients/3?sort=company").await.status, 400);
    let distinct: BTreeSet<i64> =
        app.all("/invoices?fields=id").await.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(distinct.len(), 200);
}

each_dialect!(
    envelope_and_typing,
    fields_and_sort,
    every_filter_operator,
    cursor_pagination,
    since_parameter,
    includes_embed_related_rows,
    csv_and_ndjson_stream_every_row,
    get_by_id,
);
