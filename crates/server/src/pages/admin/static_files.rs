//! The console's own scripts and stylesheet, compiled into the binary and
//! served by exact name from `/api/data_builder/assets/admin/`.

use axum::extract::Path;
use axum::response::Response;

use crate::pages::assets::{Asset, serve as serve_from};

const FILES: &[Asset] = &[
    Asset {
        name: "admin.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../assets/admin/admin.css"),
    },
    Asset {
        name: "admin.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/admin/admin.js"),
    },
    Asset {
        name: "dashboard.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/admin/dashboard.js"),
    },
    Asset {
        name: "editor.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/admin/editor.js"),
    },
];

/// `GET /api/data_builder/assets/admin/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    serve_from(FILES, &file)
}
