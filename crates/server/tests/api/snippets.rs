//! `POST /snippets`: each snippet, run as printed (cURL with bash, Python with
//! `requests`, JavaScript with Node, PHP when installed), gets the same body as
//! the direct call — with quotes, brackets, OR groups and a JSON body with
//! shell and string metacharacters, and for a token that signs its requests.
//! A language whose runtime is missing is skipped with a printed reason.

use std::process::Command;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value as J, json};
use sha2::{Digest, Sha256};

use crate::each_dialect;
use crate::helpers::{Resp, TestApp, read};

/// A runtime for one language, or the reason it is skipped.
fn runtime(lang: &str) -> Result<(&'static str, &'static str), String> {
    let (cmd, ext, probe): (&str, &str, &[&str]) = match lang {
        "curl" => ("bash", "sh", &["-c", "command -v curl && command -v openssl"]),
        "python" => ("python3", "py", &["-c", "import requests"]),
        "javascript" => ("node", "mjs", &["-e", "if (typeof fetch !== 'function') process.exit(1)"]),
        "php" => ("php", "php", &["-r", "exit(function_exists('curl_init') ? 0 : 1);"]),
        _ => unreachable!("no such language"),
    };
    match Command::new(cmd).args(probe).output() {
        Ok(o) if o.status.success() => Ok((cmd, ext)),
        Ok(_) => Err(format!("{cmd} is there but lacks what the {lang} snippet needs")),
        Err(e) => Err(format!("{cmd} not found ({e})")),
    }
}

