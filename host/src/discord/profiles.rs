//! Keeps the member directory (names and avatars for the web pages) from gateway events.
//!
//! Every message, reaction and voice change carries the member's display name; writing it
//! per event would double the database's work for a name that rarely changes. The book
//! remembers what it last wrote (bounded, moka) and queues only changes, which a task writes
//! in one transaction per guild every few seconds and once more at shutdown. A failed write
//! keeps the changes queued for the next round.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use moka::sync::Cache;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::db::{Db, MemberProfile};

/// Members whose last written profile is remembered (beyond that, a profile may be written
/// again unchanged: harmless).
const REMEMBERED: u64 = 200_000;
/// Queued changes beyond which new ones are dropped until the next write (a name is
/// written again with the member's next event).
const QUEUE_MAX: usize = 50_000;

/// The directory's writer (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct ProfileBook {
    inner: Arc<Inner>,
}

struct Inner {
    written: Cache<(u64, u64), MemberProfile>,
    queued: Mutex<HashMap<(u64, u64), MemberProfile>>,
    stop: Notify,
}

impl Default for ProfileBook {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                written: Cache::new(REMEMBERED),
                queued: Mutex::new(HashMap::new()),
                stop: Notify::new(),
            }),
        }
    }
}

impl ProfileBook {
    fn queued(&self) -> MutexGuard<'_, HashMap<(u64, u64), MemberProfile>> {
        self.inner.queued.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes what an event said about a member; queued only if it changed.
    pub fn note(&self, guild: u64, user: u64, name: &str, avatar: Option<&str>) {
        if name.is_empty() {
            return;
        }
        let profile = MemberProfile::new(user, name, avatar);
        if self.inner.written.get(&(guild, user)).as_ref() == Some(&profile) {
            return;
        }
        let mut queued = self.queued();
        if queued.len() < QUEUE_MAX || queued.contains_key(&(guild, user)) {
            queued.insert((guild, user), profile);
        }
    }

    /// Changes waiting to be written.
    pub fn pending(&self) -> usize {
        self.queued().len()
    }

    /// Writes what is queued, one transaction per guild; what fails stays queued.
    pub async fn write(&self, db: &Db) {
        let taken = std::mem::take(&mut *self.queued());
        let mut by_guild: HashMap<u64, Vec<MemberProfile>> = HashMap::new();
        for ((guild, _), profile) in taken {
            by_guild.entry(guild).or_default().push(profile);
        }
        for (guild, profiles) in by_guild {
            match db.upsert_member_profiles(guild, &profiles).await {
                Ok(()) => {
                    for p in profiles {
                        self.inner.written.insert((guild, p.user_id), p);
                    }
                }
                Err(e) => {
                    tracing::warn!(guild, members = profiles.len(), error = %e, "member names not saved; retried with the next write");
                    let mut queued = self.queued();
                    for p in profiles {
                        queued.entry((guild, p.user_id)).or_insert(p);
                    }
                }
            }
        }
    }

    /// Forgets a member (their data was erased): a queued name must not bring it back.
    pub fn forget(&self, guild: u64, user: u64) {
        self.queued().remove(&(guild, user));
        self.inner.written.invalidate(&(guild, user));
    }

    /// Writes every `every` until [`ProfileBook::stop`], then once more.
    pub fn start(&self, db: Db, every: Duration) -> JoinHandle<()> {
        let book = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = ticker.tick() => book.write(&db).await,
                    _ = book.inner.stop.notified() => break,
                }
            }
            book.write(&db).await;
        })
    }

    /// Ends the task started by [`ProfileBook::start`] after its last write.
    pub fn stop(&self) {
        self.inner.stop.notify_one();
    }
}
