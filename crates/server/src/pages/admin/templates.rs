//! The console's templates, compiled into the binary and loaded once into a
//! minijinja environment. minijinja escapes every `{{ … }}` in `.html`
//! templates by default (auto-escape by file extension), so a view named
//! `<script>` is text wherever it appears; nothing here marks a value safe.

use std::sync::OnceLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::Environment;

use crate::pages::PAGE_CSP;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/admin/base.html")),
    ("message.html", include_str!("../../../templates/admin/message.html")),
    ("login.html", include_str!("../../../templates/admin/login.html")),
    ("dashboard.html", include_str!("../../../templates/admin/dashboard.html")),
    ("tokens.html", include_str!("../../../templates/admin/tokens.html")),
    ("token_new.html", include_str!("../../../templates/admin/token_new.html")),
    ("token_issued.html", include_str!("../../../templates/admin/token_issued.html")),
    ("defs.html", include_str!("../../../templates/admin/defs.html")),
    ("def_edit.html", include_str!("../../../templates/admin/def_edit.html")),
    ("confirm.html", include_str!("../../../templates/admin/confirm.html")),
    ("audit.html", include_str!("../../../templates/admin/audit.html")),
    ("catalog.html", include_str!("../../../templates/admin/catalog.html")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // A broken template is a build defect; the test suite renders every page.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "admin template does not compile");
            }
        }
        env
    })
}

/// Render `name` with `ctx` as an HTML page with the page CSP.
pub fn page(status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
    let html = env().get_template(name).and_then(|t| t.render(ctx));
    match html {
        Ok(html) => {
            let mut res = (status, html).into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
            res
        }
        Err(e) => {
            tracing::error!(template = name, error = %e, "admin template failed to render");
            crate::problem::Problem::internal().into_response()
        }
    }
}
