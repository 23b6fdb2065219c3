//! Descriptive endpoints: who am I, which resources, one resource's schema, and
//! the admin catalog reload. Each answers only what the token may see.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use databuilder_engine::catalog::{Catalog, ColumnKind, RelKind, Table};
use databuilder_engine::plan::{Action, PlanError, permissions};
use databuilder_engine::principal::Principal;
use serde_json::{Value as J, json};

use crate::app_state::Shared;
use crate::problem::Problem;

type Caller = axum::Extension<Arc<Principal>>;

fn readable<'c>(app: &Shared, catalog: &'c Catalog, p: &Principal) -> Vec<&'c Table> {
    let ctx = app.ctx(catalog, p);
    (0..catalog.tables.len())
        .filter(|&i| permissions::check_table(ctx, i, Action::Read).is_ok())
        .map(|i| catalog.table(i))
        .collect()
}

fn permissions_of(app: &Shared, catalog: &Catalog, p: &Principal, idx: usize) -> J {
    let ctx = app.ctx(catalog, p);
    let can = |a| permissions::check_table(ctx, idx, a).is_ok();
    json!({
        "read": can(Action::Read), "create": can(Action::Create),
        "update": can(Action::Update), "delete": can(Action::Delete),
    })
}

fn kind_name(k: ColumnKind) -> &'static str {
    match k {
        ColumnKind::Int => "integer",
        ColumnKind::Bool => "boolean",
        ColumnKind::Decimal { .. } => "decimal",
        ColumnKind::Float => "number",
        ColumnKind::Text => "string",
        ColumnKind::Date => "date",
        ColumnKind::DateTime => "datetime",
        ColumnKind::Time => "time",
        ColumnKind::Json => "json",
        ColumnKind::Binary => "binary",
    }
}

fn columns(app: &Shared, catalog: &Catalog, p: &Principal, t: &Table) -> Vec<J> {
    let ctx = app.ctx(catalog, p);
    permissions::visible_columns(ctx, t)
        .into_iter()
        .map(|i| {
            let c = &t.columns[i];
            json!({
                "name": c.name, "type": kind_name(c.kind), "sql_type": c.sql_type,
                "nullable": c.nullable, "default": c.default,
                "primary_key": t.primary_key.contains(&i),
                "auto_increment": c.auto_increment, "generated": c.generated,
                "max_length": c.max_len,
            })
        })
        .collect()
}

/// `GET /auth/test`.
pub async fn auth_test(
    State(app): State<Shared>,
    caller: Caller,
    rate: Option<axum::Extension<crate::security::rate_limit::RateInfo>>,
) -> Json<J> {
    let catalog = app.catalog();
    let pol = &caller.policy;
    let mut scopes: Vec<&str> = Vec::new();
    for (on, name) in [(pol.scopes.tables, "tables"), (pol.scopes.views, "views"), (pol.scopes.write, "write")] {
        if on || pol.admin {
            scopes.push(name);
        }
    }
    if pol.admin {
        scopes.push("admin");
    }
    if pol.sandbox {
        scopes.push("sandbox");
    }
    let rate_limit = match rate {
        Some(axum::Extension(r)) => json!({"limit": r.limit, "remaining": r.remaining, "reset": r.reset}),
        None => {
            json!({"limit": pol.rate.unwrap_or(app.config.security.default_rate), "remaining": J::Null, "reset": J::Null})
        }
    };
    Json(json!({
        "status": "ok",
        "data": {
            "authenticated": true,
            "token_name": caller.name,
            "scopes": scopes,
            "tables_count": readable(&app, &catalog, &caller).len(),
            "server_time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "rate_limit": rate_limit,
        }
    }))
}

/// `GET /tables`.
pub async fn tables(State(app): State<Shared>, caller: Caller) -> Json<J> {
    let catalog = app.catalog();
    let data: Vec<J> = readable(&app, &catalog, &caller)
        .into_iter()
        .map(|t| {
            let idx = catalog.resource(&t.resource).unwrap_or_default();
            json!({
                "name": t.resource,
                "primary_key": t.single_pk().map(|i| t.columns[i].name.clone()),
                "columns": columns(&app, &catalog, &caller, t),
                "permissions": permissions_of(&app, &catalog, &caller, idx),
            })
        })
        .collect();
    Json(json!({ "data": data }))
}

/// `GET /{resource}/schema`.
pub async fn schema(
    State(app): State<Shared>,
    caller: Caller,
    Path(resource): Path<String>,
) -> Result<Json<J>, Problem> {
    let catalog = app.catalog();
    let ctx = app.ctx(&catalog, &caller);
    let idx = permissions::authorize(ctx, &resource, Action::Read)?;
    let t = catalog.table(idx);
    let relations: Vec<J> = t
        .relations
        .iter()
        .filter(|r| permissions::check_table(ctx, r.target, Action::Read).is_ok())
        .map(|r| {
            let target = catalog.table(r.target);
            json!({
                "name": r.name,
                "type": if r.kind == RelKind::BelongsTo { "belongs_to" } else { "has_many" },
                "resource": target.resource,
                "local_column": t.columns[r.local_col].name,
                "foreign_column": target.columns[r.target_col].name,
            })
        })
        .collect();
    Ok(Json(json!({
        "data": {
            "name": t.resource,
            "primary_key": t.single_pk().map(|i| t.columns[i].name.clone()),
            "timestamp_column": t.timestamp_col.map(|i| t.columns[i].name.clone()),
            "columns": columns(&app, &catalog, &caller, t),
            "relations": relations,
            "permissions": permissions_of(&app, &catalog, &caller, idx),
        }
    })))
}

/// `POST /admin/catalog/reload` (admin tokens only).
pub async fn reload(State(app): State<Shared>, caller: Caller) -> Result<Json<J>, Problem> {
    if !caller.policy.admin {
        return Err(PlanError::Forbidden("only admin tokens may reload the catalog".into()).into());
    }
    let n = app.reload_catalog().await?;
    Ok(Json(json!({"status": "ok", "data": {"tables": n}})))
}
