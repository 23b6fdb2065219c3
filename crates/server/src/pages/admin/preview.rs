//! `POST /admin/api/preview`: the editor's live preview. The draft TOML is
//! checked exactly like `apply` (`cli::defs::check_text`, nothing written),
//! then run as an admin principal through the same planner as the API: a
//! view's first rows, a report's rows with its chart hint and columns.

use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use databuilder_engine::exec::run_list;
use databuilder_engine::plan::plan_list;
use databuilder_engine::principal::{Policy, Principal};
use databuilder_engine::request::parse_list_query;
use databuilder_engine::views;
use serde_json::{Value as J, json};

use super::extract::AdminApi;
use crate::cli::defs::{Checked, check_text};
use crate::problem::Problem;
use crate::store::definitions::Kind;

/// Rows a preview shows.
const PREVIEW_ROWS: u32 = 20;

fn invalid(field: &str, message: String) -> Response {
    let mut errors = std::collections::BTreeMap::new();
    errors.insert(field.to_string(), vec![message]);
    crate::problem::invalid(errors).into_response()
}

/// Body: `{"kind": "view"|"report"|"group", "toml": "…", "params": "a=1&b=2"}`.
pub async fn preview(AdminApi(admin): AdminApi, body: Bytes) -> Response {
    if let Err(res) = admin.check_call() {
        return res;
    }
    let Ok(req) = serde_json::from_slice::<J>(&body) else {
        return Problem::bad_param("body", "expected a JSON object with kind and toml").into_response();
    };
    let kind = match req["kind"].as_str() {
        Some("view") => Kind::View,
        Some("report") => Kind::Report,
        Some("group") => Kind::Group,
        _ => return Problem::bad_param("kind", "expected view, report or group").into_response(),
    };
    let text = req["toml"].as_str().unwrap_or_default();
    let params = req["params"].as_str().unwrap_or_default();
    let app = &admin.app;
    let catalog = app.catalog();
    let checked = match check_text(&app.store, &catalog, kind, Path::new("draft.toml"), text).await {
        Ok(c) => c,
        Err(e) => return invalid("toml", e),
    };
    let admin_principal = Arc::new(Principal {
        token_id: 0,
        name: "admin console".into(),
        policy: Policy { admin: true, ..Default::default() },
    });
    let args: Vec<(String, String)> =
        form_urlencoded::parse(params.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let out = match &checked {
        Checked::View(def) => view_rows(app, &admin_principal, def, params).await,
        Checked::Report(def, view) => {
            crate::api::views::run_report_def(app, &admin_principal, def, view.as_ref(), &args).await
        }
        Checked::Group(def) => {
            Ok(json!({"data": [], "meta": {"slug": def.slug, "name": def.name, "reports": def.reports}}))
        }
    };
    match out {
        Ok(j) => (StatusCode::OK, Json(j)).into_response(),
        Err(p) if p.status.is_client_error() => invalid("params", p.detail),
        Err(p) => p.into_response(),
    }
}

async fn view_rows(
    app: &crate::app_state::Shared,
    caller: &Principal,
    def: &databuilder_engine::views::ViewDef,
    params: &str,
) -> Result<J, Problem> {
    let catalog = app.catalog();
    let mut req = parse_list_query(&format!("per_page={PREVIEW_ROWS}"))?;
    req.extra = form_urlencoded::parse(params.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let principal = views::view_principal(&catalog, caller, def, true)?;
    let base = views::compile_view(def, &req.extra)?;
    let narrowed = views::narrow(base, &req)?;
    let plan = plan_list(app.ctx(&catalog, &principal), &def.resource, &narrowed)?;
    let page = run_list(&app.db, &catalog, &plan, &app.cursor_key).await?;
    Ok(json!({"data": page.rows, "meta": {"slug": def.slug, "name": def.name, "count": page.rows.len()}}))
}
