//! The second SQLite floor: axum + `rusqlite` on tokio's blocking pool (at most
//! `POOL_SIZE` threads, one connection each, opened on first use and kept in a
//! thread-local), cached prepared statements, rows written straight to JSON
//! bytes. It shows what sqlx-sqlite costs (a worker thread and a channel per
//! connection, rows decoded into `serde_json::Value` and encoded again).
//! Serves W1, W2 and G1 like `bare.rs`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::POOL_SIZE;
use crate::servers::serve_plain;

thread_local! {
    static CONN: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

/// Start the floor on its own runtime; returns its origin.
pub fn start(db: &Path) -> String {
    let db = Arc::new(db.to_path_buf());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bare-rusqlite".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(POOL_SIZE as usize)
                .thread_name("bare-rusqlite")
                .build()
                .expect("build the rusqlite floor's runtime");
            rt.block_on(async move {
                let router = Router::new()
                    .route("/invoices", get(list))
                    .route("/invoices/{id}", get(get_one))
                    .route("/graphql", post(graphql))
                    .with_state(db);
                tx.send(serve_plain(router, "the rusqlite floor").await).expect("the main thread waits");
                std::future::pending::<()>().await;
            })
        })
        .expect("spawn the rusqlite floor");
    rx.recv().expect("the rusqlite floor failed to start")
}

/// Run `f` on a blocking thread with that thread's connection.
async fn with_conn<F>(db: Arc<PathBuf>, f: F) -> Result<Vec<u8>, StatusCode>
where
    F: FnOnce(&Connection) -> rusqlite::Result<Option<Vec<u8>>> + Send + 'static,
{
    let out = tokio::task::spawn_blocking(move || {
        CONN.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let c = Connection::open_with_flags(&*db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
                c.busy_timeout(Duration::from_secs(5))?;
                c.pragma_update(None, "journal_mode", "wal")?;
                *slot = Some(c);
            }
            f(slot.as_ref().expect("opened above"))
        })
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    match out {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(e) => {
            eprintln!("rusqlite floor: {e}");
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

fn json(bytes: Result<Vec<u8>, StatusCode>) -> Response {
    match bytes {
        Ok(b) => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b))
            .expect("a valid response"),
        Err(status) => Response::builder().status(status).body(Body::empty()).expect("a valid response"),
    }
}

/// The rows of a prepared statement as JSON objects, written into `out`.
fn write_rows(stmt: &mut rusqlite::Statement<'_>, arg: i64, out: &mut Vec<u8>) -> rusqlite::Result<usize> {
    let names: Vec<Vec<u8>> =
        stmt.column_names().iter().map(|n| serde_json::to_vec(n).expect("a name encodes")).collect();
    let mut rows = stmt.query([arg])?;
    let mut n = 0;
    out.push(b'[');
    while let Some(row) = rows.next()? {
        if n > 0 {
            out.push(b',');
        }
        out.push(b'{');
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(name);
            out.push(b':');
            match row.get_ref(i)? {
                ValueRef::Null => out.extend_from_slice(b"null"),
                ValueRef::Integer(v) => out.extend_from_slice(itoa(v).as_bytes()),
                ValueRef::Real(v) => out.extend_from_slice(v.to_string().as_bytes()),
                ValueRef::Text(t) => {
                    let s = std::str::from_utf8(t).unwrap_or("");
                    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
                }
                ValueRef::Blob(_) => out.extend_from_slice(b"null"),
            }
        }
        out.push(b'}');
        n += 1;
    }
    out.push(b']');
    Ok(n)
}

fn itoa(v: i64) -> String {
    v.to_string()
}

/// W1.
async fn get_one(State(db): State<Arc<PathBuf>>, UrlPath(id): UrlPath<i64>) -> Response {
    json(
        with_conn(db, move |c| {
            let mut stmt = c.prepare_cached("SELECT * FROM tblinvoices WHERE id = ?")?;
            let mut out = Vec::with_capacity(2048);
            out.extend_from_slice(b"{\"data\":");
            let start = out.len();
            let n = write_rows(&mut stmt, id, &mut out)?;
            if n == 0 {
                return Ok(None);
            }
            // One row: unwrap the array.
            out.remove(start);
            out.pop();
            out.push(b'}');
            Ok(Some(out))
        })
        .await,
    )
}

/// W2: 25 rows of status N newest first, and the total.
async fn list(State(db): State<Arc<PathBuf>>, RawQuery(q): RawQuery) -> Response {
    let status = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "status")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let Some(status) = status else {
        return json(Err(StatusCode::BAD_REQUEST));
    };
    json(
        with_conn(db, move |c| {
            let mut page =
                c.prepare_cached("SELECT * FROM tblinvoices WHERE status = ? ORDER BY date DESC, id LIMIT 25")?;
            let mut out = Vec::with_capacity(32 * 1024);
            out.extend_from_slice(b"{\"data\":");
            write_rows(&mut page, status, &mut out)?;
            let total: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM tblinvoices WHERE status = ?")?
                .query_row([status], |r| r.get(0))?;
            out.extend_from_slice(format!(",\"meta\":{{\"total\":{total}}}}}").as_bytes());
            Ok(Some(out))
        })
        .await,
    )
}

/// G1: the GraphQL answer's shape, without GraphQL.
async fn graphql(State(db): State<Arc<PathBuf>>) -> Response {
    json(
        with_conn(db, move |c| {
            let mut page = c.prepare_cached(
                "SELECT id, total, date FROM tblinvoices WHERE status = ? ORDER BY date DESC, id LIMIT 25",
            )?;
            let mut out = Vec::with_capacity(4096);
            out.extend_from_slice(b"{\"data\":{\"invoices\":");
            write_rows(&mut page, 2, &mut out)?;
            out.extend_from_slice(b"}}");
            Ok(Some(out))
        })
        .await,
    )
}
