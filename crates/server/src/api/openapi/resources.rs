//! The paths of one resource: list and create on `/{resource}`, its schema on
//! `/{resource}/schema`, and get, update and delete on `/{resource}/{id}` — each
//! only when the token holds that permission.

use databuilder_engine::catalog::{ColumnKind, Table};
use serde_json::{Map, Value as J, json};

use super::surface::Resource;
use super::{lists, problems, schemas};
use crate::body::MAX_BATCH;

fn dry_run() -> J {
    json!({"name": "dry_run", "in": "query", "required": false,
        "description": "Run the write in a transaction that is rolled back and answer what would have been written",
        "schema": {"type": "string", "enum": ["true", "false", "1", "0", ""]}})
}

/// The write body of a resource: `create` includes a non-generated primary key and `required`.
pub fn body_schema(t: &Table, r: &Resource, create: bool, sqlite: bool) -> J {
    let mut props = Map::new();
    for &i in &r.writable {
        if !create && t.primary_key.contains(&i) {
            continue;
        }
        props.insert(t.columns[i].name.clone(), schemas::write(&t.columns[i], sqlite));
    }
    let mut s = json!({"type": "object", "properties": props, "additionalProperties": false});
    if create {
        let req: Vec<&str> = r.required.iter().map(|&i| t.columns[i].name.as_str()).collect();
        if !req.is_empty() {
            s["required"] = json!(req);
        }
    } else {
        s["minProperties"] = json!(1);
    }
    s
}

fn id_param(t: &Table, pk: usize) -> J {
    let c = &t.columns[pk];
    let schema = match c.kind {
        ColumnKind::Int => json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
        // `/{resource}/schema` is routed to the schema endpoint, never to a row.
        _ => json!({"type": "string", "minLength": 1, "not": {"enum": ["schema"]}}),
    };
    json!({"name": "id", "in": "path", "required": true, "description": format!("The primary key `{}`", c.name), "schema": schema})
}

fn single(row: &str) -> J {
    json!({"type": "object", "required": ["data"], "additionalProperties": false, "properties": {"data": {"$ref": row}}})
}

fn written(row: &str, batch: bool) -> J {
    let data = if batch { json!({"type": "array", "items": {"$ref": row}}) } else { json!({"$ref": row}) };
    json!({"type": "object", "required": ["data"], "additionalProperties": false, "properties": {
        "data": data, "meta": {"type": "object", "properties": {"dry_run": {"const": true}}}}})
}

fn json_content(schema: J) -> J {
    json!({"application/json": {"schema": schema}})
}

fn fields_include(t: &Table, r: &Resource) -> Vec<J> {
    lists::params(t, &r.shape, "")
        .into_iter()
        .filter(|p| matches!(p["name"].as_str(), Some("fields" | "include")))
        .collect()
}

/// The path items of one resource: (path, item) pairs.
pub fn paths(t: &Table, r: &Resource) -> Vec<(String, J)> {
    let res = &t.resource;
    let row = format!("#/components/schemas/{res}");
    let body_ref = |kind: &str| format!("#/components/schemas/{res}.{kind}");
    let mut out = Vec::new();
    let mut collection = Map::new();
    if r.read {
        collection.insert(
            "get".into(),
            json!({
                "operationId": format!("list_{res}"), "tags": [res], "summary": format!("List {res}"),
                "parameters": lists::params(t, &r.shape, &format!("#/components/schemas/{res}.filter")),
                "responses": problems::responses(lists::list_ok(&row), &[]),
            }),
        );
    }
    if r.create {
        let one = body_ref("create");
        collection.insert("post".into(), json!({
            "operationId": format!("create_{res}"), "tags": [res],
            "summary": format!("Create one {res} row (an object) or up to {MAX_BATCH} (an array), all or nothing"),
            "description": "Also accepts application/x-www-form-urlencoded and multipart/form-data (one row). \
                The same Idempotency-Key within 24 h answers the first response again.",
            "parameters": [dry_run(), {"name": "Idempotency-Key", "in": "header", "required": false,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~](?:[ -~]*[!-~])?$"}}],
            "requestBody": {"required": true, "content": json_content(json!({"oneOf": [
                {"$ref": one}, {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": {"$ref": one}}]}))},
            "responses": problems::responses(json!({
                "201": {"description": "Created: the rows as stored", "content": json_content(json!({"anyOf": [written(&row, false), written(&row, true)]}))},
                "200": {"description": "Dry run (or a sandbox token): what would have been written, rolled back", "content": json_content(json!({"anyOf": [written(&row, false), written(&row, true)]}))},
            }), &[408, 409, 413, 415, 422]),
        }));
    }
    if !collection.is_empty() {
        out.push((format!("/{res}"), J::Object(collection)));
    }
    if r.read {
        let schema_ok = json!({"200": {"description": "Columns, types, relations and this token's permissions",
            "content": json_content(json!({"type": "object", "required": ["data"], "properties": {"data": {"type": "object"}}}))}});
        out.push((
            format!("/{res}/schema"),
            json!({"get": {"operationId": format!("schema_{res}"), "tags": [res], "summary": format!("Schema of {res}"),
                "responses": problems::responses(schema_ok, &[])}}),
        ));
    }
    let Some(pk) = r.pk else { return out };
    let mut item = Map::new();
    item.insert("parameters".into(), json!([id_param(t, pk)]));
    if r.read {
        item.insert("get".into(), json!({
            "operationId": format!("get_{res}"), "tags": [res], "summary": format!("One {res} row by primary key"),
            "parameters": fields_include(t, r),
            "responses": problems::responses(json!({"200": {"description": "The row (with an ETag)", "content": json_content(single(&row))}}), &[404]),
        }));
    }
    if r.update {
        for m in ["put", "patch"] {
            item.insert(m.into(), json!({
                "operationId": format!("{m}_{res}"), "tags": [res],
                "summary": "Update the given columns",
                "description": "If-Match with the row's ETag refuses the write with 412 when the row changed since (lost-update guard).",
                "parameters": [dry_run()],
                "requestBody": {"required": true, "content": json_content(json!({"$ref": body_ref("update")}))},
                "responses": problems::responses(json!({"200": {"description": "The row as stored", "content": json_content(single(&row))}}),
                    &[404, 408, 409, 412, 413, 415, 422]),
            }));
        }
    }
    if r.delete {
        item.insert("delete".into(), json!({
            "operationId": format!("delete_{res}"), "tags": [res], "summary": "Delete the row",
            "description": "If-Match with the row's ETag refuses the delete with 412 when the row changed since.",
            "parameters": [dry_run()],
            "responses": problems::responses(json!({"200": {"description": "Deleted (a dry run also returns the row)", "content": json_content(json!({
                "type": "object", "required": ["status"], "additionalProperties": false,
                "properties": {"status": {"const": "ok"}, "data": {"$ref": row}, "meta": {"type": "object"}}}))}}), &[404, 409, 412]),
        }));
    }
    if item.len() > 1 {
        out.push((format!("/{res}/{{id}}"), J::Object(item)));
    }
    out
}
