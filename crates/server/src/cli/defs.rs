//! `databuilder views|reports|groups apply FILE.toml|list|show SLUG|delete SLUG`.
//! `apply` is declarative (creates or replaces) and validates the definition
//! against the live catalog first; an error names the file and line.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use databuilder_engine::catalog::Catalog;
use databuilder_engine::views::{GroupDef, ReportDef, ViewDef, ViewError, validate_report, validate_view};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Cli;
use crate::startup;
use crate::store::Store;
use crate::store::definitions::Kind;

#[derive(Debug, Subcommand)]
pub enum DefCommand {
    /// Create or replace the definition in FILE (TOML), after validating it against the live schema.
    Apply { file: PathBuf },
    /// List definitions.
    List,
    /// Print one definition as JSON.
    Show { slug: String },
    /// Delete a definition.
    Delete { slug: String },
}

pub async fn run(cli: &Cli, kind: Kind, cmd: &DefCommand) -> Result<(), String> {
    let cfg = cli.config()?;
    let (db, state) = startup::connect(&cfg).await?;
    match cmd {
        DefCommand::Apply { file } => {
            let catalog = databuilder_engine::exec::load_catalog(&db, &startup::catalog_config(&cfg)?)
                .await
                .map_err(|e| e.to_string())?;
            let slug = apply_file(&state, &catalog, kind, file).await?;
            println!("{} `{slug}` applied", kind.noun());
            Ok(())
        }
        DefCommand::List => {
            let catalog = databuilder_engine::exec::load_catalog(&db, &startup::catalog_config(&cfg)?)
                .await
                .map_err(|e| e.to_string())?;
            let broken = broken_definitions(&state, &catalog).await?;
            for (slug, name) in summaries(&state, kind).await? {
                match broken.iter().find(|(k, s, _)| *k == kind && *s == slug) {
                    Some((_, _, why)) => println!("{slug:<32} {name}  [BROKEN: {why}]"),
                    None => println!("{slug:<32} {name}"),
                }
            }
            Ok(())
        }
        DefCommand::Show { slug } => {
            let v: Option<serde_json::Value> = state.definition(kind, slug).await.map_err(|e| e.to_string())?;
            let v = v.ok_or_else(|| format!("no {} `{slug}`", kind.noun()))?;
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            Ok(())
        }
        DefCommand::Delete { slug } => match state.delete_definition(kind, slug).await.map_err(|e| e.to_string())? {
            true => {
                println!("{} `{slug}` deleted", kind.noun());
                Ok(())
            }
            false => Err(format!("no {} `{slug}`", kind.noun())),
        },
    }
}

/// Every stored definition the live schema no longer supports, with why
/// (`api/broken.rs`): views, reports (also through their view) and groups with
/// a missing or broken report.
pub async fn broken_definitions(state: &Store, catalog: &Catalog) -> Result<Vec<(Kind, String, String)>, String> {
    use crate::api::broken;
    let views: Vec<ViewDef> = state.definitions(Kind::View).await.map_err(|e| e.to_string())?;
    let reports: Vec<ReportDef> = state.definitions(Kind::Report).await.map_err(|e| e.to_string())?;
    let groups: Vec<GroupDef> = state.definitions(Kind::Group).await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for v in &views {
        if let Some(b) = broken::view(catalog, v) {
            out.push((Kind::View, v.slug.to_string(), b.message));
        }
    }
    for r in &reports {
        let over = r.view.as_ref().and_then(|s| views.iter().find(|v| &v.slug == s));
        if let Err(p) = broken::check_report(catalog, r, over) {
            out.push((Kind::Report, r.slug.to_string(), p.detail));
        }
    }
    for g in &groups {
        let bad = g.reports.iter().find(|r| {
            !reports.iter().any(|d| &d.slug == *r)
                || out.iter().any(|(k, s, _)| *k == Kind::Report && s.as_str() == &***r)
        });
        if let Some(r) = bad {
            out.push((Kind::Group, g.slug.to_string(), format!("report `{r}` is missing or broken")));
        }
    }
    Ok(out)
}

async fn summaries(state: &Store, kind: Kind) -> Result<Vec<(String, String)>, String> {
    let all: Vec<serde_json::Value> = state.definitions(kind).await.map_err(|e| e.to_string())?;
    Ok(all
        .iter()
        .map(|v| {
            (v["slug"].as_str().unwrap_or_default().to_string(), v["name"].as_str().unwrap_or_default().to_string())
        })
        .collect())
}

/// Parse, validate and store one definition file; returns its slug.
pub async fn apply_file(state: &Store, catalog: &Catalog, kind: Kind, file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    apply_text(state, catalog, kind, file, &text).await
}

