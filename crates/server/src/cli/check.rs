//! `databuilder check`: the production checklist of the deployment guide. Each
//! item passes or fails with the fix; the exit status is non-zero when any fails.

use std::path::Path;

use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::Db;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;

use super::Cli;
use crate::config::Config;
use crate::startup;

/// One checklist item.
pub struct Item {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

fn item(name: &'static str, ok: bool, detail: impl Into<String>) -> Item {
    Item { name, ok, detail: detail.into() }
}

/// The checks that need no database.
pub fn static_checks(cfg: &Config) -> Vec<Item> {
    let s = &cfg.security;
    let loopback = cfg.server.listen.0.ip().is_loopback();
    vec![
        item(
            "HTTPS or a trusted TLS proxy",
            s.https || !s.trusted_proxies.is_empty() || loopback,
            "serve behind a TLS-terminating proxy and list it in [security] trusted_proxies (and set https = true), or listen on loopback only",
        ),
        item(
            "body limit aligned at 256 KiB",
            s.body_limit == 256 * 1024,
            format!(
                "[security] body_limit is {}; use 262144 and set nginx `client_max_body_size 256k` / Apache `LimitRequestBody 262144`",
                s.body_limit
            ),
        ),
        item(
            "query-string tokens off",
            !s.allow_query_token,
            "set [security] allow_query_token = false: tokens in URLs end up in logs",
        ),
        item(
            "audit log retention configured",
            (1..=3650).contains(&s.log_retention_days),
            format!("[security] log_retention_days is {}; 90 is the default", s.log_retention_days),
        ),
        item(
            "slow-client protection",
            cfg.header_timeout().as_secs() <= 10 && cfg.body_timeout().as_secs() <= 30,
            "keep [security] header_timeout at 10s or less and body_timeout at 30s or less",
        ),
        master_key_item(cfg),
        metrics_item(cfg),
    ]
}

/// The metrics carry no secrets but describe traffic: keep them off the network.
fn metrics_item(cfg: &Config) -> Item {
    let m = cfg.server.metrics_listen;
    item(
        "metrics listener private",
        m.is_none_or(|l| l.0.ip().is_loopback()),
        match m {
            None => "[server] metrics_listen is off".to_string(),
            Some(l) => format!(
                "[server] metrics_listen is {l}: keep it on 127.0.0.1 and let the Prometheus agent scrape locally (or firewall the port)"
            ),
        },
    )
}

fn master_key_item(cfg: &Config) -> Item {
    if std::env::var("DATABUILDER_MASTER_KEY").is_ok_and(|k| !k.is_empty()) {
        return item("master key protected", true, "from DATABUILDER_MASTER_KEY");
    }
    let path = cfg.master_key_path();
    match file_mode(&path) {
        Some(m) if m & 0o077 == 0 => item("master key protected", true, format!("{} has mode {:o}", path.display(), m)),
        Some(m) => item("master key protected", false, format!("run `chmod 600 {}` (mode is {:o})", path.display(), m)),
        None => item(
            "master key protected",
            false,
            format!("{} does not exist yet: start the server once, or set DATABUILDER_MASTER_KEY", path.display()),
        ),
    }
}

#[cfg(unix)]
fn file_mode(p: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).ok().map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn file_mode(p: &Path) -> Option<u32> {
    std::fs::metadata(p).ok().map(|_| 0o600)
}

/// MySQL/PostgreSQL: other accounts that may write the rate and log tables.
pub async fn grant_check(state_db: &Db, prefix: &str) -> Item {
    let (rate, logs) = (format!("{prefix}data_builder_api_rate"), format!("{prefix}data_builder_api_logs"));
    let params = vec![Value::Text(rate), Value::Text(logs)];
    let sql = match state_db.dialect() {
        Dialect::Sqlite => {
            return item(
                "only the application writes the rate and log tables",
                true,
                "SQLite: protected by the file's permissions",
            );
        }
        Dialect::MySql => Sql::fixed(
            Dialect::MySql,
            "SELECT DISTINCT g.GRANTEE FROM (SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?) AND PRIVILEGE_TYPE IN ('INSERT','UPDATE','DELETE') UNION SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE() AND PRIVILEGE_TYPE IN ('INSERT','UPDATE','DELETE') UNION SELECT GRANTEE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE IN ('INSERT','UPDATE','DELETE')) g WHERE g.GRANTEE <> CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')",
            params,
        ),
        Dialect::Postgres => Sql::fixed(
            Dialect::Postgres,
            "SELECT DISTINCT grantee FROM information_schema.role_table_grants WHERE table_name IN (?, ?) AND privilege_type IN ('INSERT','UPDATE','DELETE') AND grantee <> current_user",
            params,
        ),
    };
    let name = "only the application writes the rate and log tables";
    match state_db.fetch_all(&sql, &[]).await {
        Ok(rows) if rows.is_empty() => item(name, true, "no other account holds INSERT/UPDATE/DELETE"),
        Ok(rows) => {
            let who: Vec<String> =
                rows.iter().filter_map(|r| r.first()).map(|v| v.as_str().unwrap_or_default().to_string()).collect();
            item(
                name,
                false,
                format!(
                    "other accounts may write them: {}; REVOKE INSERT, UPDATE, DELETE on the data_builder_api_rate and _api_logs tables from every account but the application's",
                    who.join(", ")
                ),
            )
        }
        Err(e) => item(name, false, format!("could not read the grants: {e}")),
    }
}

/// Saved views, reports and groups that the live schema no longer supports
/// (a Perfex module uninstalled since they were applied).
async fn definitions_check(db: &Db, state: &crate::store::Store, cfg: &Config) -> Item {
    let name = "every saved definition fits the live schema";
    let catalog = match startup::catalog_config(cfg) {
        Ok(c) => databuilder_engine::exec::load_catalog(db, &c).await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    let broken = match catalog {
        Ok(catalog) => super::defs::broken_definitions(state, &catalog).await,
        Err(e) => Err(e),
    };
    match broken {
        Ok(b) if b.is_empty() => item(name, true, "no view, report or group uses a missing table, column or relation"),
        Ok(b) => {
            let list: Vec<String> = b.iter().map(|(k, s, why)| format!("{} `{s}`: {why}", k.noun())).collect();
            item(
                name,
                false,
                format!("{}; fix or delete them (`databuilder views|reports|groups delete SLUG`)", list.join("; ")),
            )
        }
        Err(e) => item(name, false, format!("could not check: {e}")),
    }
}

/// Run the checklist; `Err` when an item fails.
pub async fn run(cli: &Cli) -> Result<(), String> {
    let cfg = cli.config()?;
    let mut items = static_checks(&cfg);
    match startup::connect(&cfg).await {
        Ok((db, state)) => {
            items.push(grant_check(&state.db, &cfg.database.prefix).await);
            items.push(definitions_check(&db, &state, &cfg).await);
        }
        Err(e) => items.push(item("database reachable", false, e)),
    }
    for i in &items {
        println!("[{}] {}: {}", if i.ok { "pass" } else { "FAIL" }, i.name, i.detail);
    }
    let failed = items.iter().filter(|i| !i.ok).count();
    if failed == 0 { Ok(()) } else { Err(format!("{failed} check(s) failed")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_the_static_items_but_the_key() {
        let mut cfg = Config { base_dir: std::env::temp_dir().join("no-such-dir-for-check"), ..Config::default() };

        let items = static_checks(&cfg);
        assert!(items.iter().filter(|i| i.name != "master key protected").all(|i| i.ok));
        cfg.security.allow_query_token = true;
        cfg.security.body_limit = 1 << 20;
        cfg.server.listen = "0.0.0.0:8080".parse().unwrap();
        let failed: Vec<&str> = static_checks(&cfg).into_iter().filter(|i| !i.ok).map(|i| i.name).collect();
        assert!(failed.contains(&"query-string tokens off"));
        assert!(failed.contains(&"body limit aligned at 256 KiB"));
        assert!(failed.contains(&"HTTPS or a trusted TLS proxy"));
    }

    #[test]
    fn metrics_on_a_network_address_are_flagged() {
        let mut cfg = Config::default();
        let ok = |cfg: &Config| metrics_item(cfg).ok;
        assert!(ok(&cfg), "off by default");
        for private in ["127.0.0.1:9464", "[::1]:9464", "localhost:9464"] {
            cfg.server.metrics_listen = Some(private.parse().unwrap());
            assert!(ok(&cfg), "{private}");
        }
        for public in ["0.0.0.0:9464", "10.0.0.5:9464", "[::]:9464"] {
            cfg.server.metrics_listen = Some(public.parse().unwrap());
            assert!(!ok(&cfg), "{public}");
            assert!(metrics_item(&cfg).detail.contains(public));
        }
    }
}
