//! `GET /openapi.json` and `GET /postman.json`: what the calling token may do,
//! as an OpenAPI 3.1 document and as a Postman Collection v2.1. Both render one
//! [`surface::Surface`], computed from the catalog, the planner's permission
//! checks and the saved definitions, so neither can promise more than the API
//! grants. The document states the server's real grammar (column enums,
//! operator keys, value patterns, bounds) and every status each route answers,
//! so that what it allows the server accepts and the reverse; `.ci/openapi.sh`
//! checks that with schemathesis.

mod definitions;
mod lists;
pub mod postman;
mod problems;
mod resources;
mod schemas;
pub mod surface;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use databuilder_engine::catalog::Dialect;
use databuilder_engine::plan::Ctx;
use databuilder_engine::principal::Principal;
use databuilder_engine::views::GroupDef;
use serde_json::{Map, Value as J, json};

use crate::app_state::Shared;
use crate::store::definitions::Kind;
pub use surface::Surface;

/// The OpenAPI document of a surface.
pub fn document(s: &Surface<'_>) -> J {
    let sqlite = s.catalog.dialect == Dialect::Sqlite;
    let mut paths = Map::new();
    let mut components = Map::new();
    components.insert("Problem".into(), problems::schema());
    let readable: Vec<usize> = s.resources.iter().filter(|r| r.read).map(|r| r.shape.table).collect();
    for r in &s.resources {
        let t = s.table(r.shape.table);
        let res = &t.resource;
        let include_ref = |target: usize| {
            readable.contains(&target).then(|| format!("#/components/schemas/{}", s.table(target).resource))
        };
        components.insert(res.clone(), lists::row_schema(t, &r.shape, &include_ref));
        if r.read {
            components.insert(format!("{res}.filter"), lists::filter_schema(t, &r.shape));
        }
        if r.create {
            components.insert(format!("{res}.create"), resources::body_schema(t, r, true, sqlite));
        }
        if r.update {
            components.insert(format!("{res}.update"), resources::body_schema(t, r, false, sqlite));
        }
        for (path, item) in resources::paths(t, r) {
            paths.insert(path, item);
        }
    }
    definitions::paths(s, &mut paths, &mut components);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Data Builder API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Exactly what this token may do. Dates are `YYYY-MM-DD`; datetimes are \
                `YYYY-MM-DDTHH:MM:SS`, the database's local time without an offset. Errors are \
                RFC 9457 application/problem+json.",
        },
        "servers": [{"url": crate::routes::BASE}],
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "dba_…"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    })
}

/// The surface of the caller, with the saved definitions read through the cache.
async fn with_surface<T>(app: &Shared, caller: &Principal, render: impl FnOnce(&Surface<'_>) -> T) -> T {
    let catalog = app.catalog();
    let defs = app.definitions().await;
    let groups: Vec<GroupDef> = app.store.definitions(Kind::Group).await.unwrap_or_default();
    let ctx = app.ctx(&catalog, caller);
    let s = surface::surface(ctx, &defs.views, &defs.reports, &groups);
    render(&s)
}

/// `GET /openapi.json`.
pub async fn openapi(State(app): State<Shared>, caller: axum::Extension<Arc<Principal>>) -> Json<J> {
    Json(with_surface(&app, &caller, document).await)
}

/// `GET /postman.json`; `baseUrl` is this server as the client addressed it.
pub async fn postman(
    State(app): State<Shared>,
    caller: axum::Extension<Arc<Principal>>,
    headers: axum::http::HeaderMap,
) -> Json<J> {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .unwrap_or("127.0.0.1:8080");
    let base = format!("http://{host}{}", crate::routes::BASE);
    Json(with_surface(&app, &caller, |s| postman::collection(s, &base)).await)
}

/// The document of an admin principal over `catalog` with the given definitions
/// (the `databuilder openapi` command).
pub fn admin_document(
    catalog: &databuilder_engine::catalog::Catalog,
    defs: (&[databuilder_engine::views::ViewDef], &[databuilder_engine::views::ReportDef], &[GroupDef]),
) -> J {
    let admin = Principal {
        token_id: 0,
        name: "cli".into(),
        policy: databuilder_engine::principal::Policy { admin: true, ..Default::default() },
    };
    let ctx = Ctx { catalog, principal: &admin, cursor_key: b"" };
    document(&surface::surface(ctx, defs.0, defs.1, defs.2))
}
