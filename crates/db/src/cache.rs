//! The five read caches of the data model (moka; `docs/schema.md`), with hit/miss/eviction counters for the metrics layer.
//!
//! Consistency rule: every write through the repository invalidates the affected keys after
//! its transaction commits, so a read that follows a write in this process never sees the old
//! value. A per-cache generation number closes the remaining race (a reader that loaded the
//! old row before the write must not put it back after the invalidation): the reader notes the
//! generation before loading and only inserts if no invalidation happened since.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use moka::sync::Cache;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::config::{CacheConfig, CacheSettings};
use super::entities::{achievements, levels, quests, roles, server_config, user_quests, xp_boosts};
use super::notify::Change;
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
    pub achievements: CacheCounters,
    pub level_roles: CacheCounters,
    pub held_achievements: CacheCounters,
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
            .support_invalidation_closures()
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

    /// Whether `key` is cached, without counting a hit or a miss or cloning the value (for
    /// deciding what to load ahead of the reads that count).
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.cache.contains_key(key)
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

    /// Inserts every entry, unless an invalidation happened since `generation` was read
    /// (then none is inserted and `false` comes back: the caller invalidates instead). Bumps
    /// the generation like an invalidation, so a reader that loaded a row before the write
    /// cannot put it back over the fresh one.
    pub(crate) fn insert_all_if_fresh(
        &self,
        entries: impl IntoIterator<Item = (K, V)>,
        generation: u64,
    ) -> bool {
        let mut current = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        if *current != generation {
            return false;
        }
        *current += 1;
        for (key, value) in entries {
            self.cache.insert(key, value);
        }
        true
    }

    pub(crate) fn invalidate(&self, key: &K) {
        let mut current = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *current += 1;
        self.cache.invalidate(key);
    }

    /// Replaces each present entry with `patch(old)` (absent ones stay absent), unless an
    /// invalidation happened since `generation`; then nothing changes and `false` comes back.
    /// Bumps the generation, like [`Self::insert_all_if_fresh`].
    pub(crate) fn update_all_if_fresh<F: FnOnce(&V) -> V>(
        &self,
        patches: impl IntoIterator<Item = (K, F)>,
        generation: u64,
    ) -> bool {
        let mut current = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        if *current != generation {
            return false;
        }
        *current += 1;
        for (key, patch) in patches {
            if let Some(old) = self.cache.get(&key) {
                self.cache.insert(key, patch(&old));
            }
        }
        true
    }

    /// Drops every entry whose key matches (other processes' changes to one guild).
    pub(crate) fn invalidate_if(&self, pred: impl Fn(&K) -> bool + Send + Sync + 'static) {
        let mut current = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *current += 1;
        if self
            .cache
            .invalidate_entries_if(move |k, _| pred(k))
            .is_err()
        {
            // Only possible without `support_invalidation_closures`; be safe regardless.
            self.cache.invalidate_all();
        }
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

impl<V: Clone + Send + Sync + 'static> TtlCache<MemberKey, V> {
    /// Bulk reads of one guild's members: the cached entries (by user id), the members to
    /// load (as the stored text, sorted, deduplicated) and the generation to store what is
    /// loaded with.
    pub(crate) fn members(
        &self,
        guild_id: &str,
        users: &[u64],
    ) -> (Vec<(u64, V)>, Vec<String>, u64) {
        let generation = self.generation();
        let mut hits = Vec::with_capacity(users.len());
        let mut missing = Vec::new();
        for &user in users {
            let user_id = user.to_string();
            match self.get(&(guild_id.to_string(), user_id.clone())) {
                Some(hit) => hits.push((user, hit)),
                None => missing.push(user_id),
            }
        }
        missing.sort_unstable();
        missing.dedup();
        (hits, missing, generation)
    }
}

/// Progress rows grouped by member.
pub(crate) fn progress_by_member(
    rows: Vec<user_quests::Model>,
) -> HashMap<MemberKey, Vec<user_quests::Model>> {
    let mut by_member: HashMap<MemberKey, Vec<user_quests::Model>> = HashMap::new();
    for row in rows {
        by_member
            .entry((row.guild_id.clone(), row.user_id.clone()))
            .or_default()
            .push(row);
    }
    by_member
}

/// The sending end of the cross-process announcer and its task (`notify.rs`).
type Announcer = (mpsc::UnboundedSender<Change>, tokio::task::JoinHandle<()>);

