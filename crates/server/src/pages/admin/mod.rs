//! The admin console at `/api/data_builder/admin` (SPEC §7): server-rendered
//! pages for tokens, views/reports/groups, the audit log, the catalog and a
//! traffic dashboard, for people who run a Perfex install but not a shell.
//!
//! It sits in the `pages` route group: outside the API's token pipeline (the
//! console authenticates with its own cookie session, `session.rs`) but inside
//! the outer layers (security headers, shield, request id). Every page sends
//! [`crate::pages::PAGE_CSP`]; scripts are the console's own embedded files
//! and the vendored Chart.js, no inline script, handler or style.
//!
//! One file per concern: `session` (magic links, cookie), `csrf`, `redirect`
//! (`?next=`), `probe` (rate-limited yes/no endpoints), `action` (audit records
//! of admin actions), `templates`, and one file per area.

// Checks return the ready refusal (`Result<(), Response>`): a handler answers
// with a `Response` either way, and a refusal is built at most once per request.
#![allow(clippy::result_large_err)]

pub mod action;
mod audit_log;
mod catalog;
pub mod csrf;
mod dashboard;
mod defs;
mod extract;
pub mod form;
mod preview;
pub mod probe;
pub mod redirect;
pub mod session;
mod static_files;
mod templates;
mod tokens;

use axum::Router;
use axum::routing::{get, post};
use minijinja::{Value, context};

use crate::app_state::Shared;
use extract::Admin;

/// The console's base path.
pub const ROOT: &str = "/api/data_builder/admin";

/// The console's routes, relative to [`crate::pages::ROOT`].
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/admin", get(dashboard::page))
        .route("/admin/", get(dashboard::page))
        .route("/admin/login", get(session::login_page).post(session::login))
        .route("/admin/logout", post(session::logout))
        .route("/admin/tokens", get(tokens::list).post(tokens::create))
        .route("/admin/tokens/new", get(tokens::new_form))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/tokens/{id}/rotate", post(tokens::rotate))
        .route("/admin/audit", get(audit_log::page))
        .route("/admin/audit/verify", post(audit_log::verify))
        .route("/admin/catalog", get(catalog::page))
        .route("/admin/catalog/reload", post(catalog::reload))
        .route("/admin/api/slug-available", get(probe::slug_available))
        .route("/admin/api/token-name-available", get(probe::token_name_available))
        .route("/admin/api/preview", post(preview::preview))
        .route("/admin/{kind}", get(defs::list).post(defs::save))
        .route("/admin/{kind}/new", get(defs::new_form))
        .route("/admin/{kind}/{slug}/edit", get(defs::edit))
        .route("/admin/{kind}/{slug}/export", get(defs::export))
        .route("/admin/{kind}/{slug}/delete", get(defs::confirm_delete).post(defs::delete))
        .route("/assets/admin/{file}", get(static_files::serve))
}

/// What every signed-in page's layout needs: the CSRF token for its forms
/// (sign-out included) and the active navigation entry.
fn layout(admin: &Admin, active: &str) -> Value {
    context! { csrf => admin.session.csrf.clone(), active => active, signed_in => true, root => ROOT }
}

/// A serializable value (JSON built by a page) for a template context.
fn j<T: serde::Serialize>(v: &T) -> Value {
    Value::from(minijinja::value::Serde(v))
}
