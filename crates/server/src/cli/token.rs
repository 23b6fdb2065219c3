//! `databuilder token create|list|show|revoke|rotate`. Tokens are printed once;
//! only their SHA-256 is stored.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use databuilder_engine::catalog::Catalog;
use databuilder_engine::principal::{Crud, Policy, Scopes};

use super::Cli;
use crate::config::{Net, Origin, parse_duration};
use crate::startup;
use crate::store::Store;
use crate::store::keys::MasterKey;
use crate::store::tokens::TokenRecord;

// Parsed once per process from the command line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once.
    Create(CreateArgs),
    /// List tokens (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one token.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token; it stops working within 5 s on every instance.
    Revoke { id: i64 },
    /// Give a token a new secret (printed once); the old one stops working.
    Rotate {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Default, Args)]
pub struct CreateArgs {
    /// A name to recognise the token by.
    #[arg(long)]
    pub name: String,
    /// Table permission `RESOURCE:LETTERS` with letters from `crud` (`r` read only); `*` for every table. Repeatable.
    #[arg(long = "table", value_name = "RESOURCE:crud")]
    pub tables: Vec<String>,
    /// Allow a saved view (repeatable); none means all views.
    #[arg(long = "view", value_name = "SLUG")]
    pub views: Vec<String>,
    /// Scopes: tables, views, write (repeatable). Default: tables and views, plus write when a table grants c, u or d.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Column list `RESOURCE:COL,COL` (repeatable): the token sees only these columns of the resource.
    #[arg(long = "columns", value_name = "RESOURCE:COL,COL")]
    pub columns: Vec<String>,
    /// Row filter `RESOURCE:COL=VALUE` (repeatable): the token sees and writes only matching rows.
    #[arg(long = "row-filter", value_name = "RESOURCE:COL=VALUE")]
    pub row_filters: Vec<String>,
    /// Client IP allowlist entry (repeatable).
    #[arg(long = "cidr", value_name = "CIDR")]
    pub cidrs: Vec<Net>,
    /// Allowed browser Origin (repeatable), like `https://app.example`.
    #[arg(long = "origin", value_name = "URL")]
    pub origins: Vec<Origin>,
    /// Requests per minute for this token.
    #[arg(long, value_name = "N")]
    pub rate: Option<u32>,
    /// Lifetime, e.g. `90d`, `12h`.
    #[arg(long, value_name = "DURATION")]
    pub expires: Option<String>,
    /// Require HMAC-SHA256 request signing; prints the signing secret once.
    #[arg(long)]
    pub hmac: bool,
    /// A sandbox token: reads everything non-sensitive, writes always roll back.
    #[arg(long)]
    pub sandbox: bool,
    /// An admin token: every non-sensitive table, every permission.
    #[arg(long)]
    pub admin: bool,
    /// Required to grant sensitive tables (staff, contacts, options, …).
    #[arg(long)]
    pub allow_sensitive: bool,
    /// Print JSON: {"id","name","token","hmac_secret"}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, cmd: &TokenCommand) -> Result<(), String> {
    let cfg = cli.config()?;
    let (db, state) = startup::connect(&cfg).await?;
    match cmd {
        TokenCommand::Create(args) => {
            let catalog = databuilder_engine::exec::load_catalog(&db, &startup::catalog_config(&cfg)?)
                .await
                .map_err(|e| e.to_string())?;
            let key = crate::store::keys::MasterKey::load(&cfg.master_key_path())?;
            create(&state, &catalog, &key, args).await
        }
        TokenCommand::List { json } => {
            let all = state.list_tokens().await.map_err(|e| e.to_string())?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&all.iter().map(TokenRecord::to_json).collect::<Vec<_>>())
                        .unwrap_or_default()
                );
            } else {
                for t in &all {
                    println!(
                        "{:>5}  {:<24} {}…  {}",
                        t.id,
                        t.name,
                        t.hint,
                        if t.active() { "active" } else { "inactive" }
                    );
                }
            }
            Ok(())
        }
        TokenCommand::Show { id, json } => {
            let t = state.token(*id).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("no token {id}"))?;
            let j = t.to_json();
            println!("{}", if *json { j.to_string() } else { serde_json::to_string_pretty(&j).unwrap_or_default() });
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            if state.revoke_token(*id).await.map_err(|e| e.to_string())? {
                println!("token {id} revoked");
                Ok(())
            } else {
                Err(format!("no active token {id}"))
            }
        }
        TokenCommand::Rotate { id, json } => {
            let token = state
                .rotate_token(*id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no active token {id}"))?;
            if *json {
                println!("{}", serde_json::json!({"id": id, "token": token}));
            } else {
                println!("{token}");
            }
            Ok(())
        }
    }
}

