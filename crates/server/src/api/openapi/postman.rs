//! The Postman Collection v2.1 rendering of a [`Surface`]: collection variables
//! `baseUrl` and `token`, bearer auth at the collection level, a folder per
//! resource (holding only the operations the token has), and folders for views,
//! reports and report groups, each request with an example query.

use databuilder_engine::catalog::{Column, ColumnKind, Table};
use serde_json::{Map, Value as J, json};

use super::surface::{Resource, Surface};

/// The published v2.1 schema the collection declares.
pub const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

fn request(name: &str, method: &str, path: &str, query: &[(String, String)], body: Option<J>) -> J {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let qs: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair(k, v);
            s.finish()
        })
        .collect();
    let raw = if qs.is_empty() {
        format!("{{{{baseUrl}}}}{path}")
    } else {
        format!("{{{{baseUrl}}}}{path}?{}", qs.join("&"))
    };
    let mut url = json!({"raw": raw, "host": ["{{baseUrl}}"], "path": segments});
    if !query.is_empty() {
        url["query"] = J::Array(query.iter().map(|(k, v)| json!({"key": k, "value": v})).collect());
    }
    let mut req = json!({"method": method, "header": [], "url": url});
    if let Some(b) = body {
        req["header"] = json!([{"key": "Content-Type", "value": "application/json"}]);
        req["body"] = json!({"mode": "raw", "raw": serde_json::to_string_pretty(&b).unwrap_or_default(),
            "options": {"raw": {"language": "json"}}});
    }
    json!({"name": name, "request": req})
}

fn folder(name: &str, description: &str, items: Vec<J>) -> J {
    json!({"name": name, "description": description, "item": items})
}

/// An example value a column accepts.
fn example(c: &Column) -> J {
    match c.kind {
        ColumnKind::Int => json!(1),
        ColumnKind::Bool => json!(true),
        ColumnKind::Decimal { .. } => json!("10.00"),
        ColumnKind::Float => json!(1.5),
        ColumnKind::Date => json!("2026-01-31"),
        ColumnKind::DateTime => json!("2026-01-31T09:30:00"),
        ColumnKind::Binary => json!("AA=="),
        ColumnKind::Json => json!({}),
        ColumnKind::Time => json!("09:30:00"),
        ColumnKind::Text => json!("text".chars().take(c.max_len.unwrap_or(4).max(1)).collect::<String>()),
    }
}

fn resource_folder(t: &Table, r: &Resource) -> J {
    let res = &t.resource;
    let path = format!("/{res}");
    let mut items = Vec::new();
    let q = |pairs: &[(&str, String)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>();
    if r.read {
        let mut pairs = vec![("per_page", "10".to_string())];
        if let Some(&first) = r.shape.columns.first() {
            let cols: Vec<&str> = r.shape.columns.iter().take(4).map(|&i| t.columns[i].name.as_str()).collect();
            pairs.push(("fields", cols.join(",")));
            pairs.push(("sort", format!("-{}", t.columns[first].name)));
        }
        items.push(request(&format!("List {res}"), "GET", &path, &q(&pairs), None));
        if let Some(&c) = r.shape.columns.iter().find(|&&i| t.columns[i].kind == ColumnKind::Int) {
            let key = format!("filter[{}.gte]", t.columns[c].name);
            items.push(request(&format!("Filter {res}"), "GET", &path, &q(&[(key.as_str(), "1".into())]), None));
        }
        items.push(request(&format!("Export {res} as CSV"), "GET", &path, &q(&[("format", "csv".into())]), None));
        items.push(request(&format!("Schema of {res}"), "GET", &format!("{path}/schema"), &[], None));
        if r.pk.is_some() {
            items.push(request(&format!("One {res}"), "GET", &format!("{path}/1"), &[], None));
        }
    }
    let body = |create: bool| {
        let mut m = Map::new();
        let cols: Vec<usize> = if create { r.required.clone() } else { Vec::new() };
        let pick = if cols.is_empty() {
            r.writable.iter().copied().filter(|i| !t.primary_key.contains(i)).take(1).collect()
        } else {
            cols
        };
        for i in pick {
            m.insert(t.columns[i].name.clone(), example(&t.columns[i]));
        }
        J::Object(m)
    };
    if r.create {
        items.push(request(
            &format!("Create {res}"),
            "POST",
            &path,
            &q(&[("dry_run", "true".into())]),
            Some(body(true)),
        ));
    }
    if r.pk.is_some() {
        let one = format!("{path}/1");
        if r.update {
            items.push(request(
                &format!("Update {res}"),
                "PATCH",
                &one,
                &q(&[("dry_run", "true".into())]),
                Some(body(false)),
            ));
        }
        if r.delete {
            items.push(request(&format!("Delete {res}"), "DELETE", &one, &q(&[("dry_run", "true".into())]), None));
        }
    }
    folder(res, &format!("The `{}` table", t.name), items)
}

fn sample(kind: &str) -> &'static str {
    match kind {
        "int" | "decimal" => "1",
        "date" => "2026-01-01",
        "datetime" => "2026-01-01T00:00:00",
        "bool" => "true",
        _ => "x",
    }
}

/// The collection of a surface; `base_url` becomes the `baseUrl` variable.
pub fn collection(s: &Surface<'_>, base_url: &str) -> J {
    let mut folders = vec![folder(
        "meta",
        "Who am I, the resource list and the export documents",
        vec![
            request("Who am I", "GET", "/auth/test", &[], None),
            request("Tables", "GET", "/tables", &[], None),
            request("OpenAPI document", "GET", "/openapi.json", &[], None),
            request("GraphQL", "POST", "/graphql", &[], Some(json!({"query": "{ __typename }"}))),
        ],
    )];
    for r in &s.resources {
        folders.push(resource_folder(s.table(r.shape.table), r));
    }
    if s.definitions() {
        let views: Vec<J> = s
            .views
            .iter()
            .map(|v| {
                let q: Vec<(String, String)> = v
                    .def
                    .params
                    .iter()
                    .filter(|(_, p)| p.required && p.default.is_none())
                    .map(|(n, p)| (n.clone(), sample(p.kind.as_str()).to_string()))
                    .collect();
                request(&v.def.name, "GET", &format!("/views/{}", v.def.slug), &q, None)
            })
            .collect();
        folders.push(folder("views", "Saved views this token may read", views));
        let mut reports: Vec<J> = s
            .reports
            .iter()
            .flatten()
            .map(|r| request(&r.name, "GET", &format!("/reports/{}", r.slug), &[], None))
            .collect();
        reports
            .extend(s.groups.iter().map(|g| request(&g.name, "GET", &format!("/report-groups/{}", g.slug), &[], None)));
        folders.push(folder("reports", "Saved reports and report groups", reports));
    }
    json!({
        "info": {
            "name": "Data Builder API",
            "description": "Exactly what this token may do. Set the `token` variable to your token.",
            "schema": SCHEMA,
        },
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]},
        "variable": [
            {"key": "baseUrl", "value": base_url, "type": "string"},
            {"key": "token", "value": "", "type": "string"},
        ],
        "item": folders,
    })
}