/// The ready Perfex definitions shipped in `definitions/`, built into the binary.
pub const BUILT_IN: &[(Kind, &str, &str)] = &[
    (Kind::View, "client-invoices.toml", include_str!("../../../../definitions/views/client-invoices.toml")),
    (Kind::View, "overdue-invoices.toml", include_str!("../../../../definitions/views/overdue-invoices.toml")),
    (Kind::View, "project-board.toml", include_str!("../../../../definitions/views/project-board.toml")),
    (Kind::Report, "overdue-by-agent.toml", include_str!("../../../../definitions/reports/overdue-by-agent.toml")),
    (Kind::Report, "revenue-by-month.toml", include_str!("../../../../definitions/reports/revenue-by-month.toml")),
    (Kind::Report, "top-clients.toml", include_str!("../../../../definitions/reports/top-clients.toml")),
    (Kind::Report, "lead-funnel.toml", include_str!("../../../../definitions/reports/lead-funnel.toml")),
    (Kind::Report, "project-status.toml", include_str!("../../../../definitions/reports/project-status.toml")),
    (Kind::Report, "task-workload.toml", include_str!("../../../../definitions/reports/task-workload.toml")),
    (Kind::Group, "finance.toml", include_str!("../../../../definitions/groups/finance.toml")),
    (Kind::Group, "delivery.toml", include_str!("../../../../definitions/groups/delivery.toml")),
    (Kind::Group, "sales.toml", include_str!("../../../../definitions/groups/sales.toml")),
];

/// Apply every built-in definition (views first, then reports, then groups).
pub async fn apply_built_in(state: &Store, catalog: &Catalog) -> Result<usize, String> {
    for (kind, name, text) in BUILT_IN {
        apply_text(state, catalog, *kind, Path::new(name), text).await?;
    }
    Ok(BUILT_IN.len())
}

/// A definition that parsed and passed validation against the live catalog.
// Built once per apply or preview and consumed at once: boxing buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Checked {
    View(ViewDef),
    /// A report, with the saved view it reads from (when it names one).
    Report(ReportDef, Option<ViewDef>),
    Group(GroupDef),
}

impl Checked {
    pub fn slug(&self) -> &str {
        match self {
            Checked::View(d) => &d.slug,
            Checked::Report(d, _) => &d.slug,
            Checked::Group(d) => &d.slug,
        }
    }
}

/// Parse and validate a definition given as text, writing nothing: the errors
/// `apply` prints (`FILE:LINE: message`), also shown by the admin console's editor.
pub async fn check_text(
    state: &Store,
    catalog: &Catalog,
    kind: Kind,
    file: &Path,
    text: &str,
) -> Result<Checked, String> {
    let text = text.to_string();
    let at = |e: ViewError| located(file, &text, &e);

    match kind {
        Kind::View => {
            let def: ViewDef = parse(file, &text)?;
            validate_view(catalog, &def).map_err(at)?;
            Ok(Checked::View(def))
        }
        Kind::Report => {
            let def: ReportDef = parse(file, &text)?;
            let view: Option<ViewDef> = match &def.view {
                Some(v) => {
                    Some(state.definition(Kind::View, v).await.map_err(|e| e.to_string())?.ok_or_else(|| {
                        located(
                            file,
                            &text,
                            &ViewError { token: v.to_string(), message: format!("no view `{v}`: apply it first") },
                        )
                    })?)
                }
                None => None,
            };
            validate_report(catalog, &def, view.as_ref()).map_err(at)?;
            Ok(Checked::Report(def, view))
        }
        Kind::Group => {
            let def: GroupDef = parse(file, &text)?;
            for r in &def.reports {
                let found: Option<serde_json::Value> =
                    state.definition(Kind::Report, r).await.map_err(|e| e.to_string())?;
                if found.is_none() {
                    return Err(located(
                        file,
                        &text,
                        &ViewError { token: r.to_string(), message: format!("no report `{r}`: apply it first") },
                    ));
                }
            }
            Ok(Checked::Group(def))
        }
    }
}

/// Parse, validate and store a definition given as text.
pub async fn apply_text(
    state: &Store,
    catalog: &Catalog,
    kind: Kind,
    file: &Path,
    text: &str,
) -> Result<String, String> {
    match check_text(state, catalog, kind, file, text).await? {
        Checked::View(def) => store(state, kind, &def.slug, &def.name, &def).await,
        Checked::Report(def, _) => store(state, kind, &def.slug, &def.name, &def).await,
        Checked::Group(def) => store(state, kind, &def.slug, &def.name, &def).await,
    }
}

fn parse<T: DeserializeOwned>(file: &Path, text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| format!("{}: {e}", file.display()))
}

async fn store<T: Serialize>(state: &Store, kind: Kind, slug: &str, name: &str, def: &T) -> Result<String, String> {
    state.put_definition(kind, slug, name, def).await.map_err(|e| e.to_string())?;
    Ok(slug.to_string())
}

/// `FILE:LINE: message`, the line being the first that mentions the offending token.
fn located(file: &Path, text: &str, e: &ViewError) -> String {
    match text.lines().position(|l| !e.token.is_empty() && l.contains(&e.token)) {
        Some(n) => format!("{}:{}: {}", file.display(), n + 1, e.message),
        None => format!("{}: {}", file.display(), e.message),
    }
}
