//! Views, reports and report groups: list, edit the same TOML as the CLI,
//! save through `cli::defs::apply_text` (so the validation and its messages
//! are `apply`'s), export and import TOML, delete after a confirmation page.

use std::path::Path as FsPath;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde_json::{Value as J, json};

use super::extract::Admin;
use super::tokens::see_other;
use super::{ROOT, form, j, layout, templates};
use crate::problem::Problem;
use crate::store::definitions::Kind;

/// The URL segment of a kind (`views`, `reports`, `groups`).
pub fn kind_of(segment: &str) -> Option<Kind> {
    match segment {
        "views" => Some(Kind::View),
        "reports" => Some(Kind::Report),
        "groups" => Some(Kind::Group),
        _ => None,
    }
}

fn segment(kind: Kind) -> &'static str {
    match kind {
        Kind::View => "views",
        Kind::Report => "reports",
        Kind::Group => "groups",
    }
}

/// A starting point for a new definition.
fn template(kind: Kind) -> &'static str {
    match kind {
        Kind::View => {
            "slug = \"my-view\"\nname = \"My view\"\nresource = \"invoices\"\nfields = [\"id\", \"clientid\", \"total\"]\nsort = \"-total\"\n"
        }
        Kind::Report => {
            "slug = \"my-report\"\nname = \"My report\"\nresource = \"invoices\"\ngroup_by = [\"status\"]\nmetrics = [\"count(*)\", \"sum(total)\"]\nchart = \"bar\"\n"
        }
        Kind::Group => "slug = \"my-group\"\nname = \"My group\"\nreports = []\n",
    }
}

fn unknown_kind() -> Response {
    Problem::not_found("no such console page").into_response()
}

/// The stored definition of `slug` as the TOML the CLI applies.
async fn as_toml(admin: &Admin, kind: Kind, slug: &str) -> Result<Option<String>, Response> {
    let def: Option<J> = admin.app.store.definition(kind, slug).await.map_err(|e| Problem::from(e).into_response())?;
    Ok(def.map(|d| toml::to_string(&without_nulls(d)).unwrap_or_else(|e| format!("# could not write TOML: {e}\n"))))
}

