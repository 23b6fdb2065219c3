//! The paths that are not resources: who-am-I, the table list, the two export
//! documents, GraphQL, and the saved views, reports and report groups the token
//! may run (each view with its declared parameters and the list grammar it may
//! narrow with).

use databuilder_engine::views::ParamDef;
use serde_json::{Map, Value as J, json};

use super::surface::Surface;
use super::{lists, problems, schemas};
use crate::body::MAX_JSON_DEPTH;

fn ok(description: &str, schema: J) -> J {
    json!({"200": {"description": description, "content": {"application/json": {"schema": schema}}}})
}

fn get(id: &str, tag: &str, summary: &str, params: Vec<J>, responses: J) -> J {
    json!({"get": {"operationId": id, "tags": [tag], "summary": summary, "parameters": params, "responses": responses}})
}

/// A declared view/report parameter as a query parameter.
fn declared(name: &str, p: &ParamDef) -> J {
    use databuilder_engine::catalog::ColumnKind as K;
    let kind = match p.kind.as_str() {
        "int" => Some(K::Int),
        "decimal" => Some(K::Decimal { scale: None }),
        "date" => Some(K::Date),
        "datetime" => Some(K::DateTime),
        "bool" => None,
        _ => None,
    };
    let mut schema = match (p.kind.as_str(), kind) {
        ("bool", _) => json!({"type": "string", "enum": ["true", "false"]}),
        // A view's parameter is checked without trimming, then typed like a filter value.
        ("int", _) => json!({"type": "string", "pattern": "^[+-]?[0-9]{1,18}$"}),
        (_, Some(k)) => schemas::filter_scalar(k),
        _ => json!({"type": "string"}),
    };
    if let Some(d) = &p.default {
        schema["default"] = json!(d);
    }
    json!({"name": name, "in": "query", "required": p.required && p.default.is_none(),
        "description": format!("Declared parameter ({})", p.kind), "schema": schema})
}

fn meta_paths(s: &Surface<'_>, paths: &mut Map<String, J>) {
    let rate = json!({"type": "object", "required": ["limit", "remaining", "reset"], "properties": {
        "limit": {"type": "integer"}, "remaining": {"type": ["integer", "null"]}, "reset": {"type": ["integer", "null"]}}});
    let who = json!({"type": "object", "required": ["status", "data"], "properties": {"status": {"const": "ok"}, "data": {
        "type": "object", "required": ["authenticated", "token_name", "scopes", "tables_count", "server_time", "rate_limit"],
        "properties": {"authenticated": {"const": true}, "token_name": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string", "enum": ["tables", "views", "write", "admin", "sandbox"]}},
            "tables_count": {"type": "integer", "minimum": 0}, "server_time": {"type": "string", "format": "date-time"},
            "rate_limit": rate}}}});
    paths.insert(
        "/auth/test".into(),
        get("auth_test", "meta", "Who am I", vec![], problems::responses(ok("The token", who), &[])),
    );
    let list = json!({"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": {"type": "object",
        "required": ["name", "columns", "permissions"], "properties": {"name": {"type": "string"}}}}}});
    paths.insert(
        "/tables".into(),
        get(
            "tables",
            "meta",
            "The resources this token may read",
            vec![],
            problems::responses(ok("Resources", list), &[]),
        ),
    );
    let doc = json!({"type": "object"});
    paths.insert(
        "/openapi.json".into(),
        get("openapi", "meta", "This document", vec![], problems::responses(ok("OpenAPI 3.1", doc.clone()), &[])),
    );
    paths.insert(
        "/postman.json".into(),
        get(
            "postman",
            "meta",
            "The same as a Postman Collection v2.1",
            vec![],
            problems::responses(ok("Collection", doc), &[]),
        ),
    );
    let gql_body = json!({"type": "object", "required": ["query"], "properties": {
        "query": {"type": "string", "minLength": 1, "pattern": "\\S"},
        "variables": {"type": ["object", "null"]},
        "operationName": {"type": ["string", "null"]}},
        "description": format!("One GraphQL request (batches are refused); JSON nested at most {MAX_JSON_DEPTH} levels")});
    let gql_ok = json!({"type": "object", "properties": {"data": {"type": ["object", "null"]}, "errors": {"type": "array"},
        "extensions": {"type": "object"}}});
    paths.insert(
        "/graphql".into(),
        json!({"post": {"operationId": "graphql", "tags": ["graphql"], "summary": "GraphQL over this token's resources",
            "requestBody": {"required": true, "content": {"application/json": {"schema": gql_body}}},
            "responses": problems::responses(ok("A GraphQL response (errors inside, with codes)", gql_ok), &[408, 413])}}),
    );
    if s.admin {
        paths.insert(
            "/admin/catalog/reload".into(),
            json!({"post": {"operationId": "reload_catalog", "tags": ["admin"], "summary": "Re-read the database schema",
                "responses": problems::responses(ok("Reloaded", json!({"type": "object", "required": ["status", "data"]})), &[])}}),
        );
    }
}

