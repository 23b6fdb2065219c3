//! `GET /openapi.json`: an OpenAPI 3.1 document of exactly what the calling token
//! may do — its readable resources, their visible columns, and only the write
//! operations it holds. Built from the catalog and the planner's permission
//! checks, so it cannot promise more than the API grants.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use databuilder_engine::catalog::{Catalog, ColumnKind, Table};
use databuilder_engine::plan::{Action, Ctx, permissions};
use databuilder_engine::principal::Principal;
use serde_json::{Map, Value as J, json};

use crate::app_state::Shared;

fn column_schema(kind: ColumnKind, nullable: bool) -> J {
    let (ty, format) = match kind {
        ColumnKind::Int => ("integer", None),
        ColumnKind::Bool => ("boolean", None),
        ColumnKind::Decimal { .. } => ("string", Some("decimal")),
        ColumnKind::Float => ("number", None),
        ColumnKind::Date => ("string", Some("date")),
        ColumnKind::DateTime => ("string", Some("date-time")),
        ColumnKind::Binary => ("string", Some("byte")),
        ColumnKind::Text | ColumnKind::Time | ColumnKind::Json => ("string", None),
    };
    let mut s = json!({ "type": if nullable { json!([ty, "null"]) } else { json!(ty) } });
    if let Some(f) = format {
        s["format"] = json!(f);
    }
    s
}

fn table_schema(ctx: Ctx<'_>, t: &Table) -> J {
    let mut props = Map::new();
    for i in permissions::visible_columns(ctx, t) {
        let c = &t.columns[i];
        props.insert(c.name.clone(), column_schema(c.kind, c.nullable));
    }
    json!({ "type": "object", "properties": props })
}

const LIST_PARAMS: &[(&str, &str)] = &[
    ("fields", "Comma-separated columns"),
    ("sort", "Columns, `-` for descending; ties broken by the primary key"),
    ("page", "Page number, from 1"),
    ("per_page", "Rows per page, at most 500"),
    ("cursor", "Keyset pagination: empty for the first page, then links.next"),
    ("since", "ISO 8601 or unix seconds, on the timestamp column"),
    ("include", "Relations to embed, up to three levels (`client,items`)"),
    ("count", "`exact`, `estimated` or `none`; `meta.count` says which total was given"),
    ("format", "`json`, `csv` or `ndjson`"),
];

fn query_params() -> Vec<J> {
    let mut out: Vec<J> = LIST_PARAMS
        .iter()
        .map(|(n, d)| json!({"name": n, "in": "query", "required": false, "description": d, "schema": {"type": "string"}}))
        .collect();
    out.push(json!({"name": "filter", "in": "query", "style": "deepObject", "explode": true, "description": "filter[col]=v or filter[col.op]=v (eq ne gt gte lt lte like in not_in is_null between starts_with contains)", "schema": {"type": "object"}}));
    out
}

fn operations(ctx: Ctx<'_>, idx: usize, t: &Table) -> (J, Option<J>) {
    let can = |a| permissions::check_table(ctx, idx, a).is_ok();
    let reference = json!({"$ref": format!("#/components/schemas/{}", t.resource)});
    let problem = json!({"description": "RFC 9457 problem", "content": {"application/problem+json": {}}});
    let one = json!({"description": "One row", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": reference}}}}});
    let mut collection = Map::new();
    collection.insert("get".into(), json!({
        "summary": format!("List {}", t.resource), "parameters": query_params(),
        "responses": {"200": {"description": "A page", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": reference}, "meta": {"type": "object"}, "links": {"type": "object"}}}}, "text/csv": {}, "application/x-ndjson": {}}}, "400": problem, "403": problem},
    }));
    if can(Action::Create) {
        collection.insert("post".into(), json!({"summary": format!("Create {} (object or array of at most 1000)", t.resource), "requestBody": {"content": {"application/json": {"schema": reference}}}, "responses": {"201": one, "422": problem}}));
    }
    let item = t.single_pk().map(|_| {
        let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
        let mut ops = Map::new();
        ops.insert("parameters".into(), id);
        ops.insert("get".into(), json!({"summary": format!("One {} by id", t.resource), "responses": {"200": one, "404": problem}}));
        if can(Action::Update) {
            for m in ["put", "patch"] {
                ops.insert(m.into(), json!({"summary": "Update the given columns (If-Match for the lost-update guard)", "requestBody": {"content": {"application/json": {"schema": reference}}}, "responses": {"200": one, "412": problem, "422": problem}}));
            }
        }
        if can(Action::Delete) {
            ops.insert("delete".into(), json!({"summary": "Delete", "responses": {"200": {"description": "Deleted"}, "404": problem}}));
        }
        J::Object(ops)
    });
    (J::Object(collection), item)
}

/// The document for a principal.
pub fn document(ctx: Ctx<'_>, catalog: &Catalog) -> J {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for (idx, t) in catalog.tables.iter().enumerate() {
        if permissions::check_table(ctx, idx, Action::Read).is_err() {
            continue;
        }
        schemas.insert(t.resource.clone(), table_schema(ctx, t));
        let (collection, item) = operations(ctx, idx, t);
        paths.insert(format!("/{}", t.resource), collection);
        if let Some(item) = item {
            paths.insert(format!("/{}/{{id}}", t.resource), item);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Data Builder API", "version": env!("CARGO_PKG_VERSION")},
        "servers": [{"url": crate::routes::BASE}],
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    })
}

/// `GET /openapi.json`.
pub async fn openapi(State(app): State<Shared>, caller: axum::Extension<Arc<Principal>>) -> Json<J> {
    let catalog = app.catalog();
    Json(document(app.ctx(&catalog, &caller), &catalog))
}
