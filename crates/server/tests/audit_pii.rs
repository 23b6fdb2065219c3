//! No personal data in the audit log (SPEC §8, issue 14 §4), with the real
//! binary on the SQLite demo: for every PII kind the catalog detects, one column
//! of that kind is filtered on in every filter form (`filter[col]`,
//! `filter[col.op]`, `or[0][col]`, `filter=col:value`), with a cursor sorted by
//! it, and through a view parameter; none of the values may appear in the audit
//! table, in `logs tail`, or in the server's `tracing` output at debug level,
//! while the parameter names and non-personal values are kept.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use databuilder_engine::catalog::{CatalogConfig, ColumnKind};
use databuilder_engine::exec::Db;
use databuilder_engine::sql::Sql;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_databuilder"))
}

fn cli(dir: &std::path::Path, url: &str, args: &[&str]) -> String {
    let out = bin().current_dir(dir).args(args).args(["--database-url", url]).output().expect("run databuilder");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A value unique to one column, shaped to pass the column's type where it can.
fn marker(i: usize, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Decimal { .. } => format!("{}.{:02}", 7_340_000 + i, i % 100),
        ColumnKind::Date | ColumnKind::DateTime => format!("1901-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
        _ => format!("piisecret{i:03}zq"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_filters_leave_no_value_in_the_log() {
    let dir = std::env::temp_dir().join(format!("dbpii_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("demo.sqlite").display());
    cli(&dir, &url, &["demo-load", "--scale", "0.01"]);
    let created: serde_json::Value = serde_json::from_str(&cli(
        &dir,
        &url,
        &["token", "create", "--name", "pii", "--admin", "--rate", "1000000", "--json"],
    ))
    .unwrap();
    let token = created["token"].as_str().unwrap().to_string();

    // One column per PII kind, across every table of the demo.
    let db = Db::connect(&url, 1).await.unwrap();
    let cfg = CatalogConfig { prefix: "tbl".into(), ..CatalogConfig::default() };
    let cat = databuilder_engine::exec::load_catalog(&db, &cfg).await.unwrap();
    db.close().await;
    let mut by_kind = BTreeMap::new();
    for t in &cat.tables {
        for c in &t.columns {
            if let Some(kind) = c.pii {
                by_kind.entry(format!("{kind:?}")).or_insert((t.resource.clone(), c.name.clone(), c.kind));
            }
        }
    }
    assert!(by_kind.len() >= 15, "the demo has many PII kinds: {:?}", by_kind.keys());

    let log_path = dir.join("server.log");
    let mut child = bin()
        .current_dir(&dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .env("DATABUILDER_LOG", "debug")
        .env("DATABUILDER_SECURITY_IP_RATE", "1000000")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut addr = String::new();
    for line in reader.by_ref().lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Listening on http://") {
            addr = rest.split(' ').next().unwrap().to_string();
            break;
        }
    }
    let base = format!("http://{addr}/api/data_builder/v1");
    let client = reqwest::Client::new();
    let mut markers = Vec::new();
    let mut sent = 0;
    for (i, (kind, (resource, column, ckind))) in by_kind.iter().enumerate() {
        let v = marker(i, *ckind);
        let queries = [
            format!("filter[{column}]={v}&per_page=3"),
            format!("filter[{column}.eq]={v}"),
            format!("or[0][{column}]={v}&or[1][{column}.like]={v}"),
            format!("filter={column}:{v}"),
            format!("sort={column}&cursor={v}"),
        ];
        for q in queries {
            let res = client.get(format!("{base}/{resource}?{q}")).bearer_auth(&token).send().await.unwrap();
            assert!(res.status().as_u16() < 500, "{kind} {resource}?{q}: {}", res.status());
            sent += 1;
        }
        markers.push(v);
    }
    // A view parameter (whatever column it binds to).
    let secret_param = "piisecretviewparamzq";
    let res = client
        .get(format!("{base}/views/unpaid-invoices?client={secret_param}&page=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(res.status().as_u16() < 500);
    markers.push(secret_param.to_string());
    // A non-personal filter keeps its value.
    let res = client.get(format!("{base}/invoices?filter[status]=2&per_page=1")).bearer_auth(&token).send().await;
    assert_eq!(res.unwrap().status(), 200);

    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(child.wait().unwrap().success());

    let db = Db::connect(&url, 1).await.unwrap();
    let sql = Sql::fixed_table(db.dialect(), "SELECT path FROM {t}", "tbldata_builder_api_logs", vec![]);
    let paths: Vec<String> = db
        .fetch_all(&sql, &[Some(ColumnKind::Text)])
        .await
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    db.close().await;
    assert!(paths.len() > sent, "every request recorded: {} of {sent}", paths.len());
    let tail = cli(&dir, &url, &["logs", "tail", "-n", "1000"]);
    let mut tracing_out = String::new();
    std::fs::File::open(&log_path).unwrap().read_to_string(&mut tracing_out).unwrap();
    assert!(tracing_out.contains("DEBUG"), "the server logged at debug level");
    for m in &markers {
        for (place, text) in
            [("audit table", paths.join("\n")), ("logs tail", tail.clone()), ("tracing", tracing_out.clone())]
        {
            assert!(!text.contains(m.as_str()), "{m} found in the {place}");
        }
    }
    assert!(paths.iter().any(|p| p.contains("filter[status]=2")), "non-personal values are kept: {paths:?}");
    assert!(paths.iter().any(|p| p.contains("filter[email]=REDACTED")), "names kept, values marked");
    assert!(paths.iter().any(|p| p.contains("per_page=3")), "list parameters kept");
    let _ = std::fs::remove_dir_all(&dir);
}
