//! HTTP front-ends. `rest.rs` turns REST syntax into the engine's request model;
//! `format.rs` encodes results; `error.rs` is the one mapping of errors to HTTP.

pub mod body;
pub mod error;
pub mod format;
pub mod graphql;
pub mod meta;
pub mod openapi;
pub mod rest;
pub mod views;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::app_state::Shared;
use crate::security;
use error::Problem;

/// The REST base path.
pub const BASE: &str = "/api/data_builder/v1";

/// The API routes, without any security layer.
fn routes() -> Router<Shared> {
    Router::new()
        .route("/auth/test", get(meta::auth_test))
        .route("/tables", get(meta::tables))
        .route("/openapi.json", get(openapi::openapi))
        .route("/admin/catalog/reload", post(meta::reload))
        .route("/graphql", post(graphql::post).get(graphql::get))
        .route("/views", get(views::list_views))
        .route("/views/{slug}", get(views::view))
        .route("/reports", get(views::list_reports))
        .route("/reports/{slug}", get(views::report))
        .route("/report-groups/{slug}", get(views::report_group))
        .route("/{resource}", get(rest::list).post(rest::create))
        .route("/{resource}/schema", get(meta::schema))
        .route("/{resource}/{id}", get(rest::get_one).put(rest::update).patch(rest::update).delete(rest::delete))
}

/// The whole router, with the security layers.
pub fn router(app: Shared) -> Router {
    let v1 = security::api(routes(), app.clone()).fallback(not_found).method_not_allowed_fallback(method_not_allowed);
    let router = Router::new()
        .nest(BASE, v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app.clone());
    security::outer(router, app)
}

/// The same routes with the whole security pipeline off and a fixed principal.
/// Only the load benchmark uses this, to measure what the pipeline costs; the
/// server never serves it.
#[doc(hidden)]
pub fn router_without_pipeline(app: Shared, principal: databuilder_engine::principal::Principal) -> Router {
    let v1 = routes().layer(axum::Extension(std::sync::Arc::new(principal)));
    Router::new().nest(BASE, v1).with_state(app)
}

async fn not_found() -> impl IntoResponse {
    Problem::not_found("no such route")
}

async fn method_not_allowed() -> impl IntoResponse {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this route does not accept that method",
    )
}
