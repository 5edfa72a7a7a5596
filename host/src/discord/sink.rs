//! The Discord [`EffectSink`]: level-up messages, quest and achievement notices, and reward
//! role changes, sent over REST by a task of its own so the engine never waits on Discord.
//!
//! - **Coalescing.** The task gathers effects for `coalesce` after the first one of a burst,
//!   then sends one message per channel holding every line for that channel (split only at
//!   Discord's 2,000-character limit). A raid of level-ups costs a few messages, not hundreds,
//!   which keeps the bot within the per-channel rate limit instead of falling minutes behind.
//! - **Retries.** A 429, a 5xx or a connection failure is retried with exponential backoff
//!   (a few attempts); a 404 (member left, role deleted) is dropped with a log line.
//! - **Missing permissions.** A 403 on a role change means Manage Roles is missing or the
//!   reward role sits above the bot's highest role: retrying cannot help, so it is reported
//!   once per guild (log + one message to the guild) and later 403s are only counted.
//! - **Bounded queue.** `release` never blocks the engine: effects wait in a queue of at
//!   most `capacity` entries. When Discord is slower than the engine for long enough to fill
//!   it, the *oldest notices* (level-up, quest and achievement messages: stale news) are
//!   dropped to make room, role changes last (they are the rewards themselves); every drop
//!   is counted (`dropped`) and each overflow episode is logged once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serenity::all::{ChannelId, CreateAllowedMentions, CreateMessage, GuildId, RoleId, UserId};
use serenity::http::Http;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;

use super::http::{Failure, classify};
use crate::commands::types::{MAX_CONTENT_CHARS, fit};
use crate::db::Db;
use crate::engine::{Effect, EffectSink};

/// Attempts per REST call before a transient failure is given up (and logged).
const ATTEMPTS: u32 = 5;
/// First retry pause; doubled each attempt.
const BACKOFF: Duration = Duration::from_millis(250);

/// Effects waiting to be sent, bounded (see the module docs).
struct Pending {
    /// Messages (level-ups, quest and achievement notices), oldest first.
    notices: VecDeque<Effect>,
    /// Role changes, oldest first.
    roles: VecDeque<Effect>,
    capacity: usize,
    /// Whether the current overflow episode was logged (cleared once the queue drains).
    overflowing: bool,
}

impl Pending {
    fn len(&self) -> usize {
        self.notices.len() + self.roles.len()
    }

    /// Queues `effects`, dropping the oldest notices (then the oldest role changes) beyond
    /// the capacity. Returns how many were dropped.
    fn push(&mut self, effects: Vec<Effect>) -> u64 {
        let mut dropped = 0;
        for e in effects {
            match e {
                Effect::XpGained { .. } => continue,
                Effect::RoleAdd { .. } | Effect::RoleRemove { .. } => self.roles.push_back(e),
                _ => self.notices.push_back(e),
            }
            if self.len() > self.capacity {
                if self.notices.pop_front().is_none() {
                    self.roles.pop_front();
                }
                dropped += 1;
            }
        }
        dropped
    }

    fn take(&mut self) -> Vec<Effect> {
        let mut out: Vec<Effect> = self.notices.drain(..).collect();
        out.extend(self.roles.drain(..));
        self.overflowing = false;
        out
    }
}

/// What the sending task and the sink share.
struct Queue {
    pending: Mutex<Pending>,
    /// Woken when effects are queued.
    ready: Notify,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the sink did (for logs and tests).
#[derive(Debug, Default)]
pub struct SinkCounters {
    pub messages_sent: AtomicU64,
    /// Lines (level-ups, notices) carried by those messages.
    pub lines_sent: AtomicU64,
    pub roles_changed: AtomicU64,
    pub retries: AtomicU64,
    pub failures: AtomicU64,
    pub forbidden: AtomicU64,
    /// Effects dropped because the queue was full (oldest notices first).
    pub dropped: AtomicU64,
}

/// Plain numbers from [`SinkCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkSnapshot {
    pub messages_sent: u64,
    pub lines_sent: u64,
    pub roles_changed: u64,
    pub retries: u64,
    pub failures: u64,
    pub forbidden: u64,
    pub dropped: u64,
}

