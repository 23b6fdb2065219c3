//! GraphQL errors, part of the GraphQL front-end (`api/graphql/`): engine errors
//! become GraphQL errors with a stable `extensions.code` (and per-field detail
//! for validation, like REST's 422), and every error text of a response is
//! scrubbed so it never names a table or relation the token may not see, and
//! never suggests one ("Did you mean …").

use async_graphql::{Error, ErrorExtensions, Pos, Response, ServerError};
use databuilder_engine::error::ErrorKind;
use databuilder_engine::exec::{DbError, WriteError};
use databuilder_engine::plan::PlanError;

use super::meta::Meta;
use super::types::to_gql;
use crate::problem::{Problem, error_row};

/// An error with `extensions.code`.
pub fn coded(message: impl Into<String>, code: &str) -> Error {
    let code = code.to_string();
    Error::new(message).extend_with(move |_, e| e.set("code", code.clone()))
}

/// A malformed argument (the table's bad-parameter row).
pub fn bad_argument(message: impl Into<String>) -> Error {
    coded(message, error_row(ErrorKind::BadParam).graphql)
}

/// A request-level error (limits, introspection) with `extensions.code`.
pub fn server(message: impl Into<String>, code: &str, pos: Option<Pos>) -> ServerError {
    let mut e = ServerError::new(message, pos);
    e.extensions.get_or_insert_with(Default::default).set("code", code);
    e
}

/// A planner error, coded by the one error table. `Forbidden` and unknown
/// resources never name the table.
pub fn plan(e: PlanError) -> Error {
    let code = error_row(e.kind()).graphql;
    match e {
        PlanError::UnknownResource(_) => coded("no such resource", code),
        PlanError::Forbidden(_) => coded("this token may not do that", code),
        PlanError::NotFound { resource, id } => coded(format!("no row `{id}` in `{resource}`"), code),
        PlanError::BadParam { param, detail } => {
            let p = param.clone();
            Error::new(format!("argument `{param}`: {detail}")).extend_with(move |_, e| {
                e.set("code", code);
                e.set("param", p.clone());
            })
        }
        PlanError::Invalid(fields) => {
            let names: Vec<&str> = fields.keys().map(String::as_str).collect();
            let detail = to_gql(&serde_json::to_value(&fields).unwrap_or_default());
            Error::new(format!("invalid fields: {}", names.join(", "))).extend_with(move |_, e| {
                e.set("code", code);
                e.set("fields", detail.clone());
            })
        }
    }
}

/// A database error, through the REST mapping (which logs internal ones without values).
pub fn db(e: DbError) -> Error {
    problem(Problem::from(e))
}

/// A write error.
pub fn write(e: WriteError) -> Error {
    problem(Problem::from(e))
}

/// Any problem (a report's, a write's), with its code from the error table.
pub fn problem(p: Problem) -> Error {
    coded(p.detail.clone(), p.graphql_code())
}

/// Scrub every error text of a response (see the module docs), drop repeated
/// errors (async-graphql reports some validation errors twice) and give every
/// error a code (resolvers set theirs; the rest are `GRAPHQL_VALIDATION_FAILED`).
pub fn scrub(response: &mut Response, meta: &Meta) {
    let mut seen = Vec::new();
    response.errors.retain(|e| {
        let key = (e.message.clone(), e.locations.clone(), e.path.clone());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    for e in &mut response.errors {
        e.message = scrub_message(&e.message, meta);
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "GRAPHQL_VALIDATION_FAILED");
        }
    }
}

const GENERIC: &str = "the query refers to something that does not exist or that this token may not use";

/// Drop suggestions and echoed unknown names; a text still naming a hidden table becomes generic.
pub fn scrub_message(message: &str, meta: &Meta) -> String {
    let mut m = message.split(" Did you mean").next().unwrap_or(message).to_string();
    for (prefix, kind) in
        [("Unknown field \"", "field"), ("Unknown type \"", "type"), ("Unknown argument \"", "argument")]
    {
        if let Some(rest) = m.strip_prefix(prefix) {
            let tail = rest.split_once('"').map(|(_, t)| t.trim_end_matches('.')).unwrap_or("");
            m = format!("Unknown {kind}{tail} (it does not exist, or this token may not see it).");
        }
    }
    let leaks = m
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .any(|w| meta.hidden.contains(&w.to_ascii_lowercase()));
    if leaks { GENERIC.to_string() } else { m }
}
