//! The schema cache, part of the GraphQL front-end (`api/graphql/`). A schema
//! depends only on the catalog snapshot and on the parts of a token's policy that
//! decide what it may see (`admin`, `sandbox`, `scopes`, `tables`, `columns`,
//! `allow_sensitive`) — not on row filters, which the planner applies per
//! request. So schemas are kept per (catalog snapshot, scope set): tokens with
//! the same scopes share one, a catalog reload or a changed token builds a new
//! one. The key is exact (no hash collisions can hand a token another's schema),
//! each entry holds its catalog `Arc` (so a snapshot's address is never reused
//! while cached), entries of older snapshots are dropped, and the size is bounded
//! (least recently used out).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::dynamic::{Schema, SchemaError};
use databuilder_engine::catalog::Catalog;
use databuilder_engine::principal::{Policy, Principal};
use serde_json::json;

use super::limits::Limits;
use super::meta::Meta;
use super::schema;
use crate::app_state::{AppState, Definitions};

/// Most schemas kept.
pub const MAX_SCHEMAS: usize = 256;

/// A built schema and the model it was built from.
#[derive(Clone)]
pub struct Built {
    pub schema: Schema,
    pub meta: Arc<Meta>,
}

struct Entry {
    catalog: Arc<Catalog>,
    built: Built,
    used: u64,
}

/// (catalog snapshot, definitions snapshot, scope set).
type Key = (usize, usize, String);

/// Schemas per scope set, and the configured limits.
pub struct SchemaCache {
    pub limits: Limits,
    entries: Mutex<HashMap<Key, Entry>>,
    tick: AtomicU64,
}

impl SchemaCache {
    /// An empty cache enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        SchemaCache { limits, entries: Mutex::new(HashMap::new()), tick: AtomicU64::new(0) }
    }
}

impl Default for SchemaCache {
    fn default() -> Self {
        SchemaCache::new(Limits::default())
    }
}

impl std::fmt::Debug for SchemaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaCache").field("limits", &self.limits).field("schemas", &self.len()).finish()
    }
}

/// The exact scope set of a policy.
fn scope_key(p: &Policy) -> String {
    json!([p.admin, p.sandbox, p.scopes, p.tables, p.columns, p.allow_sensitive, p.views]).to_string()
}

impl SchemaCache {
    /// The schema of `principal` over `catalog`, built on first use.
    pub fn get(
        &self,
        app: &AppState,
        catalog: &Arc<Catalog>,
        defs: &Arc<Definitions>,
        principal: &Principal,
    ) -> Result<Built, SchemaError> {
        let key = (Arc::as_ptr(catalog) as usize, Arc::as_ptr(defs) as usize, scope_key(&principal.policy));
        let tick = self.tick.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut entries) = self.entries.lock()
            && let Some(e) = entries.get_mut(&key)
        {
            e.used = tick;
            return Ok(e.built.clone());
        }
        let ctx = app.ctx(catalog, principal);
        let meta = Arc::new(Meta::build(ctx).with_definitions(ctx, defs));

        let built = Built { schema: schema::build(meta.clone(), &self.limits)?, meta };
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, e| Arc::ptr_eq(&e.catalog, catalog));
            while entries.len() >= MAX_SCHEMAS {
                let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
                entries.remove(&oldest);
            }
            entries.insert(key, Entry { catalog: catalog.clone(), built: built.clone(), used: tick });
        }
        Ok(built)
    }

    /// Schemas currently cached.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether no schema is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
