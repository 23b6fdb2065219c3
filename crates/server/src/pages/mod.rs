//! Web pages served from the binary (the Explorer, the admin console) and the
//! assets they share. Nothing here is fetched from another origin: every file is
//! compiled in with `include_bytes!`, third-party files pinned and listed in
//! `crates/server/assets/vendor/VENDORED.md`.
//!
//! Pages sit outside the API's token pipeline (they hold no data themselves;
//! what they show comes from API calls that pass it), but inside the outer
//! layers, so they get the security headers, the shield and a request id. Each
//! page sets its own Content-Security-Policy: scripts from `'self'` only.

pub mod admin;
pub mod assets;
pub mod explorer;

/// The pages' base path.
pub const ROOT: &str = "/api/data_builder";

/// The CSP of every page: no inline script, no eval, nothing from another origin.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
