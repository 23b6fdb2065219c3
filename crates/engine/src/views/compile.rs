//! Views become list requests: parameters are typed and substituted, the
//! caller's list parameters are applied on top (they can only narrow), and the
//! request is planned for the caller — granted read on the view's tables and
//! fields only, so a views-only token reads the view and nothing more, while its
//! row filters and the secret-column rules still apply.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{ParamDef, ParamKind, ViewDef};
use crate::catalog::Catalog;
use crate::plan::{Ctx, PlanError, plan_list};
use crate::principal::{Crud, Policy, Principal, Scopes};
use crate::request::{Filter, ListRequest, filter_from_key, parse_list_query};
use crate::value::parse_datetime;

/// Errors of a definition (at `apply` time), with the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewError {
    /// The word to look for in the definition file (a column, key or parameter).
    pub token: String,
    pub message: String,
}

fn check_param(name: &str, def: &ParamDef, v: &str) -> Result<(), PlanError> {
    let bad = |what: &str| Err(PlanError::param(name, format!("expected {what}")));
    match def.kind {
        ParamKind::Int if v.parse::<i64>().is_err() => bad("an integer"),
        ParamKind::Decimal if v.parse::<Decimal>().is_err() => bad("a decimal number"),
        ParamKind::Date if NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() => bad("a date (YYYY-MM-DD)"),
        ParamKind::Datetime if parse_datetime(v).is_err() => bad("a date-time (ISO 8601)"),
        ParamKind::Bool if v != "true" && v != "false" => bad("true or false"),
        _ => Ok(()),
    }
}

/// Typed parameter values; a missing required parameter is a 400 naming it.
fn bind_params(
    params: &BTreeMap<String, ParamDef>,
    args: &[(String, String)],
) -> Result<BTreeMap<String, String>, PlanError> {
    let mut out = BTreeMap::new();
    for (name, def) in params {
        let given = args.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        match given.or_else(|| def.default.clone()) {
            Some(v) => {
                check_param(name, def, &v)?;
                out.insert(name.clone(), v);
            }
            None if def.required => return Err(PlanError::param(name, "this parameter is required")),
            None => {}
        }
    }
    Ok(out)
}

/// `{{name}}` → value. `None` when the value uses an optional parameter that was not given.
fn substitute(value: &str, values: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}")? + start;
        out.push_str(&rest[..start]);
        out.push_str(values.get(rest[start + 2..end].trim())?);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// Filters of a definition with parameters substituted.
pub(crate) fn definition_filters(
    filter: &BTreeMap<String, String>,
    params: &BTreeMap<String, ParamDef>,
    args: &[(String, String)],
) -> Result<Vec<Filter>, PlanError> {
    let values = bind_params(params, args)?;
    let mut out = Vec::new();
    for (key, raw) in filter {
        if let Some(v) = substitute(raw, &values) {
            out.push(filter_from_key(&format!("filter[{key}]"), key, &v)?);
        }
    }
    Ok(out)
}

/// The view's own request, for the given parameter values.
pub fn compile_view(def: &ViewDef, args: &[(String, String)]) -> Result<ListRequest, PlanError> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(f) = &def.fields {
        q.append_pair("fields", &f.join(","));
    }
    if let Some(s) = &def.sort {
        q.append_pair("sort", s);
    }
    if !def.include.is_empty() {
        q.append_pair("include", &def.include.join(","));
    }
    let mut req = parse_list_query(&q.finish())?;
    req.filters = definition_filters(&def.filter, &def.params, args)?;
    Ok(req)
}

/// The caller's parameters on top of the view's request: more filters, fewer
/// fields and includes, another order, paging and format. Never wider.
pub fn narrow(view: ListRequest, caller: &ListRequest) -> Result<ListRequest, PlanError> {
    let mut out = view.clone();
    if let Some(fields) = &caller.fields {
        if let Some(allowed) = &view.fields
            && let Some(f) = fields.iter().find(|f| !allowed.contains(f))
        {
            return Err(PlanError::param("fields", format!("`{f}` is not a field of this view")));
        }
        out.fields = Some(fields.clone());
    }
    if let Some(allowed) = &view.fields {
        if let Some(k) = caller.sort.iter().find(|k| !allowed.contains(&k.column)) {
            return Err(PlanError::param("sort", format!("`{}` is not a field of this view", k.column)));
        }
        let outside =
            caller.filters.iter().chain(caller.or_group.iter().flatten()).find(|f| !allowed.contains(&f.column));
        if let Some(f) = outside {
            return Err(PlanError::param(
                format!("filter[{}]", f.key()),
                format!("`{}` is not a field of this view", f.column),
            ));
        }
    }
    if !caller.include.is_empty() {
        if let Some(p) = caller.include.iter().find(|p| !view.include.iter().any(|v| v.starts_with(p))) {
            return Err(PlanError::param("include", format!("`{}` is not an include of this view", p.join("."))));
        }
        out.include = caller.include.clone();
    }
    if !caller.sort.is_empty() {
        out.sort = caller.sort.clone();
    }
    out.filters.extend(caller.filters.iter().cloned());
    out.or_group = caller.or_group.clone();
    out.page = caller.page;
    out.per_page = caller.per_page;
    out.cursor = caller.cursor.clone();
    out.since = caller.since.clone();
    out.count = caller.count;
    out.format = caller.format;
    Ok(out)
}

