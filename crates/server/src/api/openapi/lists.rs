//! The list grammar of SPEC §3 as OpenAPI parameters for one [`ListShape`]:
//! `fields` and `sort` as enums of the columns the token may name, filters as
//! `deepObject` parameters whose keys are the columns and operators it may use
//! and whose values follow each column's text grammar, and the list envelope.

use databuilder_engine::catalog::{ColumnKind, RelKind, Table};
use databuilder_engine::request::MAX_PER_PAGE;
use serde_json::{Map, Value as J, json};

use super::schemas;
use super::surface::ListShape;

/// OR branches the document offers (`or[0]`, `or[1]`); the server takes up to 20.
const OR_BRANCHES: usize = 2;

fn escape(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_string() } else { format!("\\{c}") }).collect()
}

fn alternation(names: &[&str]) -> String {
    names.iter().map(|n| escape(n)).collect::<Vec<_>>().join("|")
}

/// The filter object of a shape: which keys (`col`, `col.op`) exist and what each value may be.
pub fn filter_schema(t: &Table, shape: &ListShape) -> J {
    let mut groups: Vec<(Option<String>, ColumnKind, Vec<&str>)> = Vec::new();
    for &i in &shape.columns {
        let c = &t.columns[i];
        let g = schemas::text_grammar(c.kind);
        match groups.iter_mut().find(|(k, _, _)| *k == g) {
            Some((_, _, names)) => names.push(&c.name),
            None => groups.push((g, c.kind, vec![&c.name])),
        }
    }
    let mut pp = Map::new();
    for (_, kind, names) in &groups {
        let alt = alternation(names);
        pp.insert(format!("^(?:{alt})(?:\\.(?:eq|ne|gt|gte|lt|lte))?$"), schemas::filter_scalar(*kind));
        pp.insert(format!("^(?:{alt})\\.(?:in|not_in)$"), schemas::filter_list(*kind, false));
        pp.insert(format!("^(?:{alt})\\.between$"), schemas::filter_list(*kind, true));
    }
    let all: Vec<&str> = shape.columns.iter().map(|&i| t.columns[i].name.as_str()).collect();
    if !all.is_empty() {
        pp.insert(
            format!("^(?:{})\\.is_null$", alternation(&all)),
            json!({"type": "string", "enum": ["true", "false"]}),
        );
    }
    let text: Vec<&str> =
        shape.columns.iter().filter(|&&i| t.columns[i].kind.is_text()).map(|&i| t.columns[i].name.as_str()).collect();
    if !text.is_empty() {
        pp.insert(format!("^(?:{})\\.(?:like|starts_with|contains)$", alternation(&text)), json!({"type": "string"}));
    }
    json!({
        "type": "object",
        "description": "Keys `column` (equality) or `column.op`; in/not_in take 1 to 1000 comma-separated values, between two, is_null true|false; like, starts_with and contains apply to text columns.",
        "patternProperties": pp,
        "additionalProperties": false,
    })
}

fn array_param(name: &str, items: Vec<String>, description: &str) -> J {
    json!({"name": name, "in": "query", "required": false, "description": description, "style": "form", "explode": false,
        "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": items}}})
}

