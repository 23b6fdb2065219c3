//! The tokens page: list (name, scopes, last use, expiry), create with the
//! whole policy, revoke, rotate. Creation goes through the same function as
//! `databuilder token create` (`cli::token::issue`): the form is turned into
//! the CLI's arguments, so the rules and the messages are the CLI's. The
//! token and its HMAC secret are shown once, on the answer to the POST.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde_json::{Value as J, json};

use super::extract::Admin;
use super::form::{self, Form};
use super::{j, layout, templates};
use crate::cli::token::{CreateArgs, issue};
use crate::problem::Problem;

/// Which form field a CLI error message belongs to (the CLI names its flag).
fn field_of(message: &str) -> &'static str {
    const FLAGS: &[(&str, &str)] = &[
        ("--table", "tables"),
        ("--columns", "columns"),
        ("--row-filter", "row_filters"),
        ("--scope", "scopes"),
        ("--expires", "expires"),
        ("--view", "views"),
    ];
    FLAGS.iter().find(|(flag, _)| message.starts_with(flag)).map_or("form", |(_, field)| field)
}

fn fmt_time(t: &Option<chrono::NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// `GET /admin/tokens`.
pub async fn list(admin: Admin) -> Response {
    let all = match admin.app.store.list_tokens().await {
        Ok(t) => t,
        Err(e) => return Problem::from(e).into_response(),
    };
    let seen = last_use(&admin).await;
    let rows: Vec<J> = all
        .iter()
        .rev()
        .map(|t| {
            let p = &t.policy;
            let mut scopes = Vec::new();
            for (on, name) in [(p.scopes.tables, "tables"), (p.scopes.views, "views"), (p.scopes.write, "write")] {
                if on {
                    scopes.push(name);
                }
            }
            let tables: Vec<String> = p.tables.iter().map(|(r, c)| format!("{r}:{c}")).collect();
            let mut marks = Vec::new();
            for (on, name) in [(p.admin, "admin"), (p.sandbox, "sandbox"), (t.hmac_secret.is_some(), "hmac")] {
                if on {
                    marks.push(name);
                }
            }
            json!({
                "id": t.id, "name": t.name, "hint": t.hint, "scopes": scopes.join(", "),
                "tables": tables.join(" "), "marks": marks.join(", "),
                "last_used": fmt_time(&seen.get(&t.id).copied().or(t.last_used_at)), "expires": fmt_time(&t.expires_at),
                "created": fmt_time(&t.created_at), "active": t.active(),
                "revoked": t.revoked_at.is_some(),
            })
        })
        .collect();
    templates::page(StatusCode::OK, "tokens.html", context! { tokens => j(&rows), ..layout(&admin, "tokens") })
}

const LAST_USE: &str = "SELECT token_id, MAX(created_at) FROM {t} WHERE token_id IS NOT NULL AND (stage IS NULL OR stage <> 'admin') GROUP BY token_id";

/// Each token's latest request, from the audit log (what "last use" means to
/// an operator; the console's own action records do not count).
async fn last_use(admin: &Admin) -> BTreeMap<i64, chrono::NaiveDateTime> {
    use databuilder_engine::catalog::ColumnKind;
    let store = &admin.app.store;
    let sql = databuilder_engine::sql::Sql::fixed_table(store.db.dialect(), LAST_USE, &store.table("api_logs"), vec![]);
    let rows = store.db.fetch_all(&sql, &[Some(ColumnKind::Int), Some(ColumnKind::DateTime)]).await.unwrap_or_default();
    rows.iter()
        .filter_map(|r| {
            let id = r.first().and_then(databuilder_engine::exec::as_i64)?;
            let at = r.get(1).and_then(J::as_str).and_then(|s| databuilder_engine::value::parse_datetime(s).ok())?;
            Some((id, at))
        })
        .collect()
}

/// The form's choices: every resource (sensitive ones marked) and every saved view.
async fn choices(admin: &Admin) -> (Vec<J>, Vec<String>) {
    let catalog = admin.app.catalog();
    let resources =
        catalog.tables.iter().map(|t| json!({"name": t.resource, "sensitive": t.sensitive})).collect::<Vec<_>>();
    let views: Vec<J> = admin.app.store.definitions(crate::store::definitions::Kind::View).await.unwrap_or_default();
    let slugs = views.iter().filter_map(|v| v["slug"].as_str().map(str::to_string)).collect();
    (resources, slugs)
}

fn form_page(
    admin: &Admin,
    resources: Vec<J>,
    views: Vec<String>,
    values: J,
    errors: &BTreeMap<&str, String>,
) -> Response {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    templates::page(
        status,
        "token_new.html",
        context! { resources => j(&resources), views => views, v => j(&values), errors => j(errors), ..layout(admin, "tokens") },
    )
}

/// `GET /admin/tokens/new`.
pub async fn new_form(admin: Admin) -> Response {
    let (resources, views) = choices(&admin).await;
    let values = json!({"scopes": [], "crud": {}});
    form_page(&admin, resources, views, values, &BTreeMap::new())
}

/// The CLI arguments a form describes, and the errors of the fields the CLI
/// leaves to clap (name, rate, CIDRs, origins).
fn to_args(f: &Form, resources: &[J]) -> (CreateArgs, BTreeMap<&'static str, String>) {
    let mut errors = BTreeMap::new();
    let name = f.text("name").unwrap_or_default();
    if name.is_empty() || name.chars().count() > 191 {
        errors.insert("name", "a name of 1–191 characters is required".to_string());
    }
    let mut tables = Vec::new();
    let all = std::iter::once("*").chain(resources.iter().filter_map(|r| r["name"].as_str()));
    for res in all {
        let letters: String = f.all(&format!("crud.{res}")).concat();
        if !letters.is_empty() {
            tables.push(format!("{res}:{letters}"));
        }
    }
    let rate = match f.text("rate") {
        None => None,
        Some(r) => match r.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.insert("rate", format!("`{r}` is not a positive whole number of requests per minute"));
                None
            }
        },
    };
    // The same typed values as the CLI's flags: one parser for both.
    let mut cidrs = Vec::new();
    for c in f.lines("cidrs", true) {
        match c.parse::<crate::config::Net>() {
            Ok(n) => cidrs.push(n),
            Err(_) => {
                errors.insert("cidrs", format!("`{c}` is not an IP address or CIDR (like 203.0.113.0/24)"));
            }
        }
    }
    let mut origins = Vec::new();
    for o in f.lines("origins", true) {
        match o.parse::<crate::config::Origin>() {
            Ok(v) if v.as_str() != "*" => origins.push(v),
            _ => {
                errors.insert("origins", format!("`{o}` is not an origin like https://app.example.com (no path)"));
            }
        }
    }
    let args = CreateArgs {
        name,
        tables,
        views: f.all("view").into_iter().map(str::to_string).collect(),
        scopes: f.all("scope").into_iter().map(str::to_string).collect(),
        columns: f.lines("columns", false),
        row_filters: f.lines("row_filters", false),
        cidrs,
        origins,
        rate,
        expires: f.text("expires"),
        hmac: f.checked("hmac"),
        sandbox: f.checked("sandbox"),
        admin: f.checked("admin"),
        allow_sensitive: f.checked("allow_sensitive"),
        json: false,
    };
    (args, errors)
}

