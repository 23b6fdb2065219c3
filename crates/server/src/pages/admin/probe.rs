//! The console's yes/no endpoints — "is this slug taken", "is this token name
//! taken" — are enumeration oracles, so each client IP (trusted-proxy rule
//! included) gets 10 answers per 60 s, counted in the shared state store like
//! the token limiter (every instance shares the budget; the store failing is a
//! 503, never a pass). The count comes before the session check, so probing
//! without a session spends the budget too.

use axum::Json;
use axum::extract::RawQuery;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::extract::AdminApi;
use super::form;
use crate::problem::Problem;
use crate::store::definitions::Kind;

/// Answers per window per client IP.
pub const LIMIT: i64 = 10;
/// The window, in seconds.
pub const WINDOW: i64 = 60;

/// Count one probe of this IP; a 429 with `Retry-After` past the limit.
async fn spend(app: &crate::app_state::Shared, ip: &str) -> Result<(), Response> {
    let now = chrono::Utc::now().timestamp();
    let win = now - now.rem_euclid(WINDOW);
    let n = app.rate.count(&format!("admin-probe:{ip}"), win).await.map_err(|e| {
        tracing::warn!(error = %e, "admin probe counter unavailable");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "the rate store is unavailable",
        )
        .into_response()
    })?;
    if n <= LIMIT {
        return Ok(());
    }
    let retry = (win + WINDOW - now).max(1);
    let p = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("at most {LIMIT} availability checks per {WINDOW} s; retry in {retry} s"),
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(retry));
    Err(p.into_response())
}

/// The probe's client IP from the raw request (no session needed yet).
pub struct ProbeIp(pub String);

impl axum::extract::FromRequestParts<crate::app_state::Shared> for ProbeIp {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &crate::app_state::Shared,
    ) -> Result<Self, Response> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
        let ip = super::action::client_ip(app, &parts.headers, peer);
        spend(app, &ip).await?;
        Ok(ProbeIp(ip))
    }
}

/// `GET /admin/api/slug-available?kind=view|report|group&slug=…` → `{"available": bool}`.
pub async fn slug_available(_ip: ProbeIp, AdminApi(admin): AdminApi, RawQuery(q): RawQuery) -> Response {
    if let Err(res) = super::csrf::check_token(&admin.headers, &admin.session, None) {
        return res;
    }
    let q = form::parse(q.unwrap_or_default().as_bytes());
    let kind = match q.get("kind") {
        Some("view") => Kind::View,
        Some("report") => Kind::Report,
        Some("group") => Kind::Group,
        _ => return Problem::bad_param("kind", "expected view, report or group").into_response(),
    };
    let Some(slug) = q.get("slug").filter(|s| databuilder_engine::views::valid_slug(s)) else {
        return Problem::bad_param("slug", "lower-case letters, digits, `-` and `_`, 1–100 characters").into_response();
    };
    match admin.app.store.definition::<serde_json::Value>(kind, slug).await {
        Ok(found) => Json(json!({ "available": found.is_none() })).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `GET /admin/api/token-name-available?name=…` → `{"available": bool}`.
pub async fn token_name_available(_ip: ProbeIp, AdminApi(admin): AdminApi, RawQuery(q): RawQuery) -> Response {
    if let Err(res) = super::csrf::check_token(&admin.headers, &admin.session, None) {
        return res;
    }
    let q = form::parse(q.unwrap_or_default().as_bytes());
    let Some(name) = q.text("name").filter(|n| n.chars().count() <= 191) else {
        return Problem::bad_param("name", "a name of 1–191 characters").into_response();
    };
    match admin.app.store.list_tokens().await {
        Ok(all) => Json(json!({ "available": !all.iter().any(|t| t.name == name) })).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}