impl SinkCounters {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> SinkSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SinkSnapshot {
            messages_sent: g(&self.messages_sent),
            lines_sent: g(&self.lines_sent),
            roles_changed: g(&self.roles_changed),
            retries: g(&self.retries),
            failures: g(&self.failures),
            forbidden: g(&self.forbidden),
            dropped: g(&self.dropped),
        }
    }
}

/// The sink. `release` only queues (never waits); the task does the sending.
pub struct DiscordSink {
    queue: Arc<Queue>,
    /// Flush requests (rare; one per waiting caller).
    flushes: mpsc::UnboundedSender<oneshot::Sender<()>>,
    counters: Arc<SinkCounters>,
}

/// Default queue capacity (`[discord] effect_queue`).
pub const DEFAULT_CAPACITY: usize = 10_000;

impl EffectSink for DiscordSink {
    fn release(&self, effects: Vec<Effect>) {
        let (dropped, first) = {
            let mut p = self.queue.lock();
            let dropped = p.push(effects);
            let first = dropped > 0 && !std::mem::replace(&mut p.overflowing, true);
            (dropped, first)
        };
        if dropped > 0 {
            SinkCounters::add(&self.counters.dropped, dropped);
            if first {
                tracing::warn!(
                    dropped,
                    total_dropped = self.counters.dropped.load(Ordering::Relaxed),
                    "Discord is slower than the engine: the effect queue is full, dropping the oldest level-up and quest notices (counted in `dropped`; logged once until the queue drains)"
                );
            }
        }
        self.queue.ready.notify_one();
    }
}

impl DiscordSink {
    /// Starts the sending task (inside a tokio runtime) with a queue of [`DEFAULT_CAPACITY`].
    pub fn start(http: Arc<Http>, db: Db, coalesce: Duration) -> Arc<Self> {
        Self::start_with_capacity(http, db, coalesce, DEFAULT_CAPACITY)
    }

    /// Starts the sending task with a queue of at most `capacity` effects (at least 1).
    pub fn start_with_capacity(
        http: Arc<Http>,
        db: Db,
        coalesce: Duration,
        capacity: usize,
    ) -> Arc<Self> {
        let (flushes, rx) = mpsc::unbounded_channel();
        let queue = Arc::new(Queue {
            pending: Mutex::new(Pending {
                notices: VecDeque::new(),
                roles: VecDeque::new(),
                capacity: capacity.max(1),
                overflowing: false,
            }),
            ready: Notify::new(),
        });
        let counters = Arc::new(SinkCounters::default());
        let sender = Sender {
            http,
            db,
            counters: counters.clone(),
            reported: HashSet::new(),
        };
        tokio::spawn(sender.run(queue.clone(), rx, coalesce));
        Arc::new(Self {
            queue,
            flushes,
            counters,
        })
    }

    /// Waits until every effect released before this call has been sent (or given up).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.flushes.send(tx).is_ok() {
            let _ = rx.await;
        }
    }

    /// Effects waiting to be sent.
    pub fn queued(&self) -> usize {
        self.queue.lock().len()
    }

    pub fn counters(&self) -> SinkSnapshot {
        self.counters.snapshot()
    }
}

struct Sender {
    http: Arc<Http>,
    db: Db,
    counters: Arc<SinkCounters>,
    /// Guilds already told about a missing permission.
    reported: HashSet<u64>,
}

