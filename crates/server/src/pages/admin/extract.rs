//! The signed-in admin of a request, as an extractor: pages answer a missing
//! or ended session with the signed-out page, script calls with a 401 problem.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;

use super::form::Form;
use super::{action, csrf, session};
use crate::app_state::Shared;
use crate::store::admin::Session;

/// A console page request with a live session.
pub struct Admin {
    pub app: Shared,
    pub session: Session,
    pub peer: Option<SocketAddr>,
    pub headers: HeaderMap,
}

/// A console script call (`/admin/api/…`) with a live session.
pub struct AdminApi(pub Admin);

fn parts_of(parts: &Parts) -> (Option<SocketAddr>, HeaderMap) {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let mut headers = parts.headers.clone();
    // The request id travels with the headers so audit records carry it.
    if let Some(id) = parts.extensions.get::<crate::security::headers::RequestId>()
        && let Ok(v) = id.0.parse()
    {
        headers.insert("x-request-id", v);
    }
    (peer, headers)
}

impl FromRequestParts<Shared> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Response> {
        let (peer, headers) = parts_of(parts);
        let session = session::page_session(app, &headers).await?;
        Ok(Admin { app: app.clone(), session, peer, headers })
    }
}

impl FromRequestParts<Shared> for AdminApi {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Response> {
        let (peer, headers) = parts_of(parts);
        let session = session::api_session(app, &headers).await?;
        Ok(AdminApi(Admin { app: app.clone(), session, peer, headers }))
    }
}

impl Admin {
    /// Origin and CSRF checks of a state-changing form post.
    pub fn check_form(&self, form: &Form) -> Result<(), Response> {
        csrf::check(&self.app, &self.headers, self.peer, &self.session, form.get("csrf"))
    }

    /// Origin and CSRF checks of a state-changing script call.
    pub fn check_call(&self) -> Result<(), Response> {
        csrf::check(&self.app, &self.headers, self.peer, &self.session, None)
    }

    /// Record an admin action (see [`action::record`]).
    pub fn record(&self, method: &str, what: &str, token_id: Option<i64>) {
        action::record(&self.app, &self.headers, self.peer, &self.session, method, what, token_id);
    }

    pub fn client_ip(&self) -> String {
        action::client_ip(&self.app, &self.headers, self.peer)
    }
}
