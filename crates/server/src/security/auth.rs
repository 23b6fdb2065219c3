//! Stage 3: the auth gate. `Authorization: Bearer dba_…` (or `?token=` when
//! `allow_query_token` is on). Malformed tokens are refused before any database
//! lookup; known tokens must be active. The principal goes into the request
//! extensions for the handlers (and later stages) to read.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::error::Problem;
use crate::app_state::Shared;
use crate::state::tokens;

/// The bearer token of a request, if any.
fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn query_token(req: &Request) -> Option<String> {
    let q = req.uri().query()?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// Authenticate, or answer 401.
pub async fn authenticate(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let token = match (bearer(&req), query_token(&req)) {
        (Some(t), _) => t.to_string(),
        (None, Some(_)) if !app.config.security.allow_query_token => {
            return Problem::unauthorized(
                "tokens in the query string are disabled; send `Authorization: Bearer`",
            )
            .into_response();
        }
        (None, Some(t)) => t,
        (None, None) => return Problem::unauthorized("missing bearer token").into_response(),
    };
    if !tokens::well_formed(&token) {
        return Problem::unauthorized("malformed token").into_response();
    }
    let record = match app.token(&tokens::hash(&token)).await {
        Ok(r) => r,
        Err(e) => return Problem::from(e).into_response(),
    };
    match record {
        Some(r) if r.active() => {
            req.extensions_mut().insert(Arc::new(r.principal()));
            next.run(req).await
        }
        Some(_) => Problem::unauthorized("token expired or revoked").into_response(),
        None => Problem::unauthorized("unknown token").into_response(),
    }
}
