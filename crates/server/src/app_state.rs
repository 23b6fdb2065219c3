//! What every handler shares: the pools, the current catalog (swapped whole on
//! reload), the state store, the configuration and derived keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use databuilder_engine::catalog::{Catalog, CatalogConfig};
use databuilder_engine::exec::{Db, DbError};
use databuilder_engine::plan::Ctx;
use databuilder_engine::principal::Principal;

use crate::config::{Config, Net, Origin};
use crate::security::cors::{Cors, TokenOrigins};
use crate::security::headers::HeaderPolicy;
use crate::security::scopes::ScopeGate;
use crate::security::shield::{Limits, Shield};
use crate::store::Store;
use crate::store::audit::AuditLog;
use crate::store::keys::MasterKey;
use crate::store::tokens::TokenRecord;

/// How long a token lookup is trusted; revocations reach every instance within it.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);

/// The saved definitions GraphQL exposes as root fields, refreshed every few
/// seconds; the `Arc` changes only when a definition changed, so cached schemas
/// stay valid until then.
#[derive(Debug, Default, PartialEq)]
pub struct Definitions {
    pub views: Vec<databuilder_engine::views::ViewDef>,
    pub reports: Vec<databuilder_engine::views::ReportDef>,
}

/// How long a definitions snapshot is trusted.
const DEFINITIONS_TTL: Duration = Duration::from_secs(5);

/// A token record and its principal, shared by every request that presents it.
pub type CachedToken = Arc<TokenEntry>;

/// What the cache holds for one token: parsed once when the token is loaded.
pub struct TokenEntry {
    pub record: TokenRecord,
    pub principal: Arc<Principal>,
    pub guard: Arc<TokenGuard>,
}

/// The token's network and origin allowlists, parsed (stages 2 and 5 read them).
#[derive(Debug, Default)]
pub struct TokenGuard {
    /// `None`: any address. Entries stored before validation that do not parse
    /// are dropped, so a list of only bad entries admits nobody.
    pub nets: Option<Vec<ipnet::IpNet>>,
    /// `None`: any origin.
    pub origins: Option<Vec<Origin>>,
}

impl TokenGuard {
    pub fn of(p: &Principal) -> TokenGuard {
        let nets = (!p.policy.cidrs.is_empty())
            .then(|| p.policy.cidrs.iter().filter_map(|c| c.parse::<Net>().ok()).map(|n| n.0).collect());
        let origins = (!p.policy.origins.is_empty())
            .then(|| p.policy.origins.iter().filter_map(|o| o.parse::<Origin>().ok()).collect());
        TokenGuard { nets, origins }
    }
}

/// The current catalog snapshot, swapped whole on reload; shared by the state
/// and the stages that plan (the scope verifier).
pub struct CatalogCell(RwLock<Arc<Catalog>>);

impl CatalogCell {
    pub fn new(catalog: Catalog) -> CatalogCell {
        CatalogCell(RwLock::new(Arc::new(catalog)))
    }

