//! The `databuilder` command line. `--config` and `--database-url` are global:
//! accepted before or after any subcommand.

pub mod admin;
pub mod check;
pub mod defs;
pub mod logs;
pub mod serve;
pub mod token;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::store::definitions::Kind;

/// Data Builder: a secure REST API over your SQL database (Perfex CRM first).
#[derive(Debug, Parser)]
#[command(name = "databuilder", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Every key can also come from DATABUILDER_<SECTION>_<KEY>.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://FILE, mysql://USER@HOST/DB or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(serve::ServeArgs),
    /// The admin console: `admin link` prints a one-time sign-in link.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Create, list, show, revoke and rotate API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Read and maintain the audit log: tail, prune, stats, verify.
    #[command(subcommand)]
    Logs(logs::LogsCommand),
    /// The production checklist: each item pass/fail with its fix.
    Check,
    /// Saved views: apply FILE.toml, list, show SLUG, delete SLUG.
    #[command(subcommand)]
    Views(defs::DefCommand),
    /// Reports: apply FILE.toml, list, show SLUG, delete SLUG.
    #[command(subcommand)]
    Reports(defs::DefCommand),
    /// Report groups: apply FILE.toml, list, show SLUG, delete SLUG.
    #[command(subcommand)]
    Groups(defs::DefCommand),
    /// Print the catalog (resources, columns, relations) as JSON.
    Schema,
    /// Print the OpenAPI 3.1 document of an admin token (every non-sensitive table).
    Openapi,
    /// Load the Perfex-shaped demo schema and data into the configured database.
    DemoLoad {
        /// Data volume (1 ≈ 2,000 clients and 20,000 invoices).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
}

impl Cli {
    /// The configuration: file, environment, then `--database-url`.
    pub fn config(&self) -> Result<Config, String> {
        let mut cfg = Config::load(self.config.as_deref())?;
        if let Some(url) = &self.database_url {
            cfg.database.url = url.clone();
        }
        Ok(cfg)
    }
}

/// Run the command line; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let result = match &cli.command {
        Command::Serve(args) => serve::run(&cli, args).await,
        Command::Admin(cmd) => admin::run(&cli, cmd).await,
        Command::Token(cmd) => token::run(&cli, cmd).await,
        Command::Logs(cmd) => logs::run(&cli, cmd).await,
        Command::Check => check::run(&cli).await,
        Command::Views(cmd) => defs::run(&cli, Kind::View, cmd).await,
        Command::Reports(cmd) => defs::run(&cli, Kind::Report, cmd).await,
        Command::Groups(cmd) => defs::run(&cli, Kind::Group, cmd).await,

        Command::Schema => schema(&cli).await,
        Command::Openapi => openapi(&cli).await,
        Command::DemoLoad { scale } => demo_load(&cli, *scale).await,
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

async fn schema(cli: &Cli) -> Result<(), String> {
    let cfg = cli.config()?;
    let (db, _) = crate::startup::connect(&cfg).await?;
    let catalog = databuilder_engine::exec::load_catalog(&db, &crate::startup::catalog_config(&cfg)?)
        .await
        .map_err(|e| e.to_string())?;
    let tables: Vec<serde_json::Value> = catalog
        .tables
        .iter()
        .map(|t| {
            serde_json::json!({
                "resource": t.resource, "table": t.name, "sensitive": t.sensitive,
                "primary_key": t.primary_key.iter().map(|&i| &t.columns[i].name).collect::<Vec<_>>(),
                "columns": t.columns.iter().map(|c| serde_json::json!({"name": c.name, "sql_type": c.sql_type, "nullable": c.nullable, "secret": c.secret})).collect::<Vec<_>>(),
                "relations": t.relations.iter().map(|r| serde_json::json!({"name": r.name, "to": catalog.table(r.target).resource})).collect::<Vec<_>>(),
            })
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(
            &serde_json::json!({"dialect": catalog.dialect.to_string(), "perfex": catalog.perfex, "tables": tables})
        )
        .unwrap_or_default()
    );
    Ok(())
}

async fn openapi(cli: &Cli) -> Result<(), String> {
    let cfg = cli.config()?;
    let (db, _) = crate::startup::connect(&cfg).await?;
    let catalog = databuilder_engine::exec::load_catalog(&db, &crate::startup::catalog_config(&cfg)?)
        .await
        .map_err(|e| e.to_string())?;
    let admin = databuilder_engine::principal::Principal {
        token_id: 0,
        name: "cli".into(),
        policy: databuilder_engine::principal::Policy { admin: true, ..Default::default() },
    };
    let ctx = databuilder_engine::plan::Ctx { catalog: &catalog, principal: &admin, cursor_key: b"" };
    println!("{}", serde_json::to_string_pretty(&crate::api::openapi::document(ctx, &catalog)).unwrap_or_default());
    Ok(())
}

async fn demo_load(cli: &Cli, scale: f64) -> Result<(), String> {
    let cfg = cli.config()?;
    let db = databuilder_engine::exec::Db::connect(&cfg.database_url(), 4).await.map_err(|e| e.to_string())?;
    serve::load_with_progress(&db, scale).await
}
