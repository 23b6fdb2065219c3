//! The dashboard: traffic of the last hour from the audit log (requests per
//! minute, status mix, rejections by stage, p95 latency, top tokens), drawn
//! by the vendored Chart.js from a JSON data block in the page, and the
//! `databuilder check` items with their fixes.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::as_i64;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::{Value, parse_datetime};
use minijinja::context;
use serde_json::{Value as J, json};

use super::extract::Admin;
use super::{action, j, layout, templates};
use crate::problem::Problem;

/// Minutes of traffic shown.
const MINUTES: i64 = 60;
/// Most records read for the charts.
const SAMPLE: i64 = 20_000;

const RECENT: &str =
    "SELECT created_at, status, stage, duration_ms, token_id FROM {t} WHERE created_at >= ? ORDER BY id DESC LIMIT ?";

/// The traffic summary the charts draw.
pub async fn traffic(app: &crate::app_state::Shared) -> Result<J, Problem> {
    let now = crate::store::now();
    let since = now - chrono::Duration::minutes(MINUTES);
    let store = &app.store;
    let sql = Sql::fixed_table(
        store.db.dialect(),
        RECENT,
        &store.table("api_logs"),
        vec![Value::DateTime(since), Value::Int(SAMPLE)],
    );
    let kinds = [
        Some(ColumnKind::DateTime),
        Some(ColumnKind::Int),
        Some(ColumnKind::Text),
        Some(ColumnKind::Int),
        Some(ColumnKind::Int),
    ];
    let rows = store.db.fetch_all(&sql, &kinds).await?;
    let mut per_minute = vec![0i64; MINUTES as usize];
    let mut status: BTreeMap<&str, i64> = ["2xx", "3xx", "4xx", "5xx"].iter().map(|k| (*k, 0)).collect();
    let mut stages: BTreeMap<String, i64> = BTreeMap::new();
    let mut tokens: BTreeMap<i64, i64> = BTreeMap::new();
    let mut durations = Vec::new();
    let mut requests = 0;
    for r in &rows {
        let stage = r.get(2).and_then(J::as_str);
        if stage == Some(action::STAGE) {
            continue; // the console's own action records are not traffic
        }
        requests += 1;
        if let Some(t) = r.first().and_then(J::as_str).and_then(|s| parse_datetime(s).ok()) {
            let ago = (now - t).num_minutes();
            if (0..MINUTES).contains(&ago) {
                per_minute[(MINUTES - 1 - ago) as usize] += 1;
            }
        }
        let code = r.get(1).and_then(as_i64).unwrap_or(0);
        let class = match code {
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        *status.entry(class).or_default() += 1;
        if let Some(s) = stage {
            *stages.entry(s.to_string()).or_default() += 1;
        }
        if let Some(id) = r.get(4).and_then(as_i64) {
            *tokens.entry(id).or_default() += 1;
        }
        if let Some(d) = r.get(3).and_then(as_i64) {
            durations.push(d);
        }
    }
    durations.sort_unstable();
    let p95 = (!durations.is_empty()).then(|| durations[((durations.len() as f64 * 0.95).ceil() as usize).max(1) - 1]);
    let names: BTreeMap<i64, String> = store.list_tokens().await?.into_iter().map(|t| (t.id, t.name)).collect();
    let mut top: Vec<(i64, i64)> = tokens.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top: Vec<J> = top
        .into_iter()
        .take(10)
        .map(|(id, n)| json!({"id": id, "name": names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")), "requests": n}))
        .collect();
    let labels: Vec<String> =
        (0..MINUTES).map(|i| (now - chrono::Duration::minutes(MINUTES - 1 - i)).format("%H:%M").to_string()).collect();
    Ok(json!({
        "requests": requests, "labels": labels, "per_minute": per_minute,
        "status": status, "stages": stages, "p95_ms": p95, "top_tokens": top,
    }))
}

/// `GET /admin/`.
pub async fn page(admin: Admin) -> Response {
    let data = match traffic(&admin.app).await {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    let mut checks = crate::cli::check::static_checks(&admin.app.config);
    checks.push(crate::cli::check::grant_check(&admin.app.store.db, &admin.app.config.database.prefix).await);
    let checks: Vec<J> = checks.iter().map(|i| json!({"name": i.name, "ok": i.ok, "detail": i.detail})).collect();
    let failed = checks.iter().filter(|c| c["ok"] == false).count();
    templates::page(
        StatusCode::OK,
        "dashboard.html",
        context! { traffic => j(&data), checks => j(&checks), failed => failed, ..layout(&admin, "dashboard") },
    )
}
