//! Stage 2, CORS. Preflights (`OPTIONS` with `Access-Control-Request-Method`) are
//! answered without authentication, because browsers send no credentials with
//! them: an origin named by the server list (`[security] cors_origins`) or by any
//! active token's whitelist is granted (SPEC §6.2), so a token made with
//! `--origin https://app.example` works from that page with no other setting.
//! After authentication, a token with an origin whitelist rejects any other
//! `Origin` with 403 ([`origin_check`]): the grant of the preflight is only a
//! permission to ask.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::{Stage, reject};
use crate::app_state::{Shared, TokenGuard};
use crate::config::Origin;
use crate::problem::Problem;
use crate::store::Store;

const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, if-match, x-signature, x-timestamp, x-nonce";
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const EXPOSE_HEADERS: &str =
    "etag, x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after";

/// How long the union of the active tokens' origins is trusted; a new, changed
/// or revoked token's origins take effect within it.
pub const TOKEN_ORIGINS_TTL: Duration = Duration::from_secs(5);

/// Where the active tokens' origins come from.
enum Source {
    Store(Store),
    Fixed(Vec<Origin>),
}

/// The union of every active token's origin whitelist, re-read at most every
/// [`TOKEN_ORIGINS_TTL`] (only preflights and cross-origin responses ask).
pub struct TokenOrigins {
    source: Source,
    cache: tokio::sync::Mutex<Option<(Instant, Arc<Vec<Origin>>)>>,
}

impl TokenOrigins {
    pub fn from_store(store: Store) -> TokenOrigins {
        TokenOrigins { source: Source::Store(store), cache: Default::default() }
    }

    /// A fixed list (tests, and servers without tokens).
    pub fn fixed(origins: Vec<Origin>) -> TokenOrigins {
        TokenOrigins { source: Source::Fixed(origins), cache: Default::default() }
    }

    async fn current(&self) -> Arc<Vec<Origin>> {
        let store = match &self.source {
            Source::Fixed(list) => return Arc::new(list.clone()),
            Source::Store(store) => store,
        };
        let mut cache = self.cache.lock().await;
        if let Some((at, list)) = cache.as_ref()
            && at.elapsed() < TOKEN_ORIGINS_TTL
        {
            return list.clone();
        }
        let list: Arc<Vec<Origin>> = match store.list_tokens().await {
            Ok(tokens) => Arc::new(
                tokens
                    .iter()
                    .filter(|t| t.active())
                    .flat_map(|t| TokenGuard::of(&t.principal()).origins.unwrap_or_default())
                    .collect(),
            ),
            Err(e) => {
                // Fail closed: no token origin is granted until the store answers.
                tracing::warn!(error = %e, "reading token origins failed");
                return Arc::new(Vec::new());
            }
        };
        *cache = Some((Instant::now(), list.clone()));
        list
    }
}

/// What stage 2 needs: the server's list and the tokens' origins.
#[derive(Clone)]
pub struct Cors {
    pub server: Arc<[Origin]>,
    pub tokens: Arc<TokenOrigins>,
}

impl FromRef<Shared> for Cors {
    fn from_ref(app: &Shared) -> Cors {
        app.cors.clone()
    }
}

impl Cors {
    async fn allows(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        self.server.iter().any(|o| o.admits(&origin)) || self.tokens.current().await.iter().any(|o| o.admits(&origin))
    }
}

fn origin(h: &HeaderMap) -> Option<&str> {
    h.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// Answer preflights; add CORS headers to responses for allowed origins.
pub async fn preflight(State(cors): State<Cors>, req: Request, next: Next) -> Response {
    let origin = origin(req.headers()).map(str::to_string);
    let is_preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let allowed = match &origin {
        Some(o) => cors.allows(o).await,
        None => false,
    };
    if is_preflight {
        if !allowed {
            return reject(Stage::Cors, Problem::forbidden("this origin is not allowed by the server's CORS policy"));
        }
        let mut res = Response::new(axum::body::Body::empty());
        *res.status_mut() = StatusCode::NO_CONTENT;
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        add_origin(h, origin.as_deref());
        return res;
    }
    let mut res = next.run(req).await;
    if allowed {
        add_origin(res.headers_mut(), origin.as_deref());
        res.headers_mut().insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
    res
}

fn add_origin(h: &mut HeaderMap, origin: Option<&str>) {
    if let Some(v) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// After authentication: a token's origin whitelist (parsed when the token was loaded).
pub async fn origin_check(req: Request, next: Next) -> Response {
    let guard = req.extensions().get::<Arc<TokenGuard>>().cloned();
    if let (Some(list), Some(o)) = (guard.as_ref().and_then(|g| g.origins.as_ref()), origin(req.headers()))
        && !list.iter().any(|a| a.admits(&o.to_ascii_lowercase()))
    {
        return reject(Stage::Cors, Problem::forbidden("this token may not be used from this origin"));
    }
    next.run(req).await
}
