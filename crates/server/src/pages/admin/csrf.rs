//! CSRF protection of the console (SPEC §7): every form carries the session's
//! token in a `csrf` field and every script call sends it as `X-CSRF-Token`;
//! every state-changing request must also come from the console's own
//! `Origin`. Either check failing is a 403 problem, before anything is read
//! from or written to the store.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::app_state::Shared;
use crate::problem::Problem;
use crate::store::admin::Session;
use crate::store::tokens::subtle_eq;

fn forbidden(detail: &str) -> Response {
    Problem::new(StatusCode::FORBIDDEN, "csrf", "Forbidden", detail).into_response()
}

/// The origin the console is served from, as the browser names it.
fn own_origin(app: &Shared, headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Option<String> {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok())?;
    let scheme = if super::session::https(app, headers, peer) { "https" } else { "http" };
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// The `Origin` (or, when a browser sent none, the `Referer`'s origin) must
/// be the console's own.
pub fn check_origin(app: &Shared, headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Result<(), Response> {
    let own = own_origin(app, headers, peer).ok_or_else(|| forbidden("the request has no Host"))?;
    let origin = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(o) => o.to_ascii_lowercase(),
        None => {
            let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let rest = referer.split_once("://").map(|(s, r)| (s, r.split('/').next().unwrap_or_default()));
            match rest {
                Some((scheme, host)) => format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()),
                None => return Err(forbidden("a state-changing request must carry the console's Origin")),
            }
        }
    };
    if origin == own { Ok(()) } else { Err(forbidden("the request's Origin is not the console's")) }
}

/// Origin and CSRF token (`X-CSRF-Token`, else the form's `csrf` field) of a
/// state-changing request or a script call.
pub fn check(
    app: &Shared,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    session: &Session,
    form_field: Option<&str>,
) -> Result<(), Response> {
    check_origin(app, headers, peer)?;
    check_token(headers, session, form_field)
}

/// The CSRF token alone (script calls that change nothing, e.g. the yes/no endpoints).
pub fn check_token(headers: &HeaderMap, session: &Session, form_field: Option<&str>) -> Result<(), Response> {
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).or(form_field).unwrap_or_default();
    if !sent.is_empty() && subtle_eq(sent.as_bytes(), session.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(forbidden("missing or wrong CSRF token (form field `csrf` or header X-CSRF-Token)"))
    }
}

/// The sign-in form's token, before any session exists: bound to the link by
/// a key derived from the master key, so only the page we rendered can post it.
pub fn login_csrf(app: &Shared, link: &str) -> String {
    let key = app.master_key.derive("admin-login-csrf-v1");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(link.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}
