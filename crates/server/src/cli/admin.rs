//! `databuilder admin link [--ttl 2h] [--next PATH] [--base-url URL]`: print a
//! one-time sign-in link to the admin console (SPEC §7). Only the link's
//! SHA-256 is stored; the plaintext is printed once, to stdout, and never
//! logged. Issuing a link leaves older unused links valid.

use clap::{Args, Subcommand};

use super::Cli;
use crate::config::parse_duration;
use crate::pages::admin::{ROOT, redirect::safe_next};
use crate::startup;
use crate::store::admin::DEFAULT_LINK_TTL;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Print a one-time sign-in link to the admin console.
    Link(LinkArgs),
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// How long the link stays valid, e.g. `15m`, `2h` (default 2h, at most 24h).
    #[arg(long, value_name = "DURATION")]
    pub ttl: Option<String>,
    /// Console page to open after sign-in (a path such as /api/data_builder/admin/tokens).
    #[arg(long, value_name = "PATH")]
    pub next: Option<String>,
    /// The server's public address as a browser reaches it (default: http:// + [server] listen).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

pub async fn run(cli: &Cli, cmd: &AdminCommand) -> Result<(), String> {
    let AdminCommand::Link(args) = cmd;
    let ttl = match &args.ttl {
        Some(t) => parse_duration(t)
            .filter(|d| !d.is_zero() && d.as_secs() <= 86_400)
            .ok_or_else(|| format!("--ttl {t}: expected a duration from 1s to 24h, like 2h"))?,
        None => DEFAULT_LINK_TTL,
    };
    let next = safe_next(args.next.as_deref());
    if args.next.as_deref().is_some_and(|n| n != next) {
        eprintln!("note: --next is not a same-origin path; the link opens the console home");
    }
    let cfg = cli.config()?;
    let (_, state) = startup::connect(&cfg).await?;
    let link = state.create_admin_link(ttl, &next).await.map_err(|e| e.to_string())?;
    let base = args.base_url.clone().unwrap_or_else(|| format!("http://{}", cfg.server.listen));
    println!("{}{ROOT}/login?link={link}", base.trim_end_matches('/'));
    eprintln!("one-time sign-in link, valid for {} min; it is shown only once", ttl.as_secs().div_ceil(60));
    Ok(())
}