/// What the form showed, to fill it again after an error.
fn values_of(f: &Form) -> J {
    let mut crud = serde_json::Map::new();
    for (k, v) in &f.0 {
        if let Some(res) = k.strip_prefix("crud.") {
            let e = crud.entry(res.to_string()).or_insert_with(|| json!(""));
            *e = json!(format!("{}{v}", e.as_str().unwrap_or_default()));
        }
    }
    json!({
        "name": f.get("name"), "columns": f.get("columns"), "row_filters": f.get("row_filters"),
        "cidrs": f.get("cidrs"), "origins": f.get("origins"), "rate": f.get("rate"), "expires": f.get("expires"),
        "hmac": f.checked("hmac"), "sandbox": f.checked("sandbox"), "admin": f.checked("admin"),
        "allow_sensitive": f.checked("allow_sensitive"), "scopes": f.all("scope"), "views": f.all("view"),
        "crud": crud,
    })
}

/// `POST /admin/tokens`: validate everything, then create (or write nothing).
pub async fn create(admin: Admin, body: Bytes) -> Response {
    let f = form::parse(&body);
    if let Err(res) = admin.check_form(&f) {
        return res;
    }
    let (resources, views) = choices(&admin).await;
    let (args, mut errors) = to_args(&f, &resources);
    let catalog = admin.app.catalog();
    // The CLI's own checks, before anything is written: policy and expiry.
    if let Err(e) = crate::cli::token::policy(&catalog, &args).and(crate::cli::token::expiry(&args).map(|_| ())) {
        errors.entry(field_of(&e)).or_insert(e);
    }
    if !errors.is_empty() {
        return form_page(&admin, resources, views, values_of(&f), &errors);
    }
    match issue(&admin.app.store, &catalog, &admin.app.master_key, &args).await {
        Ok(issued) => {
            admin.record("POST", &format!("tokens/{}/create", issued.record.id), Some(issued.record.id));
            templates::page(
                StatusCode::OK,
                "token_issued.html",
                context! {
                    id => issued.record.id, name => issued.record.name, token => issued.token,
                    hmac_secret => issued.hmac_secret, rotated => false, ..layout(&admin, "tokens")
                },
            )
        }
        Err(e) => {
            errors.insert(field_of(&e), e);
            form_page(&admin, resources, views, values_of(&f), &errors)
        }
    }
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke(admin: Admin, Path(id): Path<String>, body: Bytes) -> Response {
    let f = form::parse(&body);
    if let Err(res) = admin.check_form(&f) {
        return res;
    }
    let Ok(id) = id.parse::<i64>() else {
        return Problem::bad_param("id", "expected a token id").into_response();
    };
    let old = admin.app.store.token(id).await.ok().flatten().map(|t| t.hash);
    match admin.app.store.revoke_token(id).await {
        Ok(true) => {
            old.inspect(|h| admin.app.forget_token(h));
            admin.record("POST", &format!("tokens/{id}/revoke"), Some(id));
            see_other(&format!("{}/tokens", super::ROOT))
        }
        Ok(false) => Problem::not_found(format!("no active token {id}")).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `POST /admin/tokens/{id}/rotate`: the new token is shown once.
pub async fn rotate(admin: Admin, Path(id): Path<String>, body: Bytes) -> Response {
    let f = form::parse(&body);
    if let Err(res) = admin.check_form(&f) {
        return res;
    }
    let Ok(id) = id.parse::<i64>() else {
        return Problem::bad_param("id", "expected a token id").into_response();
    };
    let old = admin.app.store.token(id).await.ok().flatten().map(|t| t.hash);
    match admin.app.store.rotate_token(id).await {
        Ok(Some(token)) => {
            old.inspect(|h| admin.app.forget_token(h));
            admin.record("POST", &format!("tokens/{id}/rotate"), Some(id));
            let name = admin.app.store.token(id).await.ok().flatten().map(|t| t.name).unwrap_or_default();
            templates::page(
                StatusCode::OK,
                "token_issued.html",
                context! { id => id, name => name, token => token, hmac_secret => (), rotated => true, ..layout(&admin, "tokens") },
            )
        }
        Ok(None) => Problem::not_found(format!("no active token {id}")).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// A 303 to a console page.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, to.to_string())]).into_response()
}