    pub fn get(&self) -> Arc<Catalog> {
        self.0.read().map(|c| c.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn set(&self, catalog: Catalog) {
        if let Ok(mut c) = self.0.write() {
            *c = Arc::new(catalog);
        }
    }
}

/// The shared application state.
pub struct AppState {
    pub db: Db,
    pub store: Store,
    pub config: Config,
    pub catalog_config: CatalogConfig,
    pub master_key: MasterKey,
    pub cursor_key: Arc<[u8]>,
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// Stage 0's state.
    pub headers: HeaderPolicy,
    /// Stage 1's state.
    pub shield: Shield,
    /// Stage 2's state.
    pub cors: Cors,
    /// Stage 5's state.
    pub scopes: ScopeGate,
    /// Stage 6's batched, hash-chained writer.
    pub audit: AuditLog,
    /// Stage 4's group-committing counter.
    pub rate: crate::store::rate::RateCounter,
    /// Stage 4's last counts per token (whether a read may run while counting).
    pub rate_hints: crate::security::rate_limit::RateHints,
    /// GraphQL schemas per token scope set, and the GraphQL limits.
    pub graphql: crate::api::graphql::SchemaCache,
    catalog: Arc<CatalogCell>,
    token_cache: Mutex<HashMap<String, (Instant, Option<CachedToken>)>>,

    definitions: tokio::sync::Mutex<(Option<Instant>, Arc<Definitions>)>,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(
        db: Db,
        store: Store,
        config: Config,
        catalog_config: CatalogConfig,
        catalog: Catalog,
        master_key: MasterKey,
    ) -> AppState {
        let trusted: Arc<[ipnet::IpNet]> = config.trusted_proxies().into();
        let token_origins = Arc::new(TokenOrigins::from_store(store.clone()));
        let cursor_key: Arc<[u8]> = master_key.derive("cursor-v1").into();
        let catalog = Arc::new(CatalogCell::new(catalog));
        AppState {
            audit: AuditLog::start(store.clone()),
            rate: crate::store::rate::RateCounter::start(store.clone()),
            rate_hints: Default::default(),

            db,
            store,
            trusted_proxies: trusted.clone(),
            headers: HeaderPolicy { https: config.security.https, trusted: trusted.clone() },
            shield: Shield::new(Limits::of(&config), config.security.max_concurrency, trusted.clone()),
            cors: Cors { server: config.security.cors_origins.clone().into(), tokens: token_origins },
            scopes: ScopeGate { catalog: catalog.clone(), cursor_key: cursor_key.clone(), trusted: trusted.clone() },
            graphql: crate::api::graphql::SchemaCache::new(crate::api::graphql::limits::Limits::from_config(
                &config.graphql,
            )),
            config,
            catalog_config,
            cursor_key,
            master_key,
            catalog,
            token_cache: Mutex::new(HashMap::new()),
            definitions: tokio::sync::Mutex::new((None, Arc::new(Definitions::default()))),
        }
    }

    /// The current catalog snapshot.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.get()
    }

    /// Planner context for a principal.
    pub fn ctx<'a>(&'a self, catalog: &'a Catalog, principal: &'a Principal) -> Ctx<'a> {
        Ctx { catalog, principal, cursor_key: &self.cursor_key }
    }

    /// Re-read the schema; returns the number of resources.
    pub async fn reload_catalog(&self) -> Result<usize, DbError> {
        let fresh = databuilder_engine::exec::load_catalog(&self.db, &self.catalog_config).await?;
        let n = fresh.tables.len();
        self.catalog.set(fresh);
        Ok(n)
    }

    /// The saved views and reports, re-read at most every few seconds.
    pub async fn definitions(&self) -> Arc<Definitions> {
        use crate::store::definitions::Kind;
        let mut guard = self.definitions.lock().await;
        if guard.0.is_some_and(|at| at.elapsed() < DEFINITIONS_TTL) {
            return guard.1.clone();
        }
        let fresh = match (self.store.definitions(Kind::View).await, self.store.definitions(Kind::Report).await) {
            (Ok(views), Ok(reports)) => Definitions { views, reports },
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "reading saved definitions failed");
                return guard.1.clone();
            }
        };
        if *guard.1 != fresh {
            guard.1 = Arc::new(fresh);
        }
        guard.0 = Some(Instant::now());
        guard.1.clone()
    }

    /// Drop a token from this instance's cache (after a revoke or rotate here,
    /// so it stops working on this instance at once; others within the TTL).
    pub fn forget_token(&self, hash: &str) {
        if let Ok(mut cache) = self.token_cache.lock() {
            cache.remove(hash);
        }
    }

    /// A token by hash, through a short cache (negative answers are cached too).
    /// The record and its principal are shared, not cloned, per request.
    pub async fn token(&self, hash: &str) -> Result<Option<CachedToken>, DbError> {
        if let Ok(cache) = self.token_cache.lock()
            && let Some((at, rec)) = cache.get(hash)
            && at.elapsed() < TOKEN_CACHE_TTL
        {
            return Ok(rec.clone());
        }
        let rec = self.store.token_by_hash(hash).await?.map(|record| {
            let principal = Arc::new(record.principal());
            let guard = Arc::new(TokenGuard::of(&principal));
            Arc::new(TokenEntry { record, principal, guard })
        });
        if let Ok(mut cache) = self.token_cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(hash.to_string(), (Instant::now(), rec.clone()));
        }
        Ok(rec)
    }
}
