//! The token cache: token lookups by hash are trusted for a few seconds, so a
//! busy token costs no state-database read per request. Two things end an
//! entry: its age (the TTL, the bound when everything else fails), and the
//! state store's change marker (`store::epoch`), which every instance polls each
//! second and which token changes bump — so a revocation, rotation or scope
//! change reaches every instance in about a second instead of a TTL.
//! Ages come from the injected [`Clock`], so tests run on Tokio's paused clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::{Clock, age};

/// Most entries before the cache starts over (a flood of unknown tokens cannot grow it).
const MAX_ENTRIES: usize = 10_000;

/// A small TTL map; negative answers (`None`) are cached too.
#[derive(Debug)]
pub struct TtlCache<V> {
    ttl: Duration,
    map: Mutex<HashMap<String, (Instant, Option<V>)>>,
    /// Moves on every [`TtlCache::clear`]; a lookup that started before a clear
    /// must not store its (possibly stale) answer after it.
    generation: AtomicU64,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration) -> TtlCache<V> {
        TtlCache { ttl, map: Mutex::new(HashMap::new()), generation: AtomicU64::new(0) }
    }

    /// `Some(answer)` while the entry is younger than the TTL.
    pub fn get(&self, clock: &Clock, key: &str) -> Option<Option<V>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|(at, _)| age(clock, *at) < self.ttl).map(|(_, v)| v.clone())
    }

    /// Taken before reading the source; hand it to [`TtlCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Store an answer read since `generation`; dropped when a clear came in between
    /// (the answer may predate the change that caused the clear).
    pub fn put(&self, clock: &Clock, key: &str, value: Option<V>, generation: u64) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key.to_string(), (clock.instant(), value));
    }

    /// Forget everything (the change marker moved).
    pub fn clear(&self) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_live_for_the_ttl_and_a_clear_ends_them_at_once() {
        let clock = Clock::System;
        let cache = TtlCache::new(Duration::from_secs(5));
        cache.put(&clock, "a", Some(1), cache.generation());
        cache.put(&clock, "unknown", None::<i32>, cache.generation());
        tokio::time::advance(Duration::from_millis(4_999)).await;
        assert_eq!(cache.get(&clock, "a"), Some(Some(1)));
        assert_eq!(cache.get(&clock, "unknown"), Some(None), "negative answers are cached");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(cache.get(&clock, "a"), None, "expired at the TTL");

        cache.put(&clock, "b", Some(2), cache.generation());
        assert_eq!(cache.get(&clock, "b"), Some(Some(2)));
        cache.clear();
        assert_eq!(cache.get(&clock, "b"), None, "the change marker ends entries before their TTL");

        // A lookup that began before a clear does not store its answer after it.
        let before = cache.generation();
        cache.clear();
        cache.put(&clock, "c", Some(3), before);
        assert_eq!(cache.get(&clock, "c"), None, "a stale answer is not cached");
    }
}
