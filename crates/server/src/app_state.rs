//! What every handler shares: the pools, the current catalog (swapped whole on
//! reload), the state store, the configuration and derived keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use databuilder_engine::catalog::{self, Catalog, CatalogConfig};
use databuilder_engine::exec::{Db, DbError};
use databuilder_engine::plan::Ctx;
use databuilder_engine::principal::Principal;

use crate::config::Config;
use crate::security::client_ip::parse_nets;
use crate::security::shield::IpThrottle;
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
pub type CachedToken = Arc<(TokenRecord, Arc<Principal>)>;

/// The shared application state.
pub struct AppState {
    pub db: Db,
    pub store: Store,
    pub config: Config,
    pub catalog_config: CatalogConfig,
    pub master_key: MasterKey,
    pub cursor_key: Vec<u8>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub ip_throttle: IpThrottle,
    pub concurrency: Arc<tokio::sync::Semaphore>,
    /// Stage 6's batched, hash-chained writer.
    pub audit: AuditLog,
    /// Stage 4's group-committing counter.
    pub rate: crate::store::rate::RateCounter,
    /// Stage 4's last counts per token (whether a read may run while counting).
    pub rate_hints: crate::security::rate_limit::RateHints,
    /// GraphQL schemas per token scope set, and the GraphQL limits.
    pub graphql: crate::api::graphql::SchemaCache,
    catalog: RwLock<Arc<Catalog>>,
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
        AppState {
            audit: AuditLog::start(store.clone()),
            rate: crate::store::rate::RateCounter::start(store.clone()),
            rate_hints: Default::default(),

            db,
            store,
            trusted_proxies: parse_nets(&config.security.trusted_proxies),
            ip_throttle: IpThrottle::new(config.security.ipv6_prefix),
            concurrency: Arc::new(tokio::sync::Semaphore::new(config.security.max_concurrency.max(1))),
            graphql: crate::api::graphql::SchemaCache::new(crate::api::graphql::limits::Limits::from_config(
                &config.graphql,
            )),
            config,
            catalog_config,
            cursor_key: master_key.derive("cursor-v1"),
            master_key,
            catalog: RwLock::new(Arc::new(catalog)),
            token_cache: Mutex::new(HashMap::new()),
            definitions: tokio::sync::Mutex::new((None, Arc::new(Definitions::default()))),
        }
    }

    /// The current catalog snapshot.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().map(|c| c.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Planner context for a principal.
    pub fn ctx<'a>(&'a self, catalog: &'a Catalog, principal: &'a Principal) -> Ctx<'a> {
        Ctx { catalog, principal, cursor_key: &self.cursor_key }
    }

    /// Re-read the schema; returns the number of resources.
    pub async fn reload_catalog(&self) -> Result<usize, DbError> {
        let fresh = catalog::load(&self.db, &self.catalog_config).await?;
        let n = fresh.tables.len();
        if let Ok(mut c) = self.catalog.write() {
            *c = Arc::new(fresh);
        }
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

    /// A token by hash, through a short cache (negative answers are cached too).
    /// The record and its principal are shared, not cloned, per request.
    pub async fn token(&self, hash: &str) -> Result<Option<CachedToken>, DbError> {
        if let Ok(cache) = self.token_cache.lock()
            && let Some((at, rec)) = cache.get(hash)
            && at.elapsed() < TOKEN_CACHE_TTL
        {
            return Ok(rec.clone());
        }
        let rec = self.store.token_by_hash(hash).await?.map(|r| {
            let p = Arc::new(r.principal());
            Arc::new((r, p))
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