/// TOML has no null: absent optional fields are left out, and so are empty
/// tables (`[having]`, `[params]`), which mean the same as absent ones.
fn without_nulls(v: J) -> J {
    let dropped = |v: &J| v.is_null() || v.as_object().is_some_and(|m| m.is_empty());
    match v {
        J::Object(m) => {
            J::Object(m.into_iter().filter(|(_, v)| !dropped(v)).map(|(k, v)| (k, without_nulls(v))).collect())
        }
        J::Array(a) => J::Array(a.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// `GET /admin/{views|reports|groups}`.
pub async fn list(admin: Admin, Path(seg): Path<String>) -> Response {
    let Some(kind) = kind_of(&seg) else { return unknown_kind() };
    let all: Vec<J> = match admin.app.store.definitions(kind).await {
        Ok(a) => a,
        Err(e) => return Problem::from(e).into_response(),
    };
    let rows: Vec<J> = all
        .iter()
        .map(|d| {
            let about = match kind {
                Kind::View => d["resource"].as_str().unwrap_or_default().to_string(),
                Kind::Report => format!(
                    "{} · {}",
                    d["resource"].as_str().or(d["view"].as_str()).unwrap_or_default(),
                    d["chart"].as_str().unwrap_or("table")
                ),
                Kind::Group => d["reports"].as_array().map(|r| format!("{} reports", r.len())).unwrap_or_default(),
            };
            json!({"slug": d["slug"], "name": d["name"], "about": about})
        })
        .collect();
    templates::page(
        StatusCode::OK,
        "defs.html",
        context! { defs => j(&rows), seg => seg, noun => kind.noun(), ..layout(&admin, segment(kind)) },
    )
}

fn editor(admin: &Admin, kind: Kind, text: &str, slug: Option<&str>, error: Option<String>, saved: bool) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    templates::page(
        status,
        "def_edit.html",
        context! {
            seg => segment(kind), noun => kind.noun(), kind => match kind { Kind::View => "view", Kind::Report => "report", Kind::Group => "group" },
            text => text, slug => slug, error => error, saved => saved, ..layout(admin, segment(kind))
        },
    )
}

/// `GET /admin/{kind}/new`.
pub async fn new_form(admin: Admin, Path(seg): Path<String>) -> Response {
    let Some(kind) = kind_of(&seg) else { return unknown_kind() };
    editor(&admin, kind, template(kind), None, None, false)
}

/// `GET /admin/{kind}/{slug}/edit`.
pub async fn edit(admin: Admin, Path((seg, slug)): Path<(String, String)>, RawQuery(q): RawQuery) -> Response {
    let Some(kind) = kind_of(&seg) else { return unknown_kind() };
    let saved = form::parse(q.unwrap_or_default().as_bytes()).checked("saved");
    match as_toml(&admin, kind, &slug).await {
        Ok(Some(text)) => editor(&admin, kind, &text, Some(&slug), None, saved),
        Ok(None) => Problem::not_found(format!("no {} `{slug}`", kind.noun())).into_response(),
        Err(res) => res,
    }
}

/// `POST /admin/{kind}` (form: `toml`, `csrf`): validate like `apply`, then store.
pub async fn save(admin: Admin, Path(seg): Path<String>, body: Bytes) -> Response {
    let Some(kind) = kind_of(&seg) else { return unknown_kind() };
    let f = form::parse(&body);
    if let Err(res) = admin.check_form(&f) {
        return res;
    }
    let text = f.get("toml").unwrap_or_default().replace("\r\n", "\n");
    let catalog = admin.app.catalog();
    let file = format!("{}.toml", segment(kind));
    match crate::cli::defs::apply_text(&admin.app.store, &catalog, kind, FsPath::new(&file), &text).await {
        Ok(slug) => {
            admin.record("POST", &format!("{}/{slug}/save", segment(kind)), None);
            see_other(&format!("{ROOT}/{}/{slug}/edit?saved=1", segment(kind)))
        }
        Err(e) => editor(&admin, kind, &text, f.get("slug"), Some(e), false),
    }
}

/// `GET /admin/{kind}/{slug}/export`: the TOML file `apply` takes.
pub async fn export(admin: Admin, Path((seg, slug)): Path<(String, String)>) -> Response {
    let Some(kind) = kind_of(&seg) else { return unknown_kind() };
    match as_toml(&admin, kind, &slug).await {
        Ok(Some(text)) => {
            let mut res = text.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/toml; charset=utf-8"));
            // The slug passed `valid_slug` when it was stored: no quote or slash in it.
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{slug}.toml\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Ok(None) => Problem::not_found(format!("no {} `{slug}`", kind.noun())).into_response(),
        Err(res) => res,
    }
}

/// `GET /admin/{kind}/{slug}/delete`: the confirmation page.
pub async fn confirm_delete(admin: Admin, Path((seg, slug)): Path<(String, String)>) -> Response {
    let Some(kind) = kind_of(&seg) else { return unknown_kind() };
    templates::page(
        StatusCode::OK,
        "confirm.html",
        context! { seg => seg, slug => slug, noun => kind.noun(), ..layout(&admin, segment(kind)) },
    )
}

/// `POST /admin/{kind}/{slug}/delete` (form: `csrf`).
pub async fn delete(admin: Admin, Path((seg, slug)): Path<(String, String)>, body: Bytes) -> Response {
    let Some(kind) = kind_of(&seg) else { return unknown_kind() };
    let f = form::parse(&body);
    if let Err(res) = admin.check_form(&f) {
        return res;
    }
    match admin.app.store.delete_definition(kind, &slug).await {
        Ok(true) => {
            admin.record("POST", &format!("{}/{slug}/delete", segment(kind)), None);
            see_other(&format!("{ROOT}/{}", segment(kind)))
        }
        Ok(false) => Problem::not_found(format!("no {} `{slug}`", kind.noun())).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}
