//! Cheap router tests of each stage on its own, with `tower::ServiceExt::oneshot`:
//! no listener and no database server. Each stage is given only its own state
//! (the sub-states of `AppState`), in front of a handler that answers 200, and
//! each file shows the stage's rejection and its pass. The stages that need the
//! state store (auth, rate, audit) get one in SQLite memory.

mod audit;
mod auth;
mod cors;
mod headers;
mod rate;
mod scopes;
mod shield;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::any;
use tower::ServiceExt;

use crate::app_state::{AppState, Shared};
use crate::config::Config;

/// A router whose only route answers 200 `ok`.
pub fn ok_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/{*rest}", any(|| async { "ok" })).route("/", any(|| async { "ok" }))
}

/// A request from `peer`.
pub fn request(method: &str, uri: &str, peer: &str) -> axum::http::request::Builder {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(ext) = b.extensions_mut() {
        ext.insert(ConnectInfo(peer.parse::<SocketAddr>().expect("a socket address")));
    }
    b
}

pub async fn send(router: Router, req: Request<Body>) -> Response {
    router.oneshot(req).await.expect("infallible")
}

pub async fn status(router: Router, req: Request<Body>) -> StatusCode {
    send(router, req).await.status()
}

/// The stage that rejected a response, if any.
pub fn stage(res: &Response) -> Option<&'static str> {
    res.extensions().get::<super::Rejected>().map(|r| r.0.as_str())
}

/// An application on an in-memory SQLite database: the state tables, a table
/// `invoices` and the sensitive `staff`.
pub async fn memory_app(configure: impl FnOnce(&mut Config)) -> Shared {
    let mut cfg = Config::default();
    cfg.database.url = "sqlite::memory:".into();
    configure(&mut cfg);
    let db = databuilder_engine::exec::Db::connect("sqlite::memory:", 1).await.expect("sqlite memory");
    for ddl in [
        "CREATE TABLE tblinvoices (id INTEGER PRIMARY KEY, clientid INTEGER, total REAL)",
        "CREATE TABLE tblstaff (staffid INTEGER PRIMARY KEY, email TEXT)",
    ] {
        let sql = databuilder_engine::sql::Sql::fixed(databuilder_engine::catalog::Dialect::Sqlite, ddl, vec![]);
        db.execute(&sql).await.expect("demo table");
    }
    let store = crate::store::Store::open(db.clone(), &cfg.database.prefix).await.expect("state tables");
    let catalog_cfg = crate::startup::catalog_config(&cfg).expect("catalog config");
    let catalog = databuilder_engine::exec::load_catalog(&db, &catalog_cfg).await.expect("catalog");
    let key = crate::store::keys::MasterKey::from_bytes([7; 32]);
    Arc::new(AppState::new(db, store, cfg, catalog_cfg, catalog, key))
}
