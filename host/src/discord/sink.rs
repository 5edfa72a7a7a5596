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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serenity::all::{ChannelId, CreateAllowedMentions, CreateMessage, GuildId, RoleId, UserId};
use serenity::http::Http;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::http::{Failure, classify};
use crate::commands::types::{MAX_CONTENT_CHARS, fit};
use crate::db::Db;
use crate::engine::{Effect, EffectSink};

/// Attempts per REST call before a transient failure is given up (and logged).
const ATTEMPTS: u32 = 5;
/// First retry pause; doubled each attempt.
const BACKOFF: Duration = Duration::from_millis(250);

enum Msg {
    Effects(Vec<Effect>),
    Flush(oneshot::Sender<()>),
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
        }
    }
}

/// The sink. `release` only queues; the task does the sending.
pub struct DiscordSink {
    tx: mpsc::UnboundedSender<Msg>,
    counters: Arc<SinkCounters>,
}

impl EffectSink for DiscordSink {
    fn release(&self, effects: Vec<Effect>) {
        if self.tx.send(Msg::Effects(effects)).is_err() {
            tracing::error!("effect sender has stopped; effects not sent");
        }
    }
}

impl DiscordSink {
    /// Starts the sending task (inside a tokio runtime).
    pub fn start(http: Arc<Http>, db: Db, coalesce: Duration) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(SinkCounters::default());
        let sender = Sender {
            http,
            db,
            counters: counters.clone(),
            reported: HashSet::new(),
        };
        tokio::spawn(sender.run(rx, coalesce));
        Arc::new(Self { tx, counters })
    }

    /// Waits until every effect released before this call has been sent (or given up).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
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
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>, coalesce: Duration) {
        while let Some(first) = rx.recv().await {
            let mut effects = Vec::new();
            let mut flushes = Vec::new();
            match first {
                Msg::Effects(e) => effects.extend(e),
                Msg::Flush(done) => flushes.push(done),
            }
            // Gather the rest of the burst (a flush ends the wait: someone is waiting).
            let deadline = Instant::now() + coalesce;
            while flushes.is_empty() {
                tokio::select! {
                    msg = rx.recv() => match msg {
                        Some(Msg::Effects(e)) => effects.extend(e),
                        Some(Msg::Flush(done)) => flushes.push(done),
                        None => break,
                    },
                    () = tokio::time::sleep_until(deadline) => break,
                }
            }
            // Take whatever else is already queued.
            while let Ok(msg) = rx.try_recv() {
                match msg {
                    Msg::Effects(e) => effects.extend(e),
                    Msg::Flush(done) => flushes.push(done),
                }
            }
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
                    let cfg = self.db.get_server_config(&guild.to_string()).await;
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
                    let cfg = self.db.get_server_config(&guild.to_string()).await;
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
                    let cfg = self.db.get_server_config(&guild.to_string()).await;
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
