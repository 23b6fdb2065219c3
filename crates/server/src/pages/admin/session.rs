//! Sign-in by magic link and the session cookie (SPEC §7).
//!
//! `GET /login?link=…` only shows a page with one "Sign in" button: mail
//! scanners that prefetch links must not burn them. `POST /login` consumes the
//! link with one atomic UPDATE (`store::admin`); a used, expired and unknown
//! link all get the same page and status. The cookie `databuilder_admin` is
//! opaque, `HttpOnly`, `SameSite=Strict`, scoped to the console's path, and
//! `Secure` over HTTPS or behind a trusted proxy that says so.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::csrf::{check_origin, login_csrf};
use super::{ROOT, action, form, templates};
use crate::app_state::Shared;
use crate::problem::Problem;
use crate::store::admin::{ABSOLUTE, Session};

/// The session cookie's name.
pub const COOKIE: &str = "databuilder_admin";

/// Whether the request came over HTTPS (configured, or a trusted proxy says so).
pub fn https(app: &Shared, headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> bool {
    let says = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    app.config.security.https
        || (says && peer.is_some_and(|p| crate::security::client_ip::in_nets(p.ip(), &app.trusted_proxies)))
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let c = format!("{COOKIE}={value}; Path={ROOT}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("databuilder_admin=; Max-Age=0"))
}

/// Why a request has no session.
pub enum NoSession {
    /// No cookie, or one that is unknown, idle too long or too old.
    SignedOut,
    /// The state store failed.
    Store(Problem),
}

/// The live session of a request.
pub async fn current(app: &Shared, headers: &HeaderMap) -> Result<Session, NoSession> {
    let Some(cookie) = cookie_value(headers).filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return Err(NoSession::SignedOut);
    };
    match app.store.admin_session(&cookie).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(NoSession::SignedOut),
        Err(e) => Err(NoSession::Store(e.into())),
    }
}

/// The page a signed-out visitor sees (401): how to get a link.
pub fn signed_out_page() -> Response {
    templates::page(
        StatusCode::UNAUTHORIZED,
        "message.html",
        context! { title => "Signed out", message => "Your session has ended or you have not signed in. Ask for a sign-in link on the server: databuilder admin link", signed_in => false },
    )
}

/// The session of a page request, or the signed-out page.
pub async fn page_session(app: &Shared, headers: &HeaderMap) -> Result<Session, Response> {
    current(app, headers).await.map_err(|e| match e {
        NoSession::SignedOut => signed_out_page(),
        NoSession::Store(p) => p.into_response(),
    })
}

/// The session of a script call, or a 401 problem.
pub async fn api_session(app: &Shared, headers: &HeaderMap) -> Result<Session, Response> {
    current(app, headers).await.map_err(|e| match e {
        NoSession::SignedOut => {
            Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", "sign in to the admin console first")
                .into_response()
        }
        NoSession::Store(p) => p.into_response(),
    })
}

fn well_formed_link(link: &str) -> bool {
    link.len() == 64 && link.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The one answer for used, expired, unknown and malformed links.
fn link_refused() -> Response {
    templates::page(
        StatusCode::BAD_REQUEST,
        "message.html",
        context! { title => "This sign-in link cannot be used", message => "The link was already used, has expired, or was never issued. Ask for a new one on the server: databuilder admin link", signed_in => false },
    )
}

/// `GET /admin/login?link=…`: a page with one button; consumes nothing.
pub async fn login_page(State(app): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let q = form::parse(q.unwrap_or_default().as_bytes());
    let Some(link) = q.get("link").filter(|l| well_formed_link(l)) else {
        return link_refused();
    };
    let csrf = login_csrf(&app, link);
    templates::page(StatusCode::OK, "login.html", context! { link => link, csrf => csrf, signed_in => false })
}

/// `POST /admin/login` (form: `link`, `csrf`): consume the link, open a session,
/// redirect to the link's `next` (already made safe when it was issued, and
/// checked again here).
pub async fn login(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    axum::Extension(request_id): axum::Extension<crate::security::headers::RequestId>,
    mut headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The audit record of the sign-in carries the request id, like every other action's.
    if let Ok(v) = request_id.0.parse() {
        headers.insert("x-request-id", v);
    }
    if let Err(res) = check_origin(&app, &headers, Some(peer)) {
        return res;
    }
    let f = form::parse(&body);
    let link = f.get("link").unwrap_or_default();
    if !well_formed_link(link) {
        return link_refused();
    }
    let csrf_ok = crate::store::tokens::subtle_eq(
        f.get("csrf").unwrap_or_default().as_bytes(),
        login_csrf(&app, link).as_bytes(),
    );
    if !csrf_ok {
        return Problem::forbidden("the sign-in form's csrf field is missing or wrong").into_response();
    }
    let next = match app.store.consume_admin_link(link).await {
        Ok(Some(next)) => next,
        Ok(None) => return link_refused(),
        Err(e) => return Problem::from(e).into_response(),
    };
    let (cookie, session) = match app.store.create_admin_session().await {
        Ok(s) => s,
        Err(e) => return Problem::from(e).into_response(),
    };
    action::record(&app, &headers, Some(peer), &session, "POST", "login", None);
    let target = super::redirect::safe_next(Some(&next));
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&cookie, ABSOLUTE.as_secs(), https(&app, &headers, Some(peer))));
    res
}

/// `POST /admin/logout` (CSRF-checked): the session ends everywhere.
pub async fn logout(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match page_session(&app, &headers).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let f = form::parse(&body);
    if let Err(res) = super::csrf::check(&app, &headers, Some(peer), &session, f.get("csrf")) {
        return res;
    }
    if let Err(e) = app.store.end_admin_session(&session.hash).await {
        return Problem::from(e).into_response();
    }
    action::record(&app, &headers, Some(peer), &session, "POST", "logout", None);
    let mut res = templates::page(
        StatusCode::OK,
        "message.html",
        context! { title => "Signed out", message => "You are signed out. Ask for a new sign-in link on the server to come back: databuilder admin link", signed_in => false },
    );
    res.headers_mut().insert(header::SET_COOKIE, set_cookie("", 0, https(&app, &headers, Some(peer))));
    res
}
