//! Every route of the server, grouped by the capability it needs, and the one
//! place where the router is assembled. A route is added to the group whose
//! guard it needs; the guard is a type ([`Capability`]), so no security stage
//! ever re-parses a path to decide what a request is.
//!
//! - `meta`: who-am-I, the token's table list, its OpenAPI document, GraphQL
//!   (each answers only what the token may see, by the planner), and the code
//!   snippets of a request (`api/snippets.rs`);
//! - `definitions`: saved views, reports and report groups (the views rule);
//! - `admin`: admin-token operations;
//! - `resources`: `/{resource}…`, checked against the table matrix for the
//!   request's method, with the resource read from the typed path.

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::api::{aggregate, graphql, meta, openapi, rest, snippets, views};
use crate::app_state::Shared;
use crate::pages;
use crate::problem::Problem;
use crate::security::{self, Capability, Guard};

/// The REST base path.
pub const BASE: &str = "/api/data_builder/v1";

/// Routes any valid token may call; `/auth/test` reports the rate window, so it
/// is counted before it runs.
fn meta() -> Router<Shared> {
    Router::new()
        .route("/tables", get(meta::tables))
        .route("/openapi.json", get(openapi::openapi))
        .route("/graphql", post(graphql::post).get(graphql::get))
        .route("/snippets", post(snippets::snippets))
}

fn who_am_i() -> Router<Shared> {
    Router::new().route("/auth/test", get(meta::auth_test))
}

fn definitions() -> Router<Shared> {
    Router::new()
        .route("/views", get(views::list_views))
        .route("/views/{slug}", get(views::view))
        .route("/reports", get(views::list_reports))
        .route("/reports/{slug}", get(views::report))
        .route("/report-groups", get(views::list_report_groups))
        .route("/report-groups/{slug}", get(views::report_group))
}

fn admin() -> Router<Shared> {
    Router::new().route("/admin/catalog/reload", post(meta::reload))
}

fn resources() -> Router<Shared> {
    Router::new()
        .route("/{resource}", get(rest::list).post(rest::create))
        .route("/{resource}/schema", get(meta::schema))
        .route("/{resource}/aggregate", get(aggregate::aggregate))
        .route("/{resource}/{id}", get(rest::get_one).put(rest::update).patch(rest::update).delete(rest::delete))
}

/// The API routes, without any security layer (also what the benchmark serves
/// with the pipeline off).
fn api_routes() -> [(Router<Shared>, Guard); 5] {
    [
        (who_am_i(), Guard::count_first(Capability::Token)),
        (meta(), Guard::new(Capability::Token)),
        (definitions(), Guard::new(Capability::Definitions)),
        (admin(), Guard::new(Capability::Admin)),
        (resources(), Guard::new(Capability::Resource)),
    ]
}

/// Web pages and their assets: outer layers only (headers, shield); each page
/// sets its own CSP. The Explorer (`pages/explorer.rs`) and the admin console
/// add their routes here; `GET /` redirects to the Explorer.
fn pages() -> Router<Shared> {
    Router::new()
        .route("/assets/vendor/{file}", get(pages::assets::vendor))
        .route("/explorer", get(pages::explorer::page))
        .route("/explorer/config", get(pages::explorer::config))
        .route("/explorer/assets/{file}", get(pages::explorer::asset))
        .merge(pages::admin::routes())
}

/// The whole router, with the security layers.
pub fn router(app: Shared) -> Router {
    let v1 = api_routes()
        .into_iter()
        .fold(Router::new(), |v1, (group, guard)| v1.merge(security::api(group, app.clone(), guard)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let router = Router::new()
        .route("/", get(pages::explorer::root))
        .nest(BASE, v1)
        .nest(pages::ROOT, pages())
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
    let v1 = api_routes()
        .into_iter()
        .fold(Router::new(), |v1, (group, _)| v1.merge(group))
        .layer(axum::Extension(std::sync::Arc::new(principal)));
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
