//! Admin actions as audit records (SPEC §7): sign-in, sign-out, token
//! created/revoked/rotated, definition changed, catalog reloaded. A record says
//! who (the session's 8-hex label and the client IP), what (method and a path
//! naming the action) and which ids — never a token, a secret, a name or a
//! value. The same facts go to `tracing`, ids only.

use std::net::SocketAddr;

use axum::http::HeaderMap;

use super::ROOT;
use crate::app_state::Shared;
use crate::security::client_ip::client_ip_of;
use crate::store::admin::Session;
use crate::store::audit::AuditRecord;

/// The `stage` of admin-action records (the request logger's records carry
/// the rejecting stage there, or none).
pub const STAGE: &str = "admin";

/// The client IP of a console request (trusted-proxy rule included).
pub fn client_ip(app: &Shared, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    client_ip_of(peer.map(|p| p.ip()), headers, &app.trusted_proxies).to_string()
}

/// Record one admin action: `what` is the action's path under the console
/// (`tokens/12/revoke`, `views/top-clients/save`), `token_id` the token acted on.
pub fn record(
    app: &Shared,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    session: &Session,
    method: &str,
    what: &str,
    token_id: Option<i64>,
) {
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    app.audit.record(AuditRecord {
        request_id,
        token_id,
        client_ip: client_ip(app, headers, peer),
        method: method.to_string(),
        path: format!("{ROOT}/{what}?session={}", session.label()),
        status: 200,
        stage: Some(STAGE),
        duration_ms: 0,
        response_bytes: 0,
        created_at: crate::store::now(),
    });
    tracing::info!(action = what, session = session.label(), token_id, "admin action");
}
