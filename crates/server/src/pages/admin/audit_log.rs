//! The audit log page: the records of a time range (default: the last 24 h),
//! filtered by token, status (`404` or `4xx`) and stage, newest first; and a
//! button that verifies the hash chain (`store::audit::verify`).

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::as_i64;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::{Value, parse_datetime};
use minijinja::context;
use serde_json::{Value as J, json};

use super::extract::Admin;
use super::form::{self, Form};
use super::{j, layout, templates};
use crate::problem::Problem;

/// Records read from the range before filtering, and shown after.
const READ: i64 = 5_000;
const SHOWN: usize = 200;

const RANGE: &str = "SELECT id, request_id, token_id, client_ip, method, path, status, stage, duration_ms, created_at FROM {t} WHERE created_at >= ? AND created_at <= ? ORDER BY id DESC LIMIT ?";

/// The filters of the page, checked; errors name the field.
struct Filters {
    token: Option<i64>,
    status: Option<String>,
    stage: Option<String>,
    from: NaiveDateTime,
    to: NaiveDateTime,
}

fn filters(q: &Form) -> Result<Filters, (&'static str, String)> {
    let now = crate::store::now();
    let time = |name: &'static str, default: NaiveDateTime| match q.text(name) {
        None => Ok(default),
        Some(t) => parse_datetime(&t.replace('T', " "))
            .map_err(|_| (name, format!("`{t}` is not a date and time like 2026-01-31 14:00"))),
    };
    let token = match q.text("token") {
        None => None,
        Some(t) => Some(t.parse::<i64>().map_err(|_| ("token", format!("`{t}` is not a token id")))?),
    };
    let status = q.text("status");
    if let Some(s) = &status {
        let class = s.len() == 3 && s.as_bytes()[0].is_ascii_digit() && &s[1..].to_ascii_lowercase() == "xx";
        if !(class || (s.len() == 3 && s.parse::<u16>().is_ok())) {
            return Err(("status", format!("`{s}` is not a status like 404 or 4xx")));
        }
    }
    let stage = q.text("stage");
    if let Some(s) = &stage
        && !["handler", "shield", "cors", "auth", "rate", "scope", "admin"].contains(&s.as_str())
    {
        return Err(("stage", format!("`{s}` is not a stage")));
    }
    Ok(Filters { token, status, stage, from: time("from", now - chrono::Duration::hours(24))?, to: time("to", now)? })
}

fn keep(f: &Filters, row: &J) -> bool {
    let status = row["status"].as_i64().unwrap_or(0).to_string();
    let stage = row["stage"].as_str().unwrap_or("handler");
    f.token.is_none_or(|t| row["token_id"].as_i64() == Some(t))
        && f.status.as_ref().is_none_or(|s| {
            if s.to_ascii_lowercase().ends_with("xx") { status.starts_with(&s[..1]) } else { &status == s }
        })
        && f.stage.as_ref().is_none_or(|s| s == stage)
}

async fn records(admin: &Admin, f: &Filters) -> Result<Vec<J>, Problem> {
    let store = &admin.app.store;
    let sql = Sql::fixed_table(
        store.db.dialect(),
        RANGE,
        &store.table("api_logs"),
        vec![Value::DateTime(f.from), Value::DateTime(f.to), Value::Int(READ)],
    );
    let kinds = [
        Some(ColumnKind::Int),
        Some(ColumnKind::Text),
        Some(ColumnKind::Int),
        Some(ColumnKind::Text),
        Some(ColumnKind::Text),
        Some(ColumnKind::Text),
        Some(ColumnKind::Int),
        Some(ColumnKind::Text),
        Some(ColumnKind::Int),
        Some(ColumnKind::DateTime),
    ];
    let rows = store.db.fetch_all(&sql, &kinds).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let t = r.get(9).and_then(J::as_str).and_then(|s| parse_datetime(s).ok());
            json!({
                "id": r.first().and_then(as_i64), "request_id": r.get(1), "token_id": r.get(2).and_then(as_i64),
                "client_ip": r.get(3), "method": r.get(4), "path": r.get(5), "status": r.get(6).and_then(as_i64),
                "stage": r.get(7), "duration_ms": r.get(8).and_then(as_i64),
                "at": t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            })
        })
        .filter(|row| keep(f, row))
        .take(SHOWN)
        .collect())
}

async fn render(admin: &Admin, q: &Form, verified: Option<J>) -> Response {
    let values = json!({
        "token": q.get("token"), "status": q.get("status"), "stage": q.get("stage"),
        "from": q.get("from"), "to": q.get("to"),
    });
    let (rows, error, status) = match filters(q) {
        Ok(f) => match records(admin, &f).await {
            Ok(r) => (r, None, StatusCode::OK),
            Err(p) => return p.into_response(),
        },
        Err((field, msg)) => (Vec::new(), Some(json!({ field: msg })), StatusCode::UNPROCESSABLE_ENTITY),
    };
    templates::page(
        status,
        "audit.html",
        context! { rows => j(&rows), v => j(&values), errors => j(&error), verified => j(&verified), ..layout(admin, "audit") },
    )
}

/// `GET /admin/audit?token=&status=&stage=&from=&to=`.
pub async fn page(admin: Admin, RawQuery(q): RawQuery) -> Response {
    let q = form::parse(q.unwrap_or_default().as_bytes());
    render(&admin, &q, None).await
}

/// `POST /admin/audit/verify` (form: `csrf`): verify the whole chain.
pub async fn verify(admin: Admin, body: Bytes) -> Response {
    let f = form::parse(&body);
    if let Err(res) = admin.check_form(&f) {
        return res;
    }
    admin.app.audit.flush().await;
    match crate::store::audit::verify(&admin.app.store).await {
        Ok(report) => render(&admin, &Form::default(), Some(json!(report))).await,
        Err(e) => Problem::from(e).into_response(),
    }
}