/// The five caches of the repository.
pub(crate) struct Caches {
    pub quest: TtlCache<i64, Arc<quests::Model>>,
    pub active_quests: TtlCache<String, Arc<Vec<quests::Model>>>,
    pub user_quests: TtlCache<MemberKey, Arc<Vec<UserQuest>>>,
    pub user_stats: TtlCache<MemberKey, Option<Arc<levels::Model>>>,
    pub server_config: TtlCache<String, Arc<server_config::Model>>,
    pub achievements: TtlCache<String, Arc<Vec<achievements::Model>>>,
    pub level_roles: TtlCache<String, Arc<Vec<roles::Model>>>,
    /// The achievement ids each member holds: read for every member of every batch (to offer
    /// plugins only what is not held yet), changed rarely. Sized like `user_stats`.
    pub held_achievements: TtlCache<MemberKey, Arc<Vec<i64>>>,
    /// A guild's XP boosts that have not ended (read by every batch of the guild).
    pub boosts: TtlCache<String, Arc<Vec<xp_boosts::Model>>>,
    /// Tells other processes what changed (PostgreSQL only, see `notify.rs`).
    /// Taken by [`Self::stop_announcing`] when the pool closes, after which changes are no
    /// longer announced.
    announcer: Mutex<Option<Announcer>>,
    /// Dropped with the caches, which stops the listener.
    _closed: OnceLock<oneshot::Sender<()>>,
    /// This process's caches, to ignore our own announcements.
    origin: u64,
}

impl Caches {
    pub(crate) fn new(config: &CacheConfig) -> Self {
        Self {
            quest: TtlCache::new(config.quest),
            active_quests: TtlCache::new(config.active_quests),
            user_quests: TtlCache::new(config.user_quests),
            user_stats: TtlCache::new(config.user_stats),
            server_config: TtlCache::new(config.server_config),
            achievements: TtlCache::new(config.definitions),
            level_roles: TtlCache::new(config.definitions),
            held_achievements: TtlCache::new(config.user_stats),
            boosts: TtlCache::new(config.definitions),
            announcer: Mutex::new(None),
            _closed: OnceLock::new(),
            origin: rand::random(),
        }
    }

    pub(crate) fn set_announcer(
        &self,
        announcer: mpsc::UnboundedSender<Change>,
        task: tokio::task::JoinHandle<()>,
        closed: oneshot::Sender<()>,
    ) {
        *self.announcer.lock().unwrap_or_else(|e| e.into_inner()) = Some((announcer, task));
        let _ = self._closed.set(closed);
    }

    /// Stops announcing and returns the announcer's task, which ends once it has sent what
    /// was queued: awaited before the pool closes, so the last batch's changes still reach
    /// other processes instead of failing on a closed pool.
    pub(crate) fn stop_announcing(&self) -> Option<tokio::task::JoinHandle<()>> {
        let taken = self
            .announcer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        taken.map(|(_sender, task)| task)
    }

    pub(crate) fn origin(&self) -> u64 {
        self.origin
    }

