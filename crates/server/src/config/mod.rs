//! Configuration: one typed struct, loaded in layers — defaults, then the TOML
//! file, then `DATABUILDER_<SECTION>_<KEY>` environment variables, then flags.
//! Durations, addresses, networks, origins and enums are parsed at load time
//! (`types.rs`), so a bad value stops the start with its key and the reason and
//! everything after loading (`databuilder check` included) can trust them.

mod types;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
pub use types::{Dur, Listen, Net, Origin, Preset};

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub server: ServerConfig,
    pub security: SecurityConfig,
    pub catalog: CatalogSection,
    pub graphql: GraphqlConfig,
    pub state: StateSection,
    pub explorer: ExplorerConfig,
    /// Directory relative paths are resolved against (the config file's directory).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://…`, `mysql://…` or `postgres://…`.
    pub url: String,
    /// Table prefix stripped from resource names.
    pub prefix: String,
    /// Optional separate database for the state tables.
    pub state_url: String,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig { url: String::new(), prefix: "tbl".into(), state_url: String::new(), max_connections: 16 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: Listen,
    /// Prometheus metrics on their own address, e.g. `127.0.0.1:9464`; absent: off.
    pub metrics_listen: Option<Listen>,
    /// Longest graceful stop, e.g. `30s`: in-flight requests finish and every
    /// audit record is written within it, or the process ends anyway.
    pub shutdown_timeout: Dur,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: Listen(std::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
            metrics_listen: None,
            shutdown_timeout: Dur(Duration::from_secs(30)),
        }
    }
}

/// Where the hot counters live (SPEC §8).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSection {
    /// `redis://host:port/db`: rate windows and nonces in Redis instead of the state database.
    pub redis_url: String,
    /// Prefix of every Redis key; empty: `<database prefix>data_builder:`. Give
    /// each install sharing one Redis its own.
    pub redis_prefix: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Accept `?token=` (off by default: tokens in URLs leak into logs).
    pub allow_query_token: bool,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Handler time limit, e.g. `10s`.
    pub handler_timeout: Dur,
    /// Header read timeout (slowloris), e.g. `10s`.
    pub header_timeout: Dur,
    /// Requests per minute per token unless the token says otherwise.
    pub default_rate: u32,
    /// Sensitive tables (names without prefix).
    pub sensitive_tables: Vec<String>,
    /// Master key file (when `DATABUILDER_MASTER_KEY` is not set).
    pub master_key_file: String,
    /// Origins the CORS preflight allows (`*` for any); empty: no cross-origin browser use.
    pub cors_origins: Vec<Origin>,
    /// Proxies whose `X-Forwarded-For` is believed (CIDRs or addresses).
    pub trusted_proxies: Vec<Net>,
    /// Requests per minute per client IP, before authentication.
    pub ip_rate: u32,
    /// IPv6 clients share the per-IP throttle by this prefix length (bits).
    pub ipv6_prefix: u8,
    /// Longest query string in bytes.
    pub max_query_bytes: usize,
    /// Most query parameters.
    pub max_query_params: usize,
    /// Total time to receive a request body, e.g. `10s` (minimum body rate).
    pub body_timeout: Dur,
    /// Requests handled at once; more are shed with 503.
    pub max_concurrency: usize,
    /// Signed requests: allowed clock skew in seconds.
    pub signature_window: i64,
    /// Audit records older than this many days are deleted daily.
    pub log_retention_days: u32,
    /// Served over HTTPS (directly or by a trusted proxy): send Strict-Transport-Security.
    pub https: bool,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            allow_query_token: false,
            body_limit: 256 * 1024,
            handler_timeout: Dur(Duration::from_secs(10)),
            header_timeout: Dur(Duration::from_secs(10)),
            default_rate: 60,
            sensitive_tables: databuilder_engine::catalog::policy::DEFAULT_SENSITIVE
                .iter()
                .map(|s| s.to_string())
                .collect(),
            master_key_file: "databuilder.key".into(),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            ip_rate: 600,
            ipv6_prefix: 64,
            max_query_bytes: 4096,
            max_query_params: 100,
            body_timeout: Dur(Duration::from_secs(10)),
            max_concurrency: 512,
            signature_window: 300,
            log_retention_days: 90,
            https: false,
        }
    }
}

/// A relation declared in configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationConfig {
    /// `table.column` (table without prefix).
    pub from: String,
    /// `table.column`.
    pub to: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSection {
    /// Periodic catalog check, e.g. `60s` (`0s` turns it off).
    pub reload_interval: Dur,
    /// `auto`, `on` or `off`.
    pub perfex_preset: Preset,
    pub relations: Vec<RelationConfig>,
}

impl Default for CatalogSection {
    fn default() -> Self {
        CatalogSection {
            reload_interval: Dur(Duration::from_secs(60)),
            perfex_preset: Preset::Auto,
            relations: Vec::new(),
        }
    }
}

/// GraphQL protections.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphqlConfig {
    /// Deepest field nesting (`{ a { b } }` is 2).
    pub max_depth: usize,
    /// Most rows (nodes) a query may ask for: each list its `limit` once per
    /// parent row, summed over levels (`api/graphql/limits.rs`).
    pub max_complexity: u64,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    /// Directives per field.
    pub max_directives: usize,
    /// Brackets open at once in the raw query text (checked before parsing).
    pub max_nesting: usize,
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        GraphqlConfig {
            max_depth: 5,
            max_complexity: crate::api::graphql::limits::DEFAULT_MAX_NODES,
            max_aliases: 30,
            max_root_fields: 10,
            max_directives: 5,
            max_nesting: 64,
        }
    }
}