/// Lines for one channel, split into messages of at most 2,000 characters.
pub fn pack_lines(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line = fit(line.clone());
        let extra = line.chars().count() + usize::from(!current.is_empty());
        if !current.is_empty() && current.chars().count() + extra > MAX_CONTENT_CHARS {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn channel_or(setting: &Option<String>, fallback: u64) -> u64 {
    setting
        .as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|c| *c != 0)
        .unwrap_or(fallback)
}

enum RoleOp {
    Add,
    Remove,
}

impl Sender {
    async fn run(
        mut self,
        queue: Arc<Queue>,
        mut flush_rx: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
        coalesce: Duration,
    ) {
        loop {
            let mut flushes = Vec::new();
            // Wait for the first effect of a burst (or a flush request).
            tokio::select! {
                () = queue.ready.notified() => {}
                f = flush_rx.recv() => match f {
                    Some(done) => flushes.push(done),
                    // The sink is gone: send what is left, then stop.
                    None => {
                        let rest = queue.lock().take();
                        if !rest.is_empty() {
                            self.send(rest).await;
                        }
                        return;
                    }
                },
            }
            // Gather the rest of the burst (a flush ends the wait: someone is waiting).
            if flushes.is_empty() {
                tokio::select! {
                    f = flush_rx.recv() => if let Some(done) = f { flushes.push(done) },
                    () = tokio::time::sleep_until(Instant::now() + coalesce) => {}
                }
            }
            while let Ok(done) = flush_rx.try_recv() {
                flushes.push(done);
            }
            // Everything released before the flush requests is in the queue now.
            let effects = queue.lock().take();
            if !effects.is_empty() {
                self.send(effects).await;
            }
            for done in flushes {
                let _ = done.send(());
            }
        }
    }

    async fn send(&mut self, effects: Vec<Effect>) {
        // Channel → lines, in the order channels first appear.
        let mut order: Vec<u64> = Vec::new();
        let mut lines: HashMap<u64, Vec<String>> = HashMap::new();
        let mut roles: Vec<(RoleOp, u64, u64, u64)> = Vec::new();
        // Where to tell a guild about a permission problem.
        let mut notice_channel: HashMap<u64, u64> = HashMap::new();
        for e in effects {
            let (guild, target, text) = match e {
                Effect::XpGained { .. } => continue,
                Effect::RoleAdd {
                    guild, user, role, ..
                } => {
                    roles.push((RoleOp::Add, guild, user, role));
                    continue;
                }
                Effect::RoleRemove {
                    guild, user, role, ..
                } => {
                    roles.push((RoleOp::Remove, guild, user, role));
                    continue;
                }
                Effect::LevelUp {
                    guild,
                    channel,
                    message,
                    ..
                } => {
                    let cfg = self.db.get_server_config(guild).await;
                    let target = cfg
                        .as_ref()
                        .map_or(channel, |c| channel_or(&c.level_up_channel, channel));
                    (guild, target, message)
                }
                Effect::QuestCompleted {
                    guild,
                    channel,
                    message,
                    ..
                } => {
                    let cfg = self.db.get_server_config(guild).await;
                    let target = cfg
                        .as_ref()
                        .map_or(channel, |c| channel_or(&c.quest_channel, channel));
                    (guild, target, message)
                }
                Effect::AchievementEarned {
                    guild,
                    channel,
                    message,
                    ..
                } => {
                    let cfg = self.db.get_server_config(guild).await;
                    let target = cfg
                        .as_ref()
                        .map_or(channel, |c| channel_or(&c.achievement_channel, channel));
                    (guild, target, message)
                }
            };
            if target == 0 {
                continue;
            }
            notice_channel.entry(guild).or_insert(target);
            if !lines.contains_key(&target) {
                order.push(target);
            }
            lines.entry(target).or_default().push(text);
        }
        for channel in order {
            let chunk_lines = lines.remove(&channel).unwrap_or_default();
            let n = chunk_lines.len() as u64;
            for content in pack_lines(&chunk_lines) {
                self.message(channel, content).await;
            }
            SinkCounters::add(&self.counters.lines_sent, n);
        }
        for (op, guild, user, role) in roles {
            self.role(op, guild, user, role, notice_channel.get(&guild).copied())
                .await;
        }
    }

    /// Sends one message; mentions may ping the members named, never roles or @everyone.
    async fn message(&mut self, channel: u64, content: String) -> bool {
        for attempt in 0..ATTEMPTS {
            let builder = CreateMessage::new()
                .content(content.clone())
                .allowed_mentions(CreateAllowedMentions::new().all_users(true));
            match ChannelId::new(channel)
                .send_message(&*self.http, builder)
                .await
            {
                Ok(_) => {
                    SinkCounters::add(&self.counters.messages_sent, 1);
                    return true;
                }
                Err(e) => match classify(&e) {
                    Failure::Transient if attempt + 1 < ATTEMPTS => {
                        SinkCounters::add(&self.counters.retries, 1);
                        tokio::time::sleep(BACKOFF * 2u32.pow(attempt)).await;
                    }
                    Failure::Forbidden => {
                        SinkCounters::add(&self.counters.forbidden, 1);
                        tracing::warn!(channel, error = %e, "cannot post in this channel (missing Send Messages or View Channel); message dropped");
                        return false;
                    }
                    _ => {
                        SinkCounters::add(&self.counters.failures, 1);
                        tracing::warn!(channel, error = %e, "message not sent");
                        return false;
                    }
                },
            }
        }
        false
    }

    async fn role(&mut self, op: RoleOp, guild: u64, user: u64, role: u64, notice: Option<u64>) {
        let reason = Some("Questline level reward");
        for attempt in 0..ATTEMPTS {
            let (g, u, r) = (GuildId::new(guild), UserId::new(user), RoleId::new(role));
            let result = match op {
                RoleOp::Add => self.http.add_member_role(g, u, r, reason).await,
                RoleOp::Remove => self.http.remove_member_role(g, u, r, reason).await,
            };
            let err = match result {
                Ok(()) => {
                    SinkCounters::add(&self.counters.roles_changed, 1);
                    return;
                }
                Err(e) => e,
            };
            match classify(&err) {
                Failure::Transient if attempt + 1 < ATTEMPTS => {
                    SinkCounters::add(&self.counters.retries, 1);
                    tokio::time::sleep(BACKOFF * 2u32.pow(attempt)).await;
                }
                Failure::Forbidden => {
                    SinkCounters::add(&self.counters.forbidden, 1);
                    if self.reported.insert(guild) {
                        tracing::error!(guild, role, error = %err, "cannot change reward roles: the bot needs Manage Roles and a role above the reward roles");
                        if let Some(channel) = notice {
                            let text = format!(
                                "⚠️ I could not give the level reward <@&{role}>: I need the **Manage Roles** permission, and my own role must be above the reward roles (Server Settings → Roles). I will keep counting XP; rewards resume once that is fixed."
                            );
                            self.message(channel, text).await;
                        }
                    }
                    return;
                }
                _ => {
                    SinkCounters::add(&self.counters.failures, 1);
                    tracing::warn!(guild, user, role, error = %err, "reward role not changed");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level_up(user: u64) -> Effect {
        Effect::LevelUp {
            guild: 1,
            channel: 2,
            user,
            old_level: 0,
            new_level: 1,
            xp: 100,
            message: format!("<@{user}> reached level 1"),
        }
    }

    fn role(user: u64) -> Effect {
        Effect::RoleAdd {
            guild: 1,
            user,
            role: 9,
            level: 1,
        }
    }

    #[test]
    fn a_full_queue_drops_the_oldest_notices_first() {
        let mut p = Pending {
            notices: VecDeque::new(),
            roles: VecDeque::new(),
            capacity: 4,
            overflowing: false,
        };
        assert_eq!(p.push(vec![level_up(1), role(1), level_up(2)]), 0);
        // Two more than fit: the two oldest notices go, the role change stays.
        assert_eq!(p.push(vec![level_up(3), role(3), level_up(4)]), 2);
        assert_eq!(p.len(), 4);
        let users = |q: &VecDeque<Effect>| -> Vec<u64> {
            q.iter()
                .map(|e| match e {
                    Effect::LevelUp { user, .. } | Effect::RoleAdd { user, .. } => *user,
                    _ => 0,
                })
                .collect()
        };
        assert_eq!(users(&p.notices), vec![3, 4]);
        assert_eq!(users(&p.roles), vec![1, 3]);
        // Only role changes left to drop: the oldest goes.
        assert_eq!(p.push((10..14).map(role).collect()), 4);
        assert!(p.notices.is_empty());
        assert_eq!(users(&p.roles), vec![10, 11, 12, 13]);
        assert_eq!(p.take().len(), 4);
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn lines_pack_into_messages_within_the_limit() {
        let lines: Vec<String> = (0..300)
            .map(|i| format!("🎉 <@{i}> reached level {i}!"))
            .collect();
        let packed = pack_lines(&lines);
        assert!(packed.len() > 1 && packed.len() < 20, "{}", packed.len());
        assert!(
            packed
                .iter()
                .all(|m| m.chars().count() <= MAX_CONTENT_CHARS)
        );
        let rejoined: Vec<&str> = packed.iter().flat_map(|m| m.split('\n')).collect();
        assert_eq!(rejoined.len(), 300);
        let long = vec!["x".repeat(5_000)];
        assert_eq!(pack_lines(&long)[0].chars().count(), MAX_CONTENT_CHARS);
    }
}
