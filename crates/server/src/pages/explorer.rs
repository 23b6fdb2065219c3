//! The API Explorer (`/api/data_builder/explorer`): one HTML page and its own
//! ES modules, compiled into the binary. The page holds no data: everything it
//! shows comes from API calls made with the visitor's token (or the configured
//! public sandbox token), through the whole security pipeline.
//!
//! `GET /explorer/config` tells the page the API base and the public token;
//! the server checks at start that this token is an active, non-signing
//! sandbox token ([`check_public_token`]), so the page can never hand out
//! more than masked, read-only, rolled-back access.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::PAGE_CSP;
use super::assets::{Asset, serve};
use crate::app_state::Shared;
use crate::config::Config;
use crate::routes::BASE;
use crate::store::Store;
use crate::store::tokens;

/// Where the Explorer lives.
pub const PATH: &str = "/api/data_builder/explorer";

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! explorer_asset {
    ($name:literal, $type:expr) => {
        Asset { name: $name, content_type: $type, bytes: include_bytes!(concat!("../../assets/explorer/", $name)) }
    };
}

/// The page's own files (no third-party code; Chart.js comes from `/assets/vendor`).
const FILES: &[Asset] = &[
    explorer_asset!("style.css", "text/css; charset=utf-8"),
    explorer_asset!("app.js", JS),
    explorer_asset!("api.js", JS),
    explorer_asset!("dom.js", JS),
    explorer_asset!("browse.js", JS),
    explorer_asset!("tryit.js", JS),
    explorer_asset!("response.js", JS),
    explorer_asset!("charts.js", JS),
    explorer_asset!("graphql.js", JS),
];

const INDEX: &[u8] = include_bytes!("../../assets/explorer/index.html");

fn with_csp(mut res: Response) -> Response {
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    res
}

/// `GET /api/data_builder/explorer`.
pub async fn page() -> Response {
    let mut res = INDEX.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    with_csp(res)
}

/// `GET /api/data_builder/explorer/assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    with_csp(serve(FILES, &file))
}

/// `GET /api/data_builder/explorer/config`: what the page needs before its first call.
pub async fn config(State(app): State<Shared>) -> Response {
    let token = &app.config.explorer.public_token;
    let public = if token.is_empty() { serde_json::Value::Null } else { json!(token) };
    axum::Json(json!({
        "public_token": public,
        "base": BASE,
        "openapi": format!("{BASE}/openapi.json"),
        "postman": format!("{BASE}/postman.json"),
    }))
    .into_response()
}

/// `GET /`: the Explorer is the server's front page.
pub async fn root() -> Redirect {
    Redirect::to(PATH)
}

/// Refuse to start when `[explorer] public_token` is set but is not an active,
/// non-signing sandbox token: the page hands that token to anyone.
pub async fn check_public_token(cfg: &Config, store: &Store) -> Result<(), String> {
    let token = cfg.explorer.public_token.trim();
    if token.is_empty() {
        return Ok(());
    }
    let refuse = |why: &str| Err(format!("[explorer] public_token: {why}"));
    if !tokens::well_formed(token) {
        return refuse("not a Data Builder token (`dba_…` with a valid checksum)");
    }
    let record = store.token_by_hash(&tokens::hash(token)).await.map_err(|e| e.to_string())?;
    let Some(record) = record else {
        return refuse("unknown token (create one with `databuilder token create --name explorer --sandbox`)");
    };
    if !record.active() {
        return refuse("the token is revoked or expired");
    }
    if !record.policy.sandbox || record.policy.admin {
        return refuse("must be a sandbox token: the Explorer gives it to every visitor");
    }
    if record.hmac_secret.is_some() {
        return refuse("the token signs its requests, which a public page cannot do");
    }
    Ok(())
}
