//! Static files compiled into the binary, served by exact name. An unknown name
//! is a 404 problem; there is no path walking, so no traversal.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// Third-party files shared by the pages (see `assets/vendor/VENDORED.md`).
pub const VENDOR: &[Asset] = &[Asset {
    name: "chart.umd.min.js",
    content_type: "text/javascript; charset=utf-8",
    bytes: include_bytes!("../../assets/vendor/chart.js-4.6.1/chart.umd.min.js"),
}];

/// Answer one asset of `table` by name.
pub fn serve(table: &[Asset], name: &str) -> Response {
    match table.iter().find(|a| a.name == name) {
        Some(a) => {
            let mut res = a.bytes.into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
            res
        }
        None => Problem::not_found("no such asset").into_response(),
    }
}

/// `GET /api/data_builder/assets/vendor/{file}`.
pub async fn vendor(Path(file): Path<String>) -> Response {
    serve(VENDOR, &file)
}