/// Run a snippet with the token (and secret) in the environment; its stdout.
fn run(lang: &str, code: &str, token: &str, secret: Option<&str>) -> Option<String> {
    let (cmd, ext) = match runtime(lang) {
        Ok(r) => r,
        Err(why) => {
            eprintln!("skipping the {lang} snippet: {why}");
            return None;
        }
    };
    let dir = std::env::temp_dir().join(format!("dbsnip_{}_{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("request.{ext}"));
    std::fs::write(&file, code).unwrap();
    let mut c = Command::new(cmd);
    c.arg(&file).env("DATABUILDER_TOKEN", token).env_remove("DATABUILDER_HMAC_SECRET");
    if let Some(s) = secret {
        c.env("DATABUILDER_HMAC_SECRET", s);
    }
    let out = c.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{lang} snippet failed: {}\n{code}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

fn parse(lang: &str, out: &str) -> J {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{lang} printed no JSON ({e}): {out}"))
}

async fn snippets_of(app: &TestApp, token: &str, req: &J) -> J {
    let r = app.request(Method::POST, "/snippets", Some(token), Some(req)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["data"].clone()
}

/// Every snippet of `req`, run, prints `expected`.
fn all_agree(s: &J, token: &str, secret: Option<&str>, expected: &J) {
    let mut ran = 0;
    for lang in ["curl", "python", "javascript", "php"] {
        let code = s[lang].as_str().unwrap();
        assert!(code.contains("DATABUILDER_TOKEN") && !code.contains(token), "{lang} reads the token from the env");
        if let Some(secret) = secret {
            assert!(code.contains("DATABUILDER_HMAC_SECRET") && !code.contains(secret), "{lang} signs");
        }
        if let Some(out) = run(lang, code, token, secret) {
            assert_eq!(&parse(lang, &out), expected, "{lang} snippet, run as printed:\n{code}");
            ran += 1;
        }
    }
    assert!(ran >= 1, "at least the cURL snippet runs");
}

async fn direct(app: &TestApp, method: Method, path: &str, query: &str, body: Option<&J>) -> Resp {
    let url = format!("{}{path}?{query}", app.base);
    let mut rb = app.client.request(method, url).bearer_auth(&app.admin);
    if let Some(b) = body {
        rb = rb.json(b);
    }
    read(rb).await
}

async fn snippets_run_as_printed(app: &TestApp) {
    let tricky = r#"O'Brien "&" [x] $HOME `id` \ ünï"#;
    let cases: Vec<(Method, &str, String, Option<J>)> = vec![
        (
            Method::GET,
            "/clients",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("or[0][company.like]", "%a%")
                .append_pair("or[1][company.starts_with]", tricky)
                .append_pair("fields", "userid,company")
                .append_pair("sort", "-userid")
                .append_pair("per_page", "3")
                .finish(),
            None,
        ),
        (Method::GET, "/invoices", "filter[status.in]=1,2&include=client&per_page=2&sort=id".into(), None),
        (Method::PATCH, "/clients/1", "dry_run=true".into(), Some(json!({"company": tricky, "city": "a\nb\t'c'"}))),
    ];
    for (method, path, query, body) in cases {
        let want = direct(app, method.clone(), path, &query, body.as_ref()).await;
        assert_eq!(want.status, 200, "{method} {path}?{query}: {}", want.text);
        let req = json!({"method": method.as_str(), "path": path, "query": query, "body": body});
        let s = snippets_of(app, &app.admin, &req).await;
        assert_eq!(s["signed"], false);
        all_agree(&s, &app.admin, None, &want.json());
    }
}

fn sign(secret: &str, method: &str, path: &str, query: &str, body: &[u8], ts: &str) -> String {
    let msg = format!("{method}\n{path}\n{query}\n{}\n{ts}", hex::encode(Sha256::digest(body)));
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(msg.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A signed request of `token`.
async fn signed(
    app: &TestApp,
    token: &str,
    secret: &str,
    method: Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Resp {
    let full = format!("/api/data_builder/v1{path}");
    let ts = chrono::Utc::now().timestamp().to_string();
    let url = if query.is_empty() {
        format!("http://{}{full}", app.addr())
    } else {
        format!("http://{}{full}?{query}", app.addr())
    };
    let rb = app
        .client
        .request(method.clone(), url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("x-timestamp", &ts)
        .header("x-nonce", format!("n{}", rand::random::<u64>()))
        .header("x-signature", sign(secret, method.as_str(), &full, query, body, &ts))
        .body(body.to_vec());
    read(rb).await
}

async fn signing_token_snippets_sign(app: &TestApp) {
    let (token, secret) = app.hmac_token(&["--table", "clients:ru"]).await;
    let query = "filter%5Bcompany.like%5D=%25a%25&fields=userid%2Ccompany&per_page=2&sort=userid";
    let want = signed(app, &token, &secret, Method::GET, "/clients", query, b"").await;
    assert_eq!(want.status, 200, "{}", want.text);
    let req = serde_json::to_vec(&json!({"method": "GET", "path": "/clients", "query": query})).unwrap();
    let r = signed(app, &token, &secret, Method::POST, "/snippets", "", &req).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let s = r.json()["data"].clone();
    assert_eq!(s["signed"], true, "a signing token gets the signing code");
    all_agree(&s, &token, Some(&secret), &want.json());

    let body = json!({"company": "Signed \"dry\" run"});
    let want =
        signed(app, &token, &secret, Method::PATCH, "/clients/2", "dry_run=true", &serde_json::to_vec(&body).unwrap())
            .await;
    assert_eq!(want.status, 200, "{}", want.text);
    let req =
        serde_json::to_vec(&json!({"method": "PATCH", "path": "/clients/2", "query": "dry_run=true", "body": body}))
            .unwrap();
    let s = signed(app, &token, &secret, Method::POST, "/snippets", "", &req).await.json()["data"].clone();
    all_agree(&s, &token, Some(&secret), &want.json());
}

async fn bad_snippet_requests_name_the_field(app: &TestApp) {
    for (req, field) in [
        (json!({"method": "TRACE", "path": "/clients"}), "method"),
        (json!({"method": "GET", "path": "clients"}), "path"),
        (json!({"method": "GET", "path": "/a/../admin"}), "path"),
        (json!({"method": "GET", "path": "/a'b"}), "path"),
        (json!({"method": "GET", "path": "/clients", "body": {"a": 1}}), "body"),
        (json!({"method": "GET", "path": "/clients", "shell": "x"}), "body"),
        (json!({"path": "/clients"}), "body"),
    ] {
        let r = app.send(Method::POST, "/snippets", &req).await;
        assert_eq!(r.status, 400, "{req}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert!(r.json()["errors"][field].is_array(), "{req} names `{field}`: {}", r.text);
    }
    let r = app.request(Method::POST, "/snippets", None, Some(&json!({"method": "GET", "path": "/clients"}))).await;
    assert_eq!(r.status, 401, "snippets need a token");
}

each_dialect!(snippets_run_as_printed, signing_token_snippets_sign, bad_snippet_requests_name_the_field);