/// Build a policy from the flags, checked against the live catalog.
pub fn policy(catalog: &Catalog, a: &CreateArgs) -> Result<Policy, String> {
    let mut tables = BTreeMap::new();
    for spec in &a.tables {
        let (res, letters) =
            spec.rsplit_once(':').ok_or_else(|| format!("--table {spec}: expected RESOURCE:LETTERS"))?;
        let crud = Crud::parse(letters).map_err(|e| format!("--table {spec}: {e}"))?;
        if res != "*" {
            let idx = catalog.resource(res).ok_or_else(|| format!("--table {spec}: no resource `{res}`"))?;
            if catalog.table(idx).sensitive && !a.allow_sensitive {
                return Err(format!("--table {spec}: `{res}` is a sensitive table; add --allow-sensitive to grant it"));
            }
        }
        tables.insert(res.to_string(), crud);
    }
    let mut row_filters: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for spec in &a.row_filters {
        let bad = || format!("--row-filter {spec}: expected RESOURCE:COL=VALUE");
        let (res, rest) = spec.split_once(':').ok_or_else(bad)?;
        let (col, value) = rest.split_once('=').ok_or_else(bad)?;
        let idx = catalog.resource(res).ok_or_else(|| format!("--row-filter {spec}: no resource `{res}`"))?;
        let t = catalog.table(idx);
        let c = t.column_index(col).ok_or_else(|| format!("--row-filter {spec}: no column `{col}` in `{res}`"))?;
        databuilder_engine::value::Value::from_text(t.columns[c].kind, value)
            .map_err(|e| format!("--row-filter {spec}: {e}"))?;
        row_filters.entry(res.to_string()).or_default().push((col.to_string(), value.to_string()));
    }
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for spec in &a.columns {
        let (res, list) = spec.split_once(':').ok_or_else(|| format!("--columns {spec}: expected RESOURCE:COL,COL"))?;
        let idx = catalog.resource(res).ok_or_else(|| format!("--columns {spec}: no resource `{res}`"))?;
        let t = catalog.table(idx);
        let entry = columns.entry(res.to_string()).or_default();
        for col in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            match t.column_index(col) {
                Some(c) if !t.columns[c].secret => entry.push(col.to_string()),
                Some(_) => return Err(format!("--columns {spec}: `{col}` is a secret column and is never returned")),
                None => return Err(format!("--columns {spec}: no column `{col}` in `{res}`")),
            }
        }
        if entry.is_empty() {
            return Err(format!("--columns {spec}: name at least one column"));
        }
    }
    let scopes = if a.scopes.is_empty() {
        Scopes { tables: true, views: true, write: a.admin || tables.values().any(|c| c.any_write()) }
    } else {
        let mut s = Scopes { tables: false, views: false, write: false };
        for name in &a.scopes {
            match name.as_str() {
                "tables" => s.tables = true,
                "views" => s.views = true,
                "write" => s.write = true,
                other => return Err(format!("--scope {other}: expected tables, views or write")),
            }
        }
        s
    };
    Ok(Policy {
        admin: a.admin,
        sandbox: a.sandbox,
        scopes,
        tables,
        columns,
        row_filters,
        views: a.views.clone(),
        allow_sensitive: a.allow_sensitive,
        cidrs: a.cidrs.iter().map(Net::to_string).collect(),
        origins: a.origins.iter().map(Origin::to_string).collect(),
        rate: a.rate,
    })
}