/// The caller as it may read `view`: refused without the `views` scope or outside
/// its view allowlist; otherwise granted read on the view's resource (limited to
/// the view's fields) and its includes. Row filters and column lists it already
/// had stay; sensitive tables stay refused by the planner.
/// Reports pass `allowlist = false`: the view allowlist names views, not reports.
pub fn view_principal(
    catalog: &Catalog,
    caller: &Principal,
    view: &ViewDef,
    allowlist: bool,
) -> Result<Principal, PlanError> {
    let pol = &caller.policy;
    if !pol.may_use_definitions() {
        return Err(PlanError::Forbidden("this token has no `views` scope".into()));
    }
    if allowlist && !pol.views.is_empty() && !pol.views.iter().any(|v| *v == *view.slug) {
        return Err(PlanError::Forbidden(format!("this token may not read view `{}`", view.slug)));
    }
    if pol.admin || pol.sandbox {
        return Ok(caller.clone());
    }
    let mut granted: Policy = pol.clone();
    if !pol.scopes.tables {
        granted.tables.clear();
    }
    granted.scopes = Scopes { tables: true, ..pol.scopes };
    let mut grant = |resource: &str, fields: Option<&Vec<String>>| {
        if caller.crud(resource).read {
            return;
        }
        granted.tables.insert(resource.to_string(), Crud::READ);
        if let Some(f) = fields {
            let cols = match pol.columns.get(resource) {
                Some(existing) => f.iter().filter(|c| existing.contains(c)).cloned().collect(),
                None => f.clone(),
            };
            granted.columns.insert(resource.to_string(), cols);
        }
    };
    // The view's own filters and sort may use columns it does not output.
    let fields = view.fields.as_ref().map(|f| {
        let mut cols = f.clone();
        let filtered = view.filter.keys().map(|k| k.split('.').next().unwrap_or(k).to_string());
        let sorted =
            view.sort.iter().flat_map(|s| s.split(',')).map(|s| s.trim().trim_start_matches(['-', '+']).to_string());
        cols.extend(filtered.chain(sorted));
        cols
    });
    grant(&view.resource, fields.as_ref());
    for target in include_targets(catalog, &view.resource, &view.include) {
        grant(&target, None);
    }
    Ok(Principal { policy: granted, ..caller.clone() })
}

/// Resources reached by include paths (`client.country` → clients, countries).
fn include_targets(catalog: &Catalog, resource: &str, paths: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        let Some(mut at) = catalog.resource(resource) else { continue };
        for seg in path.split('.') {
            let Some(rel) = catalog.table(at).relation(seg) else { break };
            at = rel.target;
            out.push(catalog.table(at).resource.clone());
        }
    }
    out
}

/// A sample value per parameter type, to validate definitions.
pub(crate) fn sample(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Int | ParamKind::Decimal => "1",
        ParamKind::Date => "2024-01-01",
        ParamKind::Datetime => "2024-01-01T00:00:00",
        ParamKind::Bool => "true",
        ParamKind::String => "x",
    }
}

/// Check a view against the live catalog, as an all-tables principal would plan
/// it (sensitive tables and secret columns are refused).
pub fn validate_view(catalog: &Catalog, def: &ViewDef) -> Result<(), ViewError> {
    if !super::valid_slug(&def.slug) {
        return Err(ViewError {
            token: def.slug.to_string(),
            message: "a slug is 1-100 lower-case letters, digits, `-` or `_`".into(),
        });
    }
    for (name, p) in &def.params {
        check_param(name, p, sample(p.kind)).map_err(|e| plan_error(e, name))?;
    }
    let args: Vec<(String, String)> = def
        .params
        .iter()
        .map(|(n, p)| (n.clone(), p.default.clone().unwrap_or_else(|| sample(p.kind).to_string())))
        .collect();
    let req = compile_view(def, &args).map_err(|e| plan_error(e, &def.resource))?;
    let principal = validation_principal();
    let ctx = Ctx { catalog, principal: &principal, cursor_key: b"validate" };
    plan_list(ctx, &def.resource, &req).map(|_| ()).map_err(|e| plan_error(e, &def.resource))
}

/// Every non-sensitive table, read only.
pub(crate) fn validation_principal() -> Principal {
    let mut tables = BTreeMap::new();
    tables.insert("*".to_string(), Crud::READ);
    Principal { token_id: 0, name: "validate".into(), policy: Policy { tables, ..Policy::default() } }
}

/// A planner error as a definition error, with the token to point at.
pub(crate) fn plan_error(e: PlanError, fallback: &str) -> ViewError {
    let message = e.to_string();
    let after = |marker: &str| message.find(marker).and_then(|i| message[i + marker.len()..].split('`').next());
    let token = ["unknown column `", "unknown relation `", "unknown operator `", "metric `", "group `"]
        .iter()
        .find_map(|m| after(m))
        .or_else(|| message.split('`').nth(1))
        .unwrap_or(fallback);
    // `filter[total.gt]` → the file says `"total.gt" = …`.
    let token = token
        .strip_prefix("filter[")
        .or_else(|| token.strip_prefix("having["))
        .map(|t| t.trim_end_matches(']'))
        .unwrap_or(token)
        .to_string();

    ViewError { token, message }
}
