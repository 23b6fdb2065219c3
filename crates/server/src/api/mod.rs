//! HTTP front-ends. `rest.rs` turns REST syntax into the engine's request model;
//! `format.rs` encodes results; `error.rs` is the one mapping of errors to HTTP.

pub mod body;
pub mod error;
pub mod format;
pub mod meta;
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

/// The whole router, with the security layers.
pub fn router(app: Shared) -> Router {
    let v1 = Router::new()
        .route("/auth/test", get(meta::auth_test))
        .route("/tables", get(meta::tables))
        .route("/admin/catalog/reload", post(meta::reload))
        .route("/views", get(views::list_views))
        .route("/views/{slug}", get(views::view))
        .route("/reports", get(views::list_reports))
        .route("/reports/{slug}", get(views::report))
        .route("/report-groups/{slug}", get(views::report_group))
        .route("/{resource}", get(rest::list).post(rest::create))
        .route("/{resource}/schema", get(meta::schema))
        .route("/{resource}/{id}", get(rest::get_one).put(rest::update).patch(rest::update).delete(rest::delete));
    let v1 = security::api(v1, app.clone()).fallback(not_found).method_not_allowed_fallback(method_not_allowed);
    let router = Router::new()
        .nest(BASE, v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app.clone());
    security::outer(router, app)
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
