//! Every route of the server, grouped by the capability it needs, and the one
//! place where the router is assembled. A route is added to the group whose
//! guard it needs; the guard is a type ([`Capability`]), so no security stage
//! ever re-parses a path to decide what a request is.
//!
//! - `meta`: who-am-I, the token's table list, its OpenAPI document and Postman
//!   collection, GraphQL (each answers only what the token may see, by the
//!   planner), and the code snippets of a request (`api/snippets.rs`);
//! - `definitions`: saved views, reports and report groups (the views rule);
//! - `admin`: admin-token operations;
//! - `resources`: `/{resource}…`, checked against the table matrix for the
//!   request's method, with the resource read from the typed path;
//! - `ops` (outside the token pipeline, like `pages`): `/api/data_builder/health`
//!   and `/ready` for load balancers.
//!
//! Each group tags its responses with a [`RouteGroup`] for the metrics.

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};

use axum::middleware::{from_fn, map_response};

use crate::api::{aggregate, allow, graphql, health, meta, openapi, rest, snippets, views};
use crate::app_state::Shared;
use crate::metrics::{RouteGroup, track};
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
        .route("/postman.json", get(openapi::postman))
        .route("/graphql", allow::others(post(graphql::post), &[Method::POST], graphql::get))
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

/// Methods a resource route does not serve go through the pipeline too, so
/// their 405 lists what this token may do (`api/allow.rs`).
fn resources() -> Router<Shared> {
    const GET: Method = Method::GET;
    const POST: Method = Method::POST;
    Router::new()
        .route("/{resource}", allow::others(get(rest::list).post(rest::create), &[GET, POST], allow::resource))
        .route("/{resource}/schema", allow::others(get(meta::schema), &[GET], allow::resource))
        .route("/{resource}/aggregate", allow::others(get(aggregate::aggregate), &[GET], allow::resource))
        .route(
            "/{resource}/{id}",
            allow::others(
                get(rest::get_one).put(rest::update).patch(rest::update).delete(rest::delete),
                &[GET, Method::PUT, Method::PATCH, Method::DELETE],
                allow::resource,
            ),
        )
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

/// Probes for load balancers: no token, no security stage but the outer layers
/// (so they still carry the security headers and pass the shield).
fn ops() -> Router<Shared> {
    Router::new().route("/health", get(health::health)).route("/ready", get(health::ready))
}

/// The metrics label of a route group.
fn group_name(guard: Guard) -> &'static str {
    match guard.capability {
        Capability::Token => "meta",
        Capability::Definitions => "definitions",
        Capability::Admin => "admin",
        Capability::Resource => "resources",
    }
}

/// Tag a group's responses with its name (read by `metrics::track`).
fn tagged(router: Router<Shared>, name: &'static str) -> Router<Shared> {
    router.route_layer(map_response(move |mut res: axum::response::Response| async move {
        res.extensions_mut().insert(RouteGroup(name));
        res
    }))
}

/// The whole router, with the security layers.
pub fn router(app: Shared) -> Router {
    let v1 = api_routes()
        .into_iter()
        .fold(Router::new(), |v1, (group, guard)| {
            v1.merge(tagged(security::api(group, app.clone(), guard), group_name(guard)))
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let router = Router::new()
        .route("/", get(pages::explorer::root))
        .nest(BASE, v1)
        .nest(pages::ROOT, tagged(pages(), "pages").merge(tagged(ops(), "ops")))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app.clone());
    security::outer(router, app).layer(from_fn(track))
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
