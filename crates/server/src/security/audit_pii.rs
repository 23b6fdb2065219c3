//! Which query parameter values of a request are personal data, for the audit
//! record (SPEC §8: PII never reaches the audit log, ids only). The request
//! logger stores the query string with these values replaced by the mark
//! (`REDACTED`, as for secrets); parameter names and the other values are kept.
//!
//! Decided from the catalog's marks (`Column::pii`, the sandbox's detection, and
//! `Column::secret`), never by guessing at values:
//! - on a resource (`/{resource}…`): a filter (`filter[col]`, `filter[col.op]`,
//!   `or[N][col…]`, `filter=col:value`) is kept only when `col` is a column of
//!   the resource that is neither PII nor secret — unknown columns and related
//!   paths (`client.company`) are redacted, the safe side; `cursor` (it carries
//!   the last row's sort values) is redacted when the sort names such a column;
//!   unknown parameters are redacted;
//! - on views, reports and report groups: every value that is not a list
//!   parameter (page, per_page, sort, fields, format, count, since, include,
//!   csv_raw) — view parameters and filters — is redacted, since what column a
//!   view parameter binds to is the definition's business;
//! - on GraphQL `GET`: `query` and `variables` (their literals may be anything).

use databuilder_engine::catalog::{Catalog, Table};

use super::Capability;
use crate::store::audit::redact_path_with;

/// Parameters whose values never carry row data.
const LIST_PARAMS: &[&str] = &["fields", "sort", "page", "per_page", "since", "include", "count", "format", "csv_raw"];

/// The path to store for `path?query`: secrets and personal values redacted.
/// What the route is comes from its group's capability and its typed
/// `{resource}` path parameter, never from parsing the path.
pub fn stored_path(
    catalog: &Catalog,
    capability: Capability,
    resource: Option<&str>,
    path: &str,
    query: Option<&str>,
) -> String {
    let Some(q) = query.filter(|q| !q.is_empty()) else {
        return path.to_string();
    };
    let resource = match (capability, resource) {
        (Capability::Admin, _) => return redact_path_with(path, query, &|_, _| false),
        // GraphQL `GET` carries its query and variables; nothing else here takes row data.
        (Capability::Token, _) => return redact_path_with(path, query, &|n, _| n == "query" || n == "variables"),
        (Capability::Definitions, _) => return redact_path_with(path, query, &|n, _| !LIST_PARAMS.contains(&n)),
        (Capability::Resource, r) => r.unwrap_or(""),
    };
    let table = catalog.resource(resource).map(|i| catalog.table(i));
    let sort_is_plain = sort_param(q).is_none_or(|s| {
        s.split(',').map(|k| k.trim().trim_start_matches(['-', '+'])).all(|c| c.is_empty() || plain(table, c))
    });
    redact_path_with(path, query, &|name, value| personal(table, sort_is_plain, name, value))
}

/// The decoded value of the `sort` parameter, if any.
fn sort_param(q: &str) -> Option<String> {
    form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "sort").map(|(_, v)| v.into_owned())
}

/// A column of the resource that is neither PII nor secret.
fn plain(table: Option<&Table>, column: &str) -> bool {
    table.and_then(|t| t.column_index(column).map(|i| &t.columns[i])).is_some_and(|c| c.pii.is_none() && !c.secret)
}

/// The column a filter key names: `col`, `col.op` or `col][op` → `col`.
fn filter_column(inner: &str) -> &str {
    inner.split(['.', ']', '[']).next().unwrap_or(inner)
}

fn personal(table: Option<&Table>, sort_is_plain: bool, name: &str, value: &str) -> bool {
    if let Some(inner) = name.strip_prefix("filter[") {
        return !plain(table, filter_column(inner));
    }
    if let Some(rest) = name.strip_prefix("or[") {
        let inner = rest.split_once("][").map_or("", |(_, c)| c);
        return !plain(table, filter_column(inner));
    }
    match name {
        "filter" => !plain(table, filter_column(value.split_once(':').map_or(value, |(c, _)| c))),
        "cursor" => !sort_is_plain,
        n if LIST_PARAMS.contains(&n) => false,
        _ => true,
    }
}