/// The API Explorer page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExplorerConfig {
    /// A sandbox token the page uses when the visitor pastes none (empty: none).
    /// The server refuses to start when it is not an active sandbox token.
    pub public_token: String,
}

/// Sections that environment variables may address.
const SECTIONS: &[&str] = &["database", "server", "security", "catalog", "graphql", "state", "explorer"];

impl Config {
    /// Load `file` (if any), then apply environment overrides.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                text.parse::<toml::Table>().map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => toml::Table::new(),
        };
        apply_env(&mut table, std::env::vars());
        let mut cfg: Config = toml::Value::Table(table).try_into().map_err(|e| format!("configuration: {e}"))?;
        cfg.base_dir = file.and_then(|p| p.parent()).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        Ok(cfg)
    }

    /// The database URL with a relative SQLite path resolved against the config directory.
    pub fn database_url(&self) -> String {
        resolve_sqlite(&self.database.url, &self.base_dir)
    }

    /// The state database URL (the target database unless `state_url` is set).
    pub fn state_url(&self) -> String {
        if self.database.state_url.is_empty() {
            self.database_url()
        } else {
            resolve_sqlite(&self.database.state_url, &self.base_dir)
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.base_dir.join(&self.security.master_key_file)
    }

    pub fn handler_timeout(&self) -> Duration {
        self.security.handler_timeout.0
    }

    pub fn shutdown_timeout(&self) -> Duration {
        self.server.shutdown_timeout.0
    }

    pub fn header_timeout(&self) -> Duration {
        self.security.header_timeout.0
    }

    pub fn body_timeout(&self) -> Duration {
        self.security.body_timeout.0
    }

    pub fn reload_interval(&self) -> Duration {
        self.catalog.reload_interval.0
    }

    /// The trusted proxies as networks.
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        self.security.trusted_proxies.iter().map(|n| n.0).collect()
    }
}

fn resolve_sqlite(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return url.to_string();
    };
    if rest.starts_with('/') || rest.starts_with(":memory:") || base == Path::new(".") {
        return url.to_string();
    }
    format!("sqlite://{}", base.join(rest).display())
}

/// `DATABUILDER_<SECTION>_<KEY>=value` → `[section] key = value` (TOML literal, or a string).
fn apply_env(table: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) {
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("DATABUILDER_") else {
            continue;
        };
        let rest = rest.to_ascii_lowercase();
        let Some((section, key)) = rest.split_once('_') else {
            continue;
        };
        if !SECTIONS.contains(&section) {
            continue;
        }
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let entry = table.entry(section.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = entry {
            t.insert(key.to_string(), parsed);
        }
    }
}

/// Durations like `1s`, `15m`, `2h`, `90d`, `1w`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let secs = match unit {
        "ms" => return Some(Duration::from_millis(n)),
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        "w" => n.checked_mul(604_800)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file() {
        let mut t: toml::Table = "[database]\nurl = \"sqlite://a.db\"\n".parse().unwrap();
        apply_env(
            &mut t,
            vec![
                ("DATABUILDER_DATABASE_URL".to_string(), "mysql://x/y".to_string()),
                ("DATABUILDER_SECURITY_ALLOW_QUERY_TOKEN".to_string(), "true".to_string()),
                ("DATABUILDER_MASTER_KEY".to_string(), "ignored".to_string()),
                ("DATABUILDER_STATE_REDIS_URL".to_string(), "redis://127.0.0.1:6379".to_string()),
                ("DATABUILDER_EXPLORER_PUBLIC_TOKEN".to_string(), "dba_x".to_string()),
            ]
            .into_iter(),
        );
        let cfg: Config = toml::Value::Table(t).try_into().unwrap();
        assert_eq!(cfg.database.url, "mysql://x/y");
        assert!(cfg.security.allow_query_token);
        assert_eq!(cfg.state.redis_url, "redis://127.0.0.1:6379");
        assert_eq!(cfg.explorer.public_token, "dba_x");
    }

    #[test]
    fn bad_values_stop_the_start_naming_key_and_reason() {
        for (toml, key, reason) in [
            ("[security]\nheader_timeout = \"10x\"", "header_timeout", "\"10x\" is not a duration"),
            ("[server]\nlisten = \"8080\"", "listen", "is not an address"),
            ("[security]\ntrusted_proxies = [\"10.0.0.0/40\"]", "trusted_proxies", "is not a CIDR"),
            ("[security]\ncors_origins = [\"app.example\"]", "cors_origins", "is not an origin"),
            ("[catalog]\nperfex_preset = \"maybe\"", "perfex_preset", "maybe"),
        ] {
            let dir = std::env::temp_dir().join(format!("dbcfg-{}-{key}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("c.toml");
            std::fs::write(&file, toml).unwrap();
            let err = Config::load(Some(&file)).unwrap_err();
            assert!(err.contains(key) && err.contains(reason), "{err}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Some(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("10"), None);
    }

    #[test]
    fn relative_sqlite_paths_follow_the_config_file() {
        assert_eq!(resolve_sqlite("sqlite://demo.sqlite", Path::new("/tmp/x")), "sqlite:///tmp/x/demo.sqlite");
        assert_eq!(resolve_sqlite("sqlite:///abs.db", Path::new("/tmp/x")), "sqlite:///abs.db");
        assert_eq!(resolve_sqlite("mysql://h/db", Path::new("/tmp/x")), "mysql://h/db");
    }
}
