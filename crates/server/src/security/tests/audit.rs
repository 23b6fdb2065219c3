//! Stage 6: every request that reaches it gets one record, rejections with the
//! stage that rejected them, the query redacted.

use axum::Router;
use axum::body::Body;
use axum::middleware::from_fn_with_state;
use axum::routing::get;

use super::{memory_app, ok_router, request, send};
use crate::app_state::Shared;
use crate::problem::Problem;
use crate::security::audit::audit;
use crate::security::{Capability, Stage, reject};
use crate::store::audit::tail;

fn app(state: &Shared) -> Router {
    ok_router()
        .route("/denied", get(|| async { reject(Stage::Scope, Problem::forbidden("no")) }))
        .layer(from_fn_with_state((state.clone(), Capability::Token), audit))
}

#[tokio::test]
async fn passes_and_rejections_are_recorded() {
    let s = memory_app(|_| {}).await;
    let ok = request("GET", "/taxes?per_page=1&token=dba_secret", "1.1.1.1:1").body(Body::empty()).unwrap();
    assert_eq!(send(app(&s), ok).await.status(), 200);
    let denied = request("GET", "/denied", "1.1.1.1:1").body(Body::empty()).unwrap();
    assert_eq!(send(app(&s), denied).await.status(), 403);
    s.audit.flush().await;
    let rows = tail(&s.store, 10).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let text = serde_json::to_string(&rows).unwrap();
    assert!(!text.contains("dba_secret"), "the token never reaches the log: {text}");
    let denied = rows.iter().find(|r| r["status"] == 403).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(denied["stage"], "scope");
}