/// Paths and components of the saved definitions.
pub fn paths(s: &Surface<'_>, paths: &mut Map<String, J>, components: &mut Map<String, J>) {
    meta_paths(s, paths);
    let Some(reports) = &s.reports else { return };
    let summary = json!({"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": {"type": "object",
        "required": ["slug", "name"], "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}}}}});
    paths.insert(
        "/views".into(),
        get(
            "list_views",
            "views",
            "The views this token may read",
            vec![],
            problems::responses(ok("Views", summary.clone()), &[]),
        ),
    );
    paths.insert(
        "/reports".into(),
        get("list_reports", "reports", "The saved reports", vec![], problems::responses(ok("Reports", summary), &[])),
    );
    for v in &s.views {
        let t = s.table(v.shape.table);
        let key = format!("view.{}", v.def.slug);
        components.insert(format!("{key}.filter"), lists::filter_schema(t, &v.shape));
        components.insert(key.clone(), lists::row_schema(t, &v.shape, &|_| None));
        let mut params: Vec<J> = v.def.params.iter().map(|(n, p)| declared(n, p)).collect();
        params.extend(lists::params(t, &v.shape, &format!("#/components/schemas/{key}.filter")));
        paths.insert(
            format!("/views/{}", v.def.slug),
            get(
                &format!("view_{}", v.def.slug.replace('-', "_")),
                "views",
                &v.def.name,
                params,
                problems::responses(lists::list_ok(&format!("#/components/schemas/{key}")), &[404]),
            ),
        );
    }
    let report_ok = json!({"type": "object", "required": ["data", "meta"], "properties": {
        "data": {"type": "array", "items": {"type": "object"}},
        "meta": {"type": "object", "required": ["slug", "name", "chart", "columns", "count"], "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "chart": {"type": "string", "enum": ["bar", "line", "pie", "table"]},
            "columns": {"type": "array", "items": {"type": "object", "required": ["name", "type", "role"], "properties": {
                "name": {"type": "string"}, "type": {"type": "string"}, "role": {"enum": ["dimension", "metric"]}}}},
            "count": {"type": "integer", "minimum": 0}}}}});
    components.insert("Report".into(), report_ok);
    for r in reports {
        let view = r.view.as_ref().and_then(|slug| s.views.iter().find(|v| &v.def.slug == slug));
        let params: Vec<J> =
            r.params.iter().chain(view.iter().flat_map(|v| v.def.params.iter())).map(|(n, p)| declared(n, p)).collect();
        paths.insert(
            format!("/reports/{}", r.slug),
            get(
                &format!("report_{}", r.slug.replace('-', "_")),
                "reports",
                &r.name,
                params,
                problems::responses(
                    ok("Rows, column metadata and the chart hint", json!({"$ref": "#/components/schemas/Report"})),
                    &[404],
                ),
            ),
        );
    }
    for g in &s.groups {
        let mut props = Map::new();
        for slug in &g.reports {
            props.insert(slug.to_string(), json!({"$ref": "#/components/schemas/Report"}));
        }
        let schema = json!({"type": "object", "required": ["data", "meta"], "properties": {
            "data": {"type": "object", "properties": props, "required": g.reports},
            "meta": {"type": "object", "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}}}});
        paths.insert(
            format!("/report-groups/{}", g.slug),
            get(
                &format!("group_{}", g.slug.replace('-', "_")),
                "reports",
                &g.name,
                vec![],
                problems::responses(ok("Every report of the group", schema), &[404]),
            ),
        );
    }
}