/// A token just created: its record and the secrets shown once.
pub struct Issued {
    pub record: TokenRecord,
    pub token: String,
    pub hmac_secret: Option<String>,
}

/// The expiry time of `--expires`, checked before anything is written.
pub fn expiry(a: &CreateArgs) -> Result<Option<chrono::NaiveDateTime>, String> {
    match &a.expires {
        Some(d) => {
            let d = parse_duration(d)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("--expires {d}: expected a duration like 90d"))?;
            Ok(Some(crate::store::now() + chrono::Duration::from_std(d).map_err(|e| e.to_string())?))
        }
        None => Ok(None),
    }
}

/// Create a token from `token create` arguments: the one path the CLI and the
/// admin console share. Everything is validated before the first write.
pub async fn issue(state: &Store, catalog: &Catalog, key: &MasterKey, a: &CreateArgs) -> Result<Issued, String> {
    let policy = policy(catalog, a)?;
    let expires_at = expiry(a)?;
    let (record, token) = state.create_token(&a.name, &policy, expires_at).await.map_err(|e| e.to_string())?;
    let hmac_secret = match a.hmac {
        true => Some(new_hmac_secret(state, key, record.id).await?),
        false => None,
    };
    Ok(Issued { record, token, hmac_secret })
}

async fn create(state: &Store, catalog: &Catalog, key: &MasterKey, a: &CreateArgs) -> Result<(), String> {
    let Issued { record: rec, token, hmac_secret } = issue(state, catalog, key, a).await?;
    if a.json {
        println!("{}", serde_json::json!({"id": rec.id, "name": rec.name, "token": token, "hmac_secret": hmac_secret}));
    } else {
        println!("{token}");
        if let Some(secret) = &hmac_secret {
            println!("hmac secret: {secret}");
        }
        eprintln!("token {} `{}` created; it is shown only once", rec.id, rec.name);
    }
    Ok(())
}

/// Give a token a fresh signing secret, stored sealed with the master key; returns it (shown once).
pub async fn new_hmac_secret(state: &Store, key: &MasterKey, id: i64) -> Result<String, String> {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    let secret = hex::encode(b);
    state.set_token_hmac(id, &crate::store::crypto::seal(key, &secret)).await.map_err(|e| e.to_string())?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use databuilder_engine::catalog::raw::{RawColumn, RawTable};
    use databuilder_engine::catalog::{CatalogConfig, Dialect};

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: CreateArgs,
    }

    fn args(flags: &[&str]) -> CreateArgs {
        let mut argv = vec!["x", "--name", "n"];
        argv.extend_from_slice(flags);
        Wrap::try_parse_from(argv).unwrap().args
    }

    fn catalog() -> Catalog {
        let t = |name: &str| RawTable {
            name: name.into(),
            columns: vec![RawColumn {
                name: "id".into(),
                sql_type: "int".into(),
                nullable: false,
                default: None,
                auto_increment: true,
                generated: false,
            }],
            primary_key: vec!["id".into()],
            foreign_keys: vec![],
        };
        Catalog::build(
            Dialect::Sqlite,
            vec![t("tblstaff"), t("tblinvoices")],
            &CatalogConfig { prefix: "tbl".into(), ..Default::default() },
        )
    }

    #[test]
    fn sensitive_tables_need_allow_sensitive() {
        let c = catalog();
        let err = policy(&c, &args(&["--table", "staff:r"])).unwrap_err();
        assert!(err.contains("sensitive"), "{err}");
        assert!(policy(&c, &args(&["--table", "staff:r", "--allow-sensitive"])).is_ok());
        assert!(policy(&c, &args(&["--table", "nope:r"])).unwrap_err().contains("no resource"));
        assert!(policy(&c, &args(&["--table", "invoices:x"])).is_err());
        let p = policy(&c, &args(&["--table", "invoices:cr"])).unwrap();
        assert!(p.scopes.write, "a write letter implies the write scope");
        let p = policy(&c, &args(&["--table", "invoices:r"])).unwrap();
        assert!(!p.scopes.write);
    }
}