    /// Whether changes are announced to other processes (PostgreSQL, with an announcer).
    pub(crate) fn announcing(&self) -> bool {
        self.announcer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Tells other processes (if any listen) that `change` happened here.
    pub(crate) fn announce(&self, change: Change) {
        if let Some((tx, _)) = &*self.announcer.lock().unwrap_or_else(|e| e.into_inner()) {
            // The announcer only stops when the caches are dropped or the pool closes.
            let _ = tx.send(change);
        }
    }

    /// Drops what this process holds for a change made by another one (not re-announced).
    pub(crate) fn forget(&self, change: &Change) {
        match change {
            Change::All => self.forget_all(),
            Change::Guild(guild) => {
                let g = guild.clone();
                self.user_stats.invalidate_if(move |k| k.0 == g);
                let g = guild.clone();
                self.user_quests.invalidate_if(move |k| k.0 == g);
                self.active_quests.invalidate(guild);
                self.server_config.invalidate(guild);
                self.achievements.invalidate(guild);
                self.level_roles.invalidate(guild);
                self.boosts.invalidate(guild);
                let g = guild.clone();
                self.held_achievements.invalidate_if(move |k| k.0 == g);
                self.quest.invalidate_all();
            }
        }
    }

    fn forget_all(&self) {
        self.quest.invalidate_all();
        self.active_quests.invalidate_all();
        self.user_quests.invalidate_all();
        self.user_stats.invalidate_all();
        self.server_config.invalidate_all();
        self.achievements.invalidate_all();
        self.level_roles.invalidate_all();
        self.held_achievements.invalidate_all();
        self.boosts.invalidate_all();
    }

    /// After changes that may touch anything (imports, migrations, repairs).
    pub(crate) fn all_changed(&self) {
        self.forget_all();
        self.announce(Change::All);
    }

    /// After a guild's achievements or level roles changed.
    pub(crate) fn definitions_changed(&self, guild_id: &str) {
        self.achievements.invalidate(&guild_id.to_string());
        self.level_roles.invalidate(&guild_id.to_string());
        // Deleting an achievement takes it from everyone who held it.
        let g = guild_id.to_string();
        self.held_achievements.invalidate_if(move |k| k.0 == g);
        self.announce(Change::Guild(guild_id.to_string()));
    }

    /// After a guild's XP boosts changed.
    pub(crate) fn boosts_changed(&self, guild_id: &str) {
        self.boosts.invalidate(&guild_id.to_string());
        self.announce(Change::Guild(guild_id.to_string()));
    }

    /// After a guild's settings changed.
    pub(crate) fn config_changed(&self, guild_id: &str) {
        self.server_config.invalidate(&guild_id.to_string());
        self.announce(Change::Guild(guild_id.to_string()));
    }

    /// After members' rows were written and stored in the cache by the writer itself.
    pub(crate) fn members_written(&self, guilds: impl IntoIterator<Item = String>) {
        for g in guilds {
            self.announce(Change::Guild(g));
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            quest: self.quest.counters(),
            active_quests: self.active_quests.counters(),
            user_quests: self.user_quests.counters(),
            user_stats: self.user_stats.counters(),
            server_config: self.server_config.counters(),
            achievements: self.achievements.counters(),
            level_roles: self.level_roles.counters(),
            held_achievements: self.held_achievements.counters(),
        }
    }

    /// Empties every cache (scheduled and on-demand purges); returns the entries dropped.
    pub(crate) fn purge_all(&self) -> u64 {
        let s = self.stats();
        let entries = s.quest.entries
            + s.active_quests.entries
            + s.user_quests.entries
            + s.user_stats.entries
            + s.server_config.entries
            + s.achievements.entries
            + s.level_roles.entries
            + s.held_achievements.entries;
        self.forget_all();
        entries
    }

    /// After every member row of a guild changed at once (a season's XP reset).
    pub(crate) fn guild_members_changed(&self, guild_id: &str) {
        let g = guild_id.to_string();
        self.user_stats.invalidate_if(move |k| k.0 == g);
        self.announce(Change::Guild(guild_id.to_string()));
    }

    /// After a member's levels row changed.
    pub(crate) fn member_changed(&self, guild_id: &str, user_id: &str) {
        self.member_dropped(guild_id, user_id);
        self.announce(Change::Guild(guild_id.to_string()));
    }

    /// Drops this process's view of a member whose change was already announced.
    pub(crate) fn member_dropped(&self, guild_id: &str, user_id: &str) {
        let key = (guild_id.to_string(), user_id.to_string());
        // Grants and erasures of a member's achievements come through here too.
        self.held_achievements.invalidate(&key);
        self.user_stats.invalidate(&key);
    }

    /// After a batch wrote progress rows: members' cached views take the written rows
    /// (write-through), so the next batch does not read them back. If anything invalidated
    /// progress since `generation` (read before the write), the views are dropped instead.
    /// `announced`: the writing transaction already told other processes.
    pub(crate) fn progress_written(
        &self,
        rows: Vec<user_quests::Model>,
        generation: u64,
        announced: bool,
    ) {
        let by_member = progress_by_member(rows);
        let guilds: BTreeSet<String> = by_member.keys().map(|(g, _)| g.clone()).collect();
        let patched = self.user_quests.update_all_if_fresh(
            by_member.into_iter().map(|(key, rows)| {
                let patch = move |view: &Arc<Vec<UserQuest>>| {
                    let mut view = (**view).clone();
                    for row in rows {
                        if let Some(slot) = view.iter_mut().find(|uq| uq.quest.id == row.quest_id) {
                            slot.progress = Some(row);
                        }
                    }
                    Arc::new(view)
                };
                (key, patch)
            }),
            generation,
        );
        if !patched {
            for g in &guilds {
                let g2 = g.clone();
                self.user_quests.invalidate_if(move |k| k.0 == g2);
            }
        }
        if !announced {
            for g in guilds {
                self.announce(Change::Guild(g));
            }
        }
    }

    /// After a member's quest progress changed.
    pub(crate) fn progress_changed(&self, guild_id: &str, user_id: &str) {
        self.user_quests
            .invalidate(&(guild_id.to_string(), user_id.to_string()));
        self.announce(Change::Guild(guild_id.to_string()));
    }

    /// After a guild's quest definitions changed: the active list and every member's view
    /// of it (which embeds the quest list) are stale.
    pub(crate) fn quests_changed(&self, guild_id: &str, quest_ids: &[i64]) {
        self.active_quests.invalidate(&guild_id.to_string());
        for id in quest_ids {
            self.quest.invalidate(id);
        }
        self.user_quests.invalidate_all();
        self.announce(Change::Guild(guild_id.to_string()));
    }
}
