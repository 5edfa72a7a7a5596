//! At-most-once counting of messages and reactions.
//!
//! A gateway RESUME replays events the bot may already have processed, and a simulation file
//! may contain duplicates; a message or reaction must count once. The engine remembers recent
//! keys in a bounded moka cache with a TTL (replays come within minutes); the database's
//! constraints guard what must never double (quest completions, achievements).

use std::time::Duration;

use moka::sync::Cache;

/// What was seen: a message id, or a (message, user, emoji) reaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SeenKey {
    Message(u64),
    Reaction {
        message: u64,
        user: u64,
        emoji: String,
    },
}

/// Recently seen activity keys.
#[derive(Clone)]
pub struct SeenIds {
    cache: Cache<SeenKey, ()>,
}

impl SeenIds {
    /// Remembers up to `capacity` keys for `ttl`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// True the first time `key` is seen (atomically, even from concurrent callers).
    ///
    /// Uses moka's compute API, which serialises operations on one key under a per-key
    /// lock and reads the current entry under it. (`or_insert` is a get-then-insert, and even
    /// `or_insert_with` leaves a window in which a late caller can miss the fresh entry; both
    /// were seen letting two racing callers count the same id.)
    pub fn first_time(&self, key: SeenKey) -> bool {
        use moka::ops::compute::{CompResult, Op};
        let result = self
            .cache
            .entry(key)
            .and_compute_with(|existing| match existing {
                Some(_) => Op::Nop,
                None => Op::Put(()),
            });
        matches!(result, CompResult::Inserted(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_counts_once() {
        let seen = SeenIds::new(1000, Duration::from_secs(60));
        assert!(seen.first_time(SeenKey::Message(1)));
        assert!(!seen.first_time(SeenKey::Message(1)));
        let r = |u| SeenKey::Reaction {
            message: 1,
            user: u,
            emoji: "👍".into(),
        };
        assert!(seen.first_time(r(5)));
        assert!(seen.first_time(r(6)));
        assert!(!seen.first_time(r(5)));
    }

    #[test]
    fn concurrent_callers_agree_on_one_first() {
        let seen = SeenIds::new(1000, Duration::from_secs(60));
        let firsts: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..100)
                            .filter(|i| seen.first_time(SeenKey::Message(*i)))
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).sum()
        });
        assert_eq!(firsts, 100);
    }
}
