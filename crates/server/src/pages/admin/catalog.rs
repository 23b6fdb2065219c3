//! The catalog page: every resource with its columns (secret ones marked),
//! primary key and relations, sensitive tables marked; and a reload button
//! that re-reads the schema (like SIGHUP or the admin API's reload).

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde_json::{Value as J, json};

use super::extract::Admin;
use super::tokens::see_other;
use super::{ROOT, form, j, layout, templates};
use crate::problem::Problem;

/// `GET /admin/catalog`.
pub async fn page(admin: Admin) -> Response {
    let catalog = admin.app.catalog();
    let tables: Vec<J> = catalog
        .tables
        .iter()
        .map(|t| {
            json!({
                "resource": t.resource, "table": t.name, "sensitive": t.sensitive,
                "primary_key": t.primary_key.iter().map(|&i| t.columns[i].name.clone()).collect::<Vec<_>>().join(", "),
                "columns": t.columns.iter().map(|c| json!({"name": c.name, "sql_type": c.sql_type, "nullable": c.nullable, "secret": c.secret})).collect::<Vec<_>>(),
                "relations": t.relations.iter().map(|r| json!({
                    "name": r.name, "kind": format!("{:?}", r.kind), "to": catalog.table(r.target).resource,
                    "origin": r.origin.as_str(),
                    "on": format!("{} → {}", t.columns[r.local_col].name, catalog.table(r.target).columns[r.target_col].name),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    templates::page(
        StatusCode::OK,
        "catalog.html",
        context! { tables => j(&tables), dialect => catalog.dialect.to_string(), perfex => catalog.perfex, ..layout(&admin, "catalog") },
    )
}

/// `POST /admin/catalog/reload` (form: `csrf`).
pub async fn reload(admin: Admin, body: Bytes) -> Response {
    let f = form::parse(&body);
    if let Err(res) = admin.check_form(&f) {
        return res;
    }
    match admin.app.reload_catalog().await {
        Ok(_) => {
            admin.record("POST", "catalog/reload", None);
            see_other(&format!("{ROOT}/catalog"))
        }
        Err(e) => Problem::from(e).into_response(),
    }
}
