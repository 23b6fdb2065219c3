//! `databuilder serve`, including the one-command demo: on first run `--demo`
//! creates `./databuilder-demo/` with the Perfex-shaped SQLite database, a
//! `databuilder.toml`, the master key file, an admin and a sandbox token
//! (printed once); later runs reuse all of it and print no token.

use std::path::{Path, PathBuf};

use clap::Args;
use databuilder_engine::exec::Db;
use databuilder_engine::principal::Policy;
use indicatif::{ProgressBar, ProgressStyle};

use super::Cli;
use crate::config::Config;
use crate::startup::{self, Application};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve the embedded Perfex-shaped demo database (created on first run).
    #[arg(long)]
    pub demo: bool,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Demo data volume on first creation (1 ≈ 2,000 clients, 20,000 invoices).
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub scale: f64,
    /// Where the demo lives.
    #[arg(long, default_value = "databuilder-demo", value_name = "DIR")]
    pub demo_dir: PathBuf,
}

const DEMO_CONFIG: &str = "# Data Builder demo configuration (created by `databuilder serve --demo`).
[database]
url = \"sqlite://demo.sqlite\"
prefix = \"tbl\"

[server]
listen = \"127.0.0.1:8080\"
";

pub async fn run(cli: &Cli, args: &ServeArgs) -> Result<(), String> {
    let mut fresh_tokens = None;
    let cfg = if args.demo && cli.config.is_none() && cli.database_url.is_none() {
        let (cfg, tokens) = prepare_demo(&args.demo_dir, args.scale).await?;
        fresh_tokens = tokens;
        cfg
    } else {
        cli.config()?
    };
    let listen = args.listen.clone().unwrap_or_else(|| cfg.server.listen.to_string());
    let app = Application::build(cfg, &listen).await?;
    let addr = app.local_addr();
    let base = format!("http://{addr}/api/data_builder/v1");
    if let Some((admin, sandbox)) = fresh_tokens {
        println!("\nData Builder demo is ready. These tokens are shown once; keep them:\n");
        println!("  admin token:   {admin}");
        println!("  sandbox token: {sandbox}\n");
        println!("Try:\n  curl -H 'Authorization: Bearer {admin}' '{base}/invoices?per_page=2&include=client'\n");
    }
    println!("API Explorer: http://{addr}{}", crate::pages::explorer::PATH);
    println!("Listening on http://{addr} (API at {base})");
    app.run_until(startup::shutdown_signal()).await;
    Ok(())
}

/// Create the demo once; returns its configuration and, on first run, the tokens.
async fn prepare_demo(dir: &Path, scale: f64) -> Result<(Config, Option<(String, String)>), String> {
    let config_path = dir.join("databuilder.toml");
    if config_path.exists() {
        add_explorer_token(&config_path).await?;
        return Ok((Config::load(Some(&config_path))?, None));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("demo.sqlite{suffix}")));
    }
    let url = format!("sqlite://{}", dir.join("demo.sqlite").display());
    let db = Db::connect(&url, 1).await.map_err(|e| e.to_string())?;
    load_with_progress(&db, scale).await?;
    db.close().await;
    let tmp = dir.join("databuilder.toml.tmp");
    std::fs::write(&tmp, DEMO_CONFIG).map_err(|e| e.to_string())?;
    let cfg = Config::load(Some(&tmp))?;
    let (_, state) = startup::connect(&cfg).await?;
    crate::store::keys::MasterKey::load(&cfg.master_key_path())?;
    let admin = Policy { admin: true, ..Policy::default() };
    let sandbox = Policy { sandbox: true, ..Policy::default() };
    let catalog = databuilder_engine::exec::load_catalog(&state.db, &startup::catalog_config(&cfg)?)
        .await
        .map_err(|e| e.to_string())?;
    super::defs::apply_built_in(&state, &catalog).await?;
    let (_, admin_token) = state.create_token("demo admin", &admin, None).await.map_err(|e| e.to_string())?;

    let (_, sandbox_token) = state.create_token("demo sandbox", &sandbox, None).await.map_err(|e| e.to_string())?;
    append_explorer_section(&tmp, &sandbox_token)?;
    std::fs::rename(&tmp, &config_path).map_err(|e| e.to_string())?;
    Ok((Config::load(Some(&config_path))?, Some((admin_token, sandbox_token))))
}

/// The Explorer's public token goes into the demo's own configuration file.
fn append_explorer_section(path: &Path, token: &str) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(f, "\n# The sandbox token the API Explorer uses when a visitor pastes none.\n[explorer]\npublic_token = \"{token}\"")
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A demo made before the Explorer existed has no `[explorer]` section: give it
/// a fresh sandbox token (the first one's plaintext is not stored). A file that
/// already names the section, or an environment override, is left alone.
async fn add_explorer_token(config_path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(config_path).map_err(|e| format!("{}: {e}", config_path.display()))?;
    let cfg = Config::load(Some(config_path))?;
    if !cfg.explorer.public_token.is_empty() || text.lines().any(|l| l.trim() == "[explorer]") {
        return Ok(());
    }
    let (_, state) = startup::connect(&cfg).await?;
    let sandbox = Policy { sandbox: true, ..Policy::default() };
    let (_, token) = state.create_token("demo explorer", &sandbox, None).await.map_err(|e| e.to_string())?;
    append_explorer_section(config_path, &token)?;
    eprintln!("Added an [explorer] public_token (a new sandbox token) to {}", config_path.display());
    Ok(())
}

/// Load the demo data with a progress bar.
pub async fn load_with_progress(db: &Db, scale: f64) -> Result<(), String> {
    if !(scale > 0.0 && scale <= 100.0) {
        return Err("--scale must be above 0 and at most 100".into());
    }
    let total = databuilder_engine::demo::total_rows(scale);
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("Generating the demo database");
    let started = std::time::Instant::now();
    let progress = |n: u64| bar.set_position(n);
    databuilder_engine::demo::load_demo(db, scale, &progress)
        .await
        .map_err(|e| format!("loading the demo failed: {e}"))?;
    bar.finish();
    eprintln!("Demo database ready: {total} rows in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