fn param(name: &str, schema: J, description: &str) -> J {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// The `since` grammar: unix seconds or an ISO 8601 date-time; empty is ignored.
fn since_schema() -> J {
    let dt = schemas::text_grammar(ColumnKind::DateTime).unwrap_or_default();
    json!({"type": "string", "pattern": format!("^(?:-?[0-9]{{1,11}}|{dt})?$")})
}

/// The list parameters of a shape; `filter_ref` names its filter component.
pub fn params(t: &Table, shape: &ListShape, filter_ref: &str) -> Vec<J> {
    let cols: Vec<String> = shape.columns.iter().map(|&i| t.columns[i].name.clone()).collect();
    let sort: Vec<String> = cols.iter().flat_map(|c| [c.clone(), format!("-{c}")]).collect();
    let mut out = Vec::new();
    if !cols.is_empty() {
        out.push(array_param("fields", cols, "Sparse fields: the columns to return"));
        out.push(array_param("sort", sort, "Order: `-` for descending; ties are broken by the primary key"));
    }
    let filter = json!({"$ref": filter_ref});
    out.push(json!({"name": "filter", "in": "query", "required": false, "style": "deepObject", "explode": true,
        "description": "filter[col]=v (equality) or filter[col.op]=v; filters are ANDed. The string form filter=col:v is accepted too.",
        "schema": filter}));
    for n in 0..OR_BRANCHES {
        out.push(json!({"name": format!("or[{n}]"), "in": "query", "required": false, "style": "deepObject", "explode": true,
            "description": "One OR group: each or[N] is a branch (its filters ANDed); the server takes branches 0 to 19.",
            "schema": {"$ref": filter_ref}}));
    }
    out.push(param("page", json!({"type": "integer", "minimum": 1, "maximum": u32::MAX}), "Page number, from 1"));
    out.push(param(
        "per_page",
        json!({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 25}),
        "Rows per page",
    ));
    out.push(param(
        "cursor",
        json!({"type": "string", "enum": [""]}),
        "Keyset pagination: empty for the first page, then follow `links.next` (opaque and signed; an edited cursor is a 400)",
    ));
    if shape.since {
        out.push(param(
            "since",
            since_schema(),
            "Rows created or modified after this (ISO 8601 or unix seconds), newest first",
        ));
    }
    if !shape.includes.is_empty() {
        out.push(array_param(
            "include",
            shape.includes.clone(),
            "Relations to embed; deeper paths (`client.country`, at most 3 levels) are accepted too",
        ));
    }
    let about = "`exact` (default), `estimated` (from the planner's statistics past a threshold) or `none`; `meta.count` says which total was given";
    out.push(param("count", json!({"type": "string", "enum": ["exact", "estimated", "none"]}), about));
    out.push(param(
        "format",
        json!({"type": "string", "enum": ["json", "csv", "ndjson"]}),
        "Response format (also from the Accept header); CSV and NDJSON stream every matching row",
    ));
    out
}

/// The row schema of a shape: its columns (all optional: `fields` selects) and its includes.
pub fn row_schema(t: &Table, shape: &ListShape, include_ref: &dyn Fn(usize) -> Option<String>) -> J {
    let mut props = Map::new();
    for &i in &shape.columns {
        props.insert(t.columns[i].name.clone(), schemas::response(&t.columns[i]));
    }
    for name in &shape.includes {
        let Some(rel) = t.relation(name) else { continue };
        let target = include_ref(rel.target).map(|r| json!({"$ref": r})).unwrap_or_else(|| json!({"type": "object"}));
        let s = match rel.kind {
            RelKind::BelongsTo => json!({"anyOf": [target, {"type": "null"}]}),
            RelKind::HasMany => json!({"type": "array", "items": target}),
        };
        // A relation named like a column replaces the column's value when included.
        let s = match props.remove(name) {
            Some(column) => json!({"anyOf": [column, s]}),
            None => s,
        };
        props.insert(name.clone(), s);
    }
    json!({"type": "object", "properties": props, "additionalProperties": false})
}

/// The list envelope `{data, meta, links}` around rows of `row_ref`.
pub fn envelope(row_ref: &str) -> J {
    let link = json!({"type": ["string", "null"]});
    json!({
        "type": "object",
        "required": ["data", "meta", "links"],
        "additionalProperties": false,
        "properties": {
            "data": {"type": "array", "items": {"$ref": row_ref}},
            "meta": {"type": "object", "required": ["total", "count", "page", "current_page", "per_page"], "additionalProperties": false,
                "properties": {"total": {"type": ["integer", "null"], "minimum": 0},
                    "count": {"type": "string", "enum": ["exact", "estimated", "at_least", "none"]},
                    "page": {"type": "integer", "minimum": 1},
                    "current_page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}}},
            "links": {"type": "object", "required": ["self", "first", "prev", "next", "last"], "additionalProperties": false,
                "properties": {"self": {"type": "string"}, "first": link, "prev": link, "next": link, "last": link}},
        }
    })
}

/// The 200 of a list: JSON envelope, CSV or NDJSON.
pub fn list_ok(row_ref: &str) -> J {
    json!({"200": {"description": "A page of rows (JSON), or every matching row streamed (CSV, NDJSON)", "content": {
        "application/json": {"schema": envelope(row_ref)},
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
    }}})
}
