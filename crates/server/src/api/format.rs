//! Streaming encoders for CSV and NDJSON. Rows flow from the database through a
//! bounded channel, are shaped (includes fetched per chunk of rows) and encoded
//! chunk by chunk, so memory stays flat however many rows there are.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use databuilder_engine::catalog::Catalog;
use databuilder_engine::exec::{self, Db, Object};
use databuilder_engine::plan::ListPlan;
use databuilder_engine::request::Format;
use databuilder_engine::sql::render_select;
use serde_json::Value as J;
use tokio::sync::mpsc;

/// Rows shaped (and their includes fetched) together.
const CHUNK: usize = 500;

/// A streaming response for a CSV or NDJSON list.
pub fn stream(db: Db, catalog: Arc<Catalog>, plan: ListPlan) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let format = plan.format;
    tokio::spawn(async move {
        if let Err(e) = produce(&db, &catalog, &plan, &tx).await {
            tracing::error!(error = %e, "stream aborted");
            let _ = tx.send(Err(std::io::Error::other("stream aborted"))).await;
        }
    });
    let body =
        Body::from_stream(futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|item| (item, rx)) },
        ));
    with_type(Response::new(body), format)
}

async fn produce(
    db: &Db,
    catalog: &Catalog,
    plan: &ListPlan,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), exec::DbError> {
    let node = &plan.root;
    let mut rows = db.stream(render_select(catalog, &node.select), exec::kinds(catalog, node), CHUNK);
    if plan.format == Format::Csv {
        let mut header: Vec<String> = node.output.iter().map(|(n, _)| n.clone()).collect();
        header.extend(node.includes.iter().map(|i| i.name.clone()));
        if tx.send(Ok(header_line(&header))).await.is_err() {
            return Ok(());
        }
    }
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let next = rows.recv().await.transpose()?;
        let done = next.is_none();
        chunk.extend(next);
        if chunk.len() == CHUNK || (done && !chunk.is_empty()) {
            let objs = exec::shape(db, catalog, node, std::mem::take(&mut chunk)).await?;
            if tx.send(Ok(encode(plan.format, &objs))).await.is_err() {
                return Ok(()); // the client went away
            }
        }
        if done {
            return Ok(());
        }
    }
}

/// A CSV or NDJSON answer of rows already read (an aggregate: at most 1000
/// rows), with the same encoders and header line as the list streams.
pub fn rows(format: Format, header: &[String], rows: &[Object]) -> Response {
    let mut out = Vec::with_capacity(2);
    if format == Format::Csv {
        out.push(header_line(header));
    }
    out.push(encode(format, rows));
    let body = Body::from_stream(futures_util::stream::iter(out.into_iter().map(Ok::<_, std::io::Error>)));
    with_type(Response::new(body), format)
}

fn with_type(mut res: Response, format: Format) -> Response {
    let ct = if format == Format::Csv { "text/csv; charset=utf-8" } else { "application/x-ndjson" };
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

fn header_line(header: &[String]) -> Bytes {
    Bytes::from(header.iter().map(|h| csv_field(&J::String(h.clone()))).collect::<Vec<_>>().join(",") + "\r\n")
}

fn encode(format: Format, rows: &[Object]) -> Bytes {
    let mut out = String::with_capacity(rows.len() * 256);
    for r in rows {
        if format == Format::Csv {
            let cells: Vec<String> = r.values().map(csv_field).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        } else {
            out.push_str(&serde_json::to_string(r).unwrap_or_default());
            out.push('\n');
        }
    }
    Bytes::from(out)
}

/// One CSV cell (RFC 4180 quoting); nested values as JSON text.
fn csv_field(v: &J) -> String {
    let s = match v {
        J::Null => return String::new(),
        J::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field(&J::String("a,b".into())), "\"a,b\"");
        assert_eq!(csv_field(&J::String("say \"hi\"".into())), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(&J::Null), "");
        assert_eq!(csv_field(&serde_json::json!(12)), "12");
    }
}
