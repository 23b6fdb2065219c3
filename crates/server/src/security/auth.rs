//! Stage 3, the auth gate. `Authorization: Bearer dba_…` (or `?token=` only when
//! `allow_query_token` is on). Malformed tokens are refused before any database
//! lookup; known tokens must be active. Tokens with an HMAC secret must sign
//! every request (`X-Signature`, `X-Timestamp` within the window, a fresh
//! `X-Nonce`). The principal goes into the request extensions.

use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{Stage, reject};
use crate::app_state::Shared;
use crate::body;
use crate::problem::Problem;
use crate::store::crypto;
use crate::store::tokens::{self, TokenRecord};

/// The URI as the client sent it (nested routers strip their prefix from `uri()`).
pub fn original_uri(req: &Request) -> axum::http::Uri {
    req.extensions().get::<OriginalUri>().map(|o| o.0.clone()).unwrap_or_else(|| req.uri().clone())
}

/// The authenticated token's id (a response extension, for the audit log).
#[derive(Debug, Clone, Copy)]
pub struct TokenId(pub i64);

fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn query_token(req: &Request) -> Option<String> {
    let q = original_uri(req).query()?.to_string();
    form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
}

fn unauthorized(detail: &str) -> Response {
    reject(Stage::Auth, Problem::unauthorized(detail))
}

/// Authenticate, or answer 401.
pub async fn authenticate(State(app): State<Shared>, req: Request, next: Next) -> Response {
    // The query string is only looked at when there is no bearer header.
    let token = match bearer(&req).map(str::to_string) {
        Some(t) => t,
        None => match query_token(&req) {
            Some(_) if !app.config.security.allow_query_token => {
                return unauthorized("tokens in the query string are disabled; send `Authorization: Bearer`");
            }
            Some(t) => t,
            None => return unauthorized("missing bearer token"),
        },
    };

    if !tokens::well_formed(&token) {
        return unauthorized("malformed token");
    }
    let record = match app.token(&tokens::hash(&token)).await {
        Ok(r) => r,
        Err(e) => return reject(Stage::Auth, Problem::from(e)),
    };
    let Some(entry) = record else { return unauthorized("unknown token") };
    let (record, principal) = (&entry.record, &entry.principal);
    if !record.active() {
        return unauthorized("token expired or revoked");
    }
    let mut req = match &record.hmac_secret {
        Some(sealed) => match verify_signature(&app, record, sealed, req).await {
            Ok(req) => req,
            Err(res) => return res,
        },
        None => req,
    };
    req.extensions_mut().insert(principal.clone());
    req.extensions_mut().insert(entry.guard.clone());

    let mut res = next.run(req).await;
    res.extensions_mut().insert(TokenId(record.id));
    res
}

fn header_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `X-Signature = hex(HMAC-SHA256(secret, METHOD\nPATH\nQUERY\nsha256_hex(body)\nX-Timestamp))`.
pub fn signature_message(method: &str, path: &str, query: &str, body: &[u8], timestamp: &str) -> String {
    format!("{method}\n{path}\n{query}\n{}\n{timestamp}", hex::encode(Sha256::digest(body)))
}

/// Check a signed request; returns it with its body restored.
async fn verify_signature(app: &Shared, record: &TokenRecord, sealed: &str, req: Request) -> Result<Request, Response> {
    let Some(secret) = crypto::open(&app.master_key, sealed) else {
        tracing::error!(token_id = record.id, "HMAC secret does not decrypt with this master key");
        return Err(unauthorized("request signing is misconfigured for this token"));
    };
    let (Some(sig), Some(ts), Some(nonce)) =
        (header_str(&req, "x-signature"), header_str(&req, "x-timestamp"), header_str(&req, "x-nonce"))
    else {
        return Err(unauthorized("this token must sign requests: X-Signature, X-Timestamp and X-Nonce are required"));
    };
    let (sig, ts, nonce) = (sig.to_string(), ts.to_string(), nonce.to_string());
    let Ok(at) = ts.parse::<i64>() else { return Err(unauthorized("X-Timestamp must be unix seconds")) };
    if (chrono::Utc::now().timestamp() - at).abs() > app.config.security.signature_window {
        return Err(unauthorized("X-Timestamp is outside the allowed window"));
    }
    if nonce.is_empty() || nonce.len() > 128 {
        return Err(unauthorized("X-Nonce must be 1 to 128 characters"));
    }
    let (parts, body) = req.into_parts();
    let bytes = body::read(body, app.config.security.body_limit, app.config.body_timeout())
        .await
        .map_err(|p| reject(Stage::Shield, p))?;
    let uri = parts.extensions.get::<OriginalUri>().map(|o| o.0.clone()).unwrap_or_else(|| parts.uri.clone());
    let message = signature_message(parts.method.as_str(), uri.path(), uri.query().unwrap_or(""), &bytes, &ts);

    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    let given = hex::decode(sig.trim()).unwrap_or_default();
    if mac.verify_slice(&given).is_err() {
        return Err(unauthorized("the request signature does not verify"));
    }
    match app.store.use_nonce(record.id, &nonce).await {
        Ok(true) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Ok(false) => Err(unauthorized("X-Nonce was already used: replay refused")),
        Err(e) => Err(reject(Stage::Auth, Problem::from(e))),
    }
}
