//! Stage 4 on an injected clock: the window is read from `AppState::clock`, so
//! the test fixes where in the minute it runs and crosses the boundary with
//! Tokio's clock (`pause` + `advance`) instead of sleeping — it cannot flake at a
//! minute boundary. The counts come from a real SQLite state store.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use databuilder_engine::exec::Db;
use databuilder_engine::principal::{Policy, Principal};
use tower::ServiceExt;

use super::{RateMode, limit};
use crate::app_state::AppState;
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::store::keys::MasterKey;

/// A unix minute.
const MINUTE: i64 = 1_699_999_980;

async fn app_at(unix: i64) -> (Arc<AppState>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("dbrate_{}_{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.join("s.sqlite").display()), 1).await.unwrap();
    let store = Store::open(db.clone(), "tbl").await.unwrap();
    let cfg = Config::default();
    let catalog_cfg = crate::startup::catalog_config(&cfg).unwrap();
    let catalog = databuilder_engine::exec::load_catalog(&db, &catalog_cfg).await.unwrap();
    let key = MasterKey::load(&dir.join("key")).unwrap();
    let mut app = AppState::new(db, store, cfg, catalog_cfg, catalog, key);
    app.clock = Clock::anchored(unix);
    (Arc::new(app), dir)
}

fn router(app: Arc<AppState>, rate: u32) -> Router {
    let policy = Policy { rate: Some(rate), ..Default::default() };
    let principal = Arc::new(Principal { token_id: 7, name: "t".into(), policy });
    Router::new()
        .route("/x", get(|| async { "ok" }))
        .layer(from_fn_with_state((app, RateMode::CountFirst), limit))
        .layer(axum::Extension(principal))
}

async fn call(r: &Router) -> (StatusCode, [Option<String>; 3]) {
    let res = r.clone().oneshot(Request::get("/x").body(Body::empty()).unwrap()).await.unwrap();
    let h = |n: &str| res.headers().get(n).map(|v| v.to_str().unwrap().to_string());
    (res.status(), [h("x-ratelimit-remaining"), h("x-ratelimit-reset"), h("retry-after")])
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[tokio::test]
async fn the_window_follows_the_injected_clock() {
    let (app, dir) = app_at(MINUTE + 10).await;
    let r = router(app, 3);
    for left in ["2", "1", "0"] {
        assert_eq!(call(&r).await, (StatusCode::OK, [s(left), s("50"), None]));
    }
    assert_eq!(call(&r).await, (StatusCode::TOO_MANY_REQUESTS, [s("0"), s("50"), s("50")]), "over the limit");

    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(49)).await;
    tokio::time::resume();
    assert_eq!(call(&r).await.0, StatusCode::TOO_MANY_REQUESTS, "one second before the window ends");

    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(1)).await;
    tokio::time::resume();
    assert_eq!(call(&r).await, (StatusCode::OK, [s("2"), s("60"), None]), "a new window, exactly at the minute");
    let _ = std::fs::remove_dir_all(dir);
}
