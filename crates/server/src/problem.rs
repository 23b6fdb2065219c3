//! The one HTTP mapping of every error: RFC 9457 problem+json. Handlers and
//! security stages return a [`Problem`]; the outermost layer (`security/headers.rs`)
//! renders its body with `instance` and `request_id`, so every rejection looks
//! the same and carries the same headers. No database text ever reaches a body.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use databuilder_engine::error::ErrorKind;
use databuilder_engine::exec::{DbError, WriteError};
use databuilder_engine::plan::PlanError;
use databuilder_engine::request::ParamError;
use serde_json::{Value as J, json};

/// A problem response before rendering.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable short code, also the last segment of `type`.
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Option<Box<J>>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem { status, code, title, detail: detail.into(), errors: None, headers: Vec::new() }
    }

    pub fn bad_param(param: &str, detail: impl Into<String>) -> Problem {
        let detail = detail.into();
        let mut p = Problem::of(ErrorKind::BadParam, format!("parameter `{param}`: {detail}"));
        p.errors = Some(Box::new(json!({ param: [detail] })));
        p
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::of(ErrorKind::NotFound, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::of(ErrorKind::Forbidden, detail)
    }

    pub fn internal() -> Problem {
        Problem::of(ErrorKind::Internal, "the server failed; the request id identifies it in the logs")
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }

    /// The JSON body.
    pub fn body(&self, instance: &str, request_id: &str) -> String {
        let mut b = json!({
            "type": format!("https://databuilder.dev/problems/{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "instance": instance,
            "request_id": request_id,
        });
        if let (Some(errors), Some(obj)) = (&self.errors, b.as_object_mut()) {
            obj.insert("errors".into(), (**errors).clone());
        }
        b.to_string()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = self.status;
        for (k, v) in &self.headers {
            res.headers_mut().insert(k.clone(), v.clone());
        }
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        res.extensions_mut().insert(self);
        res
    }
}

impl From<ParamError> for Problem {
    fn from(e: ParamError) -> Self {
        Problem::bad_param(&e.param, e.detail)
    }
}

/// One row of the error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorRow {
    pub status: StatusCode,
    /// The problem code: the last segment of `type`.
    pub code: &'static str,
    pub title: &'static str,
    /// GraphQL's `extensions.code`.
    pub graphql: &'static str,
}

const fn row(status: StatusCode, code: &'static str, title: &'static str, graphql: &'static str) -> ErrorRow {
    ErrorRow { status, code, title, graphql }
}

/// The one error table, for every front-end: an engine error kind's HTTP status,
/// problem type and GraphQL code.
pub const fn error_row(kind: ErrorKind) -> ErrorRow {
    match kind {
        ErrorKind::NotFound => row(StatusCode::NOT_FOUND, "not-found", "Not found", "NOT_FOUND"),
        ErrorKind::Forbidden => row(StatusCode::FORBIDDEN, "forbidden", "Forbidden", "FORBIDDEN"),
        ErrorKind::BadParam => row(StatusCode::BAD_REQUEST, "bad-parameter", "Bad parameter", "BAD_REQUEST"),
        ErrorKind::Invalid => {
            row(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed", "Validation failed", "VALIDATION")
        }
        ErrorKind::Conflict => row(StatusCode::CONFLICT, "conflict", "Conflict", "CONFLICT"),
        ErrorKind::Rejected => {
            row(StatusCode::UNPROCESSABLE_ENTITY, "rejected", "Rejected by the database", "REJECTED")
        }
        ErrorKind::PreconditionFailed => {
            row(StatusCode::PRECONDITION_FAILED, "precondition-failed", "Precondition failed", "PRECONDITION_FAILED")
        }
        ErrorKind::Timeout => row(StatusCode::SERVICE_UNAVAILABLE, "timeout", "Timed out", "TIMEOUT"),
        ErrorKind::Unavailable => {
            row(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", "UNAVAILABLE")
        }
        ErrorKind::Internal => row(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "INTERNAL"),
    }
}

/// Every kind, for the table's tests and documentation.
pub const ERROR_KINDS: [ErrorKind; 10] = [
    ErrorKind::NotFound,
    ErrorKind::Forbidden,
    ErrorKind::BadParam,
    ErrorKind::Invalid,
    ErrorKind::Conflict,
    ErrorKind::Rejected,
    ErrorKind::PreconditionFailed,
    ErrorKind::Timeout,
    ErrorKind::Unavailable,
    ErrorKind::Internal,
];

impl Problem {
    /// A problem of an engine error kind, with its row of the table.
    pub fn of(kind: ErrorKind, detail: impl Into<String>) -> Problem {
        let r = error_row(kind);
        Problem::new(r.status, r.code, r.title, detail)
    }

    /// The GraphQL code of this problem: its table row's, or by status for the
    /// HTTP-only problems (limits, auth) that GraphQL never raises itself.
    pub fn graphql_code(&self) -> &'static str {
        match ERROR_KINDS.iter().map(|k| error_row(*k)).find(|r| r.code == self.code) {
            Some(r) => r.graphql,
            None if self.status.is_server_error() => "INTERNAL",
            None => "BAD_REQUEST",
        }
    }
}

impl From<PlanError> for Problem {
    fn from(e: PlanError) -> Self {
        let kind = e.kind();
        match e {
            PlanError::UnknownResource(r) => Problem::of(kind, format!("no resource `{r}`")),
            PlanError::NotFound { resource, id } => Problem::of(kind, format!("no row `{id}` in `{resource}`")),
            PlanError::Forbidden(d) => Problem::of(kind, d),
            PlanError::BadParam { param, detail } => Problem::bad_param(&param, detail),
            PlanError::Invalid(errors) => invalid(errors),
        }
    }
}

/// 422 with per-field errors.
pub fn invalid(errors: BTreeMap<String, Vec<String>>) -> Problem {
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    let mut p = Problem::of(ErrorKind::Invalid, format!("invalid fields: {}", fields.join(", ")));
    p.errors = Some(Box::new(serde_json::to_value(&errors).unwrap_or_default()));
    p
}

impl From<DbError> for Problem {
    fn from(e: DbError) -> Self {
        let detail = match &e {
            DbError::Unique => "a row with the same unique value exists",
            DbError::ForeignKey => "the row is referenced by, or references, another row",
            DbError::Constraint | DbError::Data => "a value does not fit its column (range, length or constraint)",
            DbError::Timeout => "the statement took too long and was cancelled",
            DbError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                "the database is unavailable"
            }
            DbError::Other(e) => {
                tracing::error!(error = %e, "database error");
                "the server failed; the request id identifies it in the logs"
            }
        };
        Problem::of(e.kind(), detail)
    }
}

impl From<WriteError> for Problem {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Db(e) => e.into(),
            WriteError::NotFound => Problem::of(e.kind(), "no such row"),
            WriteError::PreconditionFailed => Problem::of(e.kind(), "the row changed since the ETag given in If-Match"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_distinct_row() {
        let rows: Vec<ErrorRow> = ERROR_KINDS.iter().map(|k| error_row(*k)).collect();
        for (i, a) in rows.iter().enumerate() {
            assert!(rows[i + 1..].iter().all(|b| b.code != a.code && b.graphql != a.graphql), "{a:?}");
        }
        assert_eq!(Problem::of(ErrorKind::Timeout, "x").graphql_code(), "TIMEOUT");
        assert_eq!(Problem::of(ErrorKind::Timeout, "x").status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
