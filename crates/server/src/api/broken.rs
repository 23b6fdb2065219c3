//! Definitions the live schema no longer supports (SPEC §5, "modules come and
//! go"): a Perfex module is uninstalled, its table or column vanishes, and after
//! the next catalog reload a view or report that used it is *broken*. Each call
//! re-validates the definition against the current catalog (the `apply`-time
//! check, `engine::views::validate_*`, no SQL), so a broken definition answers a
//! 409 problem naming what is missing and the definition — never a 500 — while
//! everything else keeps working. The CLI lists, `databuilder check` and the
//! GraphQL schema use the same check.

use axum::http::StatusCode;
use databuilder_engine::catalog::Catalog;
use databuilder_engine::views::{ReportDef, ViewDef, ViewError, validate_report, validate_view};
use serde_json::json;

use crate::problem::Problem;
use crate::store::definitions::Kind;

/// Why a definition no longer fits the schema: what is missing, as
/// `resource \`x\``, `column \`y\`` or `relation \`z\`` when that is the cause,
/// and the validator's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub missing: String,
    pub message: String,
}

impl Broken {
    fn from(e: ViewError) -> Broken {
        let m = &e.message;
        let what = if m.starts_with("no resource") || m.contains("no resource `") {
            "resource"
        } else if m.contains("unknown relation") {
            "relation"
        } else if m.contains("unknown column") {
            "column"
        } else {
            "definition item"
        };
        Broken { missing: format!("{what} `{}`", e.token), message: e.message }
    }

    /// The 409 problem of definition `slug` of `kind`.
    pub fn problem(&self, kind: Kind, slug: &str) -> Problem {
        let noun = kind.noun();
        let mut p = Problem::new(
            StatusCode::CONFLICT,
            "definition-broken",
            "Definition broken",
            format!("{noun} `{slug}` uses {} that the schema no longer has ({})", self.missing, self.message),
        );
        p.errors = Some(Box::new(json!({ "definition": [format!("{noun} `{slug}`")], "missing": [self.missing] })));
        p
    }
}

/// `Some` when view `def` no longer fits `catalog`.
pub fn view(catalog: &Catalog, def: &ViewDef) -> Option<Broken> {
    validate_view(catalog, def).err().map(Broken::from)
}

/// `Some` when report `def` (over `view`, if any) no longer fits `catalog`.
pub fn report(catalog: &Catalog, def: &ReportDef, view: Option<&ViewDef>) -> Option<Broken> {
    validate_report(catalog, def, view).err().map(Broken::from)
}

/// The view, or its 409.
pub fn check_view(catalog: &Catalog, def: &ViewDef) -> Result<(), Problem> {
    view(catalog, def).map_or(Ok(()), |b| Err(b.problem(Kind::View, &def.slug)))
}

/// The report, or its 409 (a broken underlying view breaks the report too).
pub fn check_report(catalog: &Catalog, def: &ReportDef, over: Option<&ViewDef>) -> Result<(), Problem> {
    if let Some(v) = over
        && let Some(b) = view(catalog, v)
    {
        let mut b = b;
        b.message = format!("through view `{}`: {}", v.slug, b.message);
        return Err(b.problem(Kind::Report, &def.slug));
    }
    report(catalog, def, over).map_or(Ok(()), |b| Err(b.problem(Kind::Report, &def.slug)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_missing() {
        let e = |token: &str, message: &str| Broken::from(ViewError { token: token.into(), message: message.into() });
        assert_eq!(e("invoices", "no resource `invoices`").missing, "resource `invoices`");
        assert_eq!(e("total", "parameter `fields`: unknown column `total` in `invoices`").missing, "column `total`");
        assert_eq!(e("client", "parameter `include`: unknown relation `client`").missing, "relation `client`");
        let p = e("total", "unknown column `total` in `invoices`").problem(Kind::View, "v");
        assert_eq!(p.status, StatusCode::CONFLICT);
        assert!(p.detail.contains("view `v`") && p.detail.contains("column `total`"), "{}", p.detail);
    }
}
