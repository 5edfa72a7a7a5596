//! The spec's five read caches (moka), with hit/miss/eviction counters for the metrics layer.
//!
//! Consistency rule: every write through the repository invalidates the affected keys after
//! its transaction commits, so a read that follows a write in this process never sees the old
//! value. A per-cache generation number closes the remaining race (a reader that loaded the
//! old row before the write must not put it back after the invalidation): the reader notes the
//! generation before loading and only inserts if no invalidation happened since.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use moka::sync::Cache;
use serde::Serialize;

use super::config::{CacheConfig, CacheSettings};
use super::entities::{levels, quests, server_config};
use super::quests::UserQuest;

/// Counters of one cache, as plain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CacheCounters {
    pub hits: u64,
    pub misses: u64,
    /// Entries removed because they expired or the cache was full (not invalidations).
    pub evictions: u64,
    /// Entries currently held.
    pub entries: u64,
}

/// Counters of all five caches (`Db::cache_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    pub quest: CacheCounters,
    pub active_quests: CacheCounters,
    pub user_quests: CacheCounters,
    pub user_stats: CacheCounters,
    pub server_config: CacheCounters,
}

/// A moka cache with counters and write-safe insertion.
pub(crate) struct TtlCache<K, V> {
    cache: Cache<K, V>,
    generation: Mutex<u64>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: Arc<AtomicU64>,
}

impl<K, V> TtlCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn new(settings: CacheSettings) -> Self {
        let evictions = Arc::new(AtomicU64::new(0));
        let counter = evictions.clone();
        let cache = Cache::builder()
            .max_capacity(settings.capacity)
            .time_to_live(settings.ttl())
            .eviction_listener(move |_key, _value, cause| {
                if cause.was_evicted() {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        Self {
            cache,
            generation: Mutex::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions,
        }
    }

    /// Looks up `key`, counting a hit or a miss.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let found = self.cache.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The generation to pass to [`Self::insert_if_fresh`]; read it before loading.
    pub(crate) fn generation(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Inserts unless an invalidation happened since `generation` was read.
    pub(crate) fn insert_if_fresh(&self, key: K, value: V, generation: u64) {
        let current = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        if *current == generation {
            self.cache.insert(key, value);
        }
    }

    pub(crate) fn invalidate(&self, key: &K) {
        let mut current = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *current += 1;
        self.cache.invalidate(key);
    }

    pub(crate) fn invalidate_all(&self) {
        let mut current = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *current += 1;
        self.cache.invalidate_all();
    }

    fn counters(&self) -> CacheCounters {
        // Expired entries are only noticed (and reported to the listener) during maintenance.
        self.cache.run_pending_tasks();
        CacheCounters {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            entries: self.cache.entry_count(),
        }
    }
}

/// Member key: (guild_id, user_id).
pub(crate) type MemberKey = (String, String);

/// The five caches of the repository.
pub(crate) struct Caches {
    pub quest: TtlCache<i64, Arc<quests::Model>>,
    pub active_quests: TtlCache<String, Arc<Vec<quests::Model>>>,
    pub user_quests: TtlCache<MemberKey, Arc<Vec<UserQuest>>>,
    pub user_stats: TtlCache<MemberKey, Option<Arc<levels::Model>>>,
    pub server_config: TtlCache<String, Arc<server_config::Model>>,
}

impl Caches {
    pub(crate) fn new(config: &CacheConfig) -> Self {
        Self {
            quest: TtlCache::new(config.quest),
            active_quests: TtlCache::new(config.active_quests),
            user_quests: TtlCache::new(config.user_quests),
            user_stats: TtlCache::new(config.user_stats),
            server_config: TtlCache::new(config.server_config),
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            quest: self.quest.counters(),
            active_quests: self.active_quests.counters(),
            user_quests: self.user_quests.counters(),
            user_stats: self.user_stats.counters(),
            server_config: self.server_config.counters(),
        }
    }

    /// Empties every cache (scheduled and on-demand purges); returns the entries dropped.
    pub(crate) fn purge_all(&self) -> u64 {
        let s = self.stats();
        let entries = s.quest.entries
            + s.active_quests.entries
            + s.user_quests.entries
            + s.user_stats.entries
            + s.server_config.entries;
        self.quest.invalidate_all();
        self.active_quests.invalidate_all();
        self.user_quests.invalidate_all();
        self.user_stats.invalidate_all();
        self.server_config.invalidate_all();
        entries
    }

    /// After a member's levels row changed.
    pub(crate) fn member_changed(&self, guild_id: &str, user_id: &str) {
        self.user_stats
            .invalidate(&(guild_id.to_string(), user_id.to_string()));
    }

    /// After a member's quest progress changed.
    pub(crate) fn progress_changed(&self, guild_id: &str, user_id: &str) {
        self.user_quests
            .invalidate(&(guild_id.to_string(), user_id.to_string()));
    }

    /// After a guild's quest definitions changed: the active list and every member's view
    /// of it (which embeds the quest list) are stale.
    pub(crate) fn quests_changed(&self, guild_id: &str, quest_ids: &[i64]) {
        self.active_quests.invalidate(&guild_id.to_string());
        for id in quest_ids {
            self.quest.invalidate(id);
        }
        self.user_quests.invalidate_all();
    }
}
