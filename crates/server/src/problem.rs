//! The one HTTP mapping of every error: RFC 9457 problem+json. Handlers and
//! security stages return a [`Problem`]; the outermost layer (`security/headers.rs`)
//! renders its body with `instance` and `request_id`, so every rejection looks
//! the same and carries the same headers. No database text ever reaches a body.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
        let mut p = Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            "Bad parameter",
            format!("parameter `{param}`: {detail}"),
        );
        p.errors = Some(Box::new(json!({ param: [detail] })));
        p
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed; the request id identifies it in the logs",
        )
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

impl From<PlanError> for Problem {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::UnknownResource(r) => Problem::not_found(format!("no resource `{r}`")),
            PlanError::NotFound { resource, id } => Problem::not_found(format!("no row `{id}` in `{resource}`")),
            PlanError::Forbidden(d) => Problem::forbidden(d),
            PlanError::BadParam { param, detail } => Problem::bad_param(&param, detail),
            PlanError::Invalid(errors) => invalid(errors),
        }
    }
}

/// 422 with per-field errors.
pub fn invalid(errors: BTreeMap<String, Vec<String>>) -> Problem {
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
        "Validation failed",
        format!("invalid fields: {}", fields.join(", ")),
    );
    p.errors = Some(Box::new(serde_json::to_value(&errors).unwrap_or_default()));
    p
}

impl From<DbError> for Problem {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", "a row with the same unique value exists")
            }
            DbError::ForeignKey => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                "the row is referenced by, or references, another row",
            ),
            DbError::Constraint | DbError::Data => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "rejected",
                "Rejected by the database",
                "a value does not fit its column (range, length or constraint)",
            ),
            DbError::Timeout => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "Timed out",
                "the statement took too long and was cancelled",
            ),
            DbError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "the database is unavailable",
                )
            }
            DbError::Other(e) => {
                tracing::error!(error = %e, "database error");
                Problem::internal()
            }
        }
    }
}

impl From<WriteError> for Problem {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Db(e) => e.into(),
            WriteError::NotFound => Problem::not_found("no such row"),
            WriteError::PreconditionFailed => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
                "the row changed since the ETag given in If-Match",
            ),
        }
    }
}
