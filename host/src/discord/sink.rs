//! The Discord [`EffectSink`]: reward role changes and level-up, quest and achievement
//! notices, sent from the database's outbox by a task of its own, so the engine never waits
//! on Discord and nothing owed is lost to a rate limit or a restart.
//!
//! - **Durable.** The engine stores each batch's role changes and notices in the outbox in
//!   the batch's own transaction ([`EffectSink::outbox`]); effects released to the sink
//!   directly are stored first. An entry is deleted only once Discord accepted it or refused
//!   it for good, so a process killed after a commit leaves the entry for the next start.
//! - **Rate limits.** `Retry-After`, `X-RateLimit-Reset-After` and the global limit are
//!   honoured ([`super::rate_limit`]): a limited route gets no request until its reset, and
//!   the entry waits in the outbox (its `not_before`), not in memory.
//! - **Retries.** A 429, a 5xx or a connection failure is retried, with exponential backoff
//!   for failures, for as long as it takes (notices expire after `[discord] notice_ttl_secs`:
//!   a level-up message hours late is noise). A 404 (member left, role or channel deleted)
//!   or another 4xx is given up with a log line.
//! - **Missing permissions.** A 403 on a role change means Manage Roles is missing or the
//!   reward role sits above the bot's highest role: retrying cannot help, so it is reported
//!   once per guild (log + one message to the guild) and later 403s are only counted.
//! - **Coalescing.** The task gathers effects for `coalesce` after the first one of a burst,
//!   then sends one message per channel holding every line for that channel (split only at
//!   Discord's 2,000-character limit). A raid of level-ups costs a few messages, not hundreds.
//! - **Bounded.** At most `effect_queue` notices wait; beyond it the oldest are dropped
//!   (counted, logged once per episode). Role changes are never dropped: they are the rewards.
//! - **Shards.** A process sends the entries of the guilds on its shards only, so shard
//!   processes sharing a database never send one entry twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::rate_limit::{self, Limits};
use crate::commands::types::{MAX_CONTENT_CHARS, fit};
use crate::db::{Db, LevelUpDestination, OutboxEntry, ShardFilter};
use crate::engine::{Effect, EffectSink};

/// Entries read per round of a pass.
const PAGE: u64 = 256;
/// First retry pause after a failure (not a rate limit); doubled each attempt.
const BACKOFF: Duration = Duration::from_millis(250);
/// The longest pause between two attempts of one entry.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How often the outbox is looked at when nothing woke the sender (entries left by another
/// run, a database that came back).
const POLL: Duration = Duration::from_secs(5);
/// Per request: a Discord that does not answer is a failure to retry, not a stuck sender.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Default most notices waiting (`[discord] effect_queue`).
pub const DEFAULT_CAPACITY: usize = 10_000;
/// Default notice lifetime (`[discord] notice_ttl_secs`).
pub const DEFAULT_NOTICE_TTL: Duration = Duration::from_secs(600);

/// How the sender runs.
#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// Gather a burst this long into one message per channel.
    pub coalesce: Duration,
    /// Most notices waiting (at least 1).
    pub capacity: usize,
    /// Notices not sent within this are dropped.
    pub notice_ttl: Duration,
    /// The shards whose guilds this process serves (`None`: all).
    pub shards: Option<ShardFilter>,
}

impl Default for SinkSettings {
    fn default() -> Self {
        Self {
            coalesce: Duration::from_millis(250),
            capacity: DEFAULT_CAPACITY,
            notice_ttl: DEFAULT_NOTICE_TTL,
            shards: None,
        }
    }
}

/// Where to send: the REST API and the bot's token (kept here, never logged).
#[derive(Clone)]
pub struct RestTarget {
    pub client: reqwest::Client,
    /// Base URL, e.g. `https://discord.com` (requests go to `<base>/api/v10/...`).
    pub api_base: String,
    pub token: String,
}

impl std::fmt::Debug for RestTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestTarget")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// What the sink did (for logs and tests).
#[derive(Debug, Default)]
pub struct SinkCounters {
    pub messages_sent: AtomicU64,
    /// Lines (level-ups, notices) carried by those messages.
    pub lines_sent: AtomicU64,
    pub roles_changed: AtomicU64,
    /// Attempts put off (rate limit, 5xx, no answer).
    pub retries: AtomicU64,
    pub failures: AtomicU64,
    pub forbidden: AtomicU64,
    /// Notices dropped because too many were waiting (oldest first).
    pub dropped: AtomicU64,
    /// Notices dropped unsent because they outlived `notice_ttl`.
    pub expired: AtomicU64,
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
    pub expired: u64,
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
            expired: g(&self.expired),
        }
    }
}

/// What the sink asks of its task.
enum Command {
    /// Effects released directly (not stored by the engine): store, then send.
    Store(Vec<Effect>),
    /// Something was committed to the outbox.
    Wake,
    /// Answer once everything released before is stored and nothing is sendable now.
    Flush(oneshot::Sender<()>),
}

/// The sink. `release` only hands over (never waits); the task stores and sends.
pub struct DiscordSink {
    commands: mpsc::UnboundedSender<Command>,
    counters: Arc<SinkCounters>,
    notice_ttl: Duration,
}

impl EffectSink for DiscordSink {
    fn release(&self, effects: Vec<Effect>) {
        let owed: Vec<Effect> = effects
            .into_iter()
            .filter(|e| !matches!(e, Effect::XpGained { .. }))
            .collect();
        let command = if owed.is_empty() {
            Command::Wake
        } else {
            Command::Store(owed)
        };
        // The task only stops when the sink is dropped.
        let _ = self.commands.send(command);
    }

    fn outbox(&self) -> Option<Duration> {
        Some(self.notice_ttl)
    }
}

impl DiscordSink {
    /// Starts the sending task (inside a tokio runtime); it sends what earlier runs left in
    /// the outbox right away.
    pub fn start(rest: RestTarget, db: Db, settings: SinkSettings) -> Arc<Self> {
        let (commands, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(SinkCounters::default());
        let notice_ttl = settings.notice_ttl;
        let sender = Sender {
            rest,
            db,
            settings,
            counters: counters.clone(),
            limits: Limits::default(),
            reported: HashSet::new(),
            unstored: Vec::new(),
            overflowing: false,
            dms: HashMap::new(),
        };
        tokio::spawn(sender.run(rx));
        Arc::new(Self {
            commands,
            counters,
            notice_ttl,
        })
    }

    /// Waits until every effect released before this call is stored and everything due has
    /// been sent or put off (a rate-limited entry waits for its reset in the outbox).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    pub fn counters(&self) -> SinkSnapshot {
        self.counters.snapshot()
    }
}

/// An outbox entry read back, with its effect decoded.
struct Owed {
    id: i64,
    guild: u64,
    attempts: u32,
    effect: Effect,
}

/// A Discord answer, reduced to what the sender acts on.
struct Answer {
    /// `None`: no answer (connection failure, time-out).
    status: Option<u16>,
    limit: rate_limit::LimitInfo,
    /// What went wrong, for logs and the entry's `last_error`.
    error: String,
    /// A successful answer's JSON body, if it had one.
    value: Option<serde_json::Value>,
}

impl Answer {
    fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What to do with an entry after a failed attempt.
enum Verdict {
    /// Try again at the route's reset or after a backoff.
    Later(Duration),
    /// 403: retrying cannot help until an admin changes permissions.
    Forbidden,
    /// 404 or another 4xx: give up.
    GiveUp,
}

fn verdict(answer: &Answer, attempts: u32) -> Verdict {
    match answer.status {
        Some(429) => Verdict::Later(answer.limit.wait.unwrap_or(BACKOFF)),
        Some(403) => Verdict::Forbidden,
        Some(s) if (400..500).contains(&s) => Verdict::GiveUp,
        _ => Verdict::Later((BACKOFF * 2u32.saturating_pow(attempts.min(20))).min(MAX_BACKOFF)),
    }
}

struct Sender {
    rest: RestTarget,
    db: Db,
    settings: SinkSettings,
    counters: Arc<SinkCounters>,
    limits: Limits,
    /// Guilds already told about a missing permission.
    reported: HashSet<u64>,
    /// Effects released directly that could not be stored yet (database unreachable).
    unstored: Vec<Effect>,
    /// Whether the current overflow episode was logged.
    overflowing: bool,
    /// Members' DM channels, opened once (level-ups with `level_up_destination = dm`).
    dms: HashMap<u64, u64>,
}

/// Lines for one channel, split into messages of at most 2,000 characters; each message
/// with the indices of the lines it carries.
pub fn pack_lines(lines: &[String]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    let mut current = String::new();
    let mut members = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = fit(line.clone());
        let extra = line.chars().count() + usize::from(!current.is_empty());
        if !current.is_empty() && current.chars().count() + extra > MAX_CONTENT_CHARS {
            out.push((std::mem::take(&mut current), std::mem::take(&mut members)));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
        members.push(i);
    }
    if !current.is_empty() {
        out.push((current, members));
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

fn message_route(channel: u64) -> String {
    format!("channels/{channel}/messages")
}

fn role_route(guild: u64) -> String {
    format!("guilds/{guild}/members/roles")
}

impl Sender {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let mut wake_at = Instant::now();
        loop {
            let mut flushes = Vec::new();
            let mut closed = false;
            tokio::select! {
                c = rx.recv() => match c {
                    Some(c) => self.take(c, &mut flushes),
                    None => closed = true,
                },
                () = tokio::time::sleep_until(wake_at) => {}
            }
            // Gather the rest of a burst (a flush ends the wait: someone is waiting).
            if !closed && flushes.is_empty() && !self.settings.coalesce.is_zero() {
                let until = Instant::now() + self.settings.coalesce;
                loop {
                    tokio::select! {
                        c = rx.recv() => match c {
                            Some(c) => {
                                self.take(c, &mut flushes);
                                if !flushes.is_empty() { break; }
                            }
                            None => { closed = true; break; }
                        },
                        () = tokio::time::sleep_until(until) => break,
                    }
                }
            }
            while let Ok(c) = rx.try_recv() {
                self.take(c, &mut flushes);
            }
            self.store().await;
            wake_at = self.pass().await;
            for done in flushes {
                let _ = done.send(());
            }
            if closed {
                return;
            }
        }
    }

    fn take(&mut self, c: Command, flushes: &mut Vec<oneshot::Sender<()>>) {
        match c {
            Command::Store(effects) => self.unstored.extend(effects),
            Command::Wake => {}
            Command::Flush(done) => flushes.push(done),
        }
    }

    /// Stores effects released directly; kept in memory while the database is unreachable.
    async fn store(&mut self) {
        if self.unstored.is_empty() {
            return;
        }
        let now = Utc::now();
        let entries: Vec<_> = self
            .unstored
            .iter()
            .filter_map(|e| e.outbox_entry(now, self.settings.notice_ttl))
            .collect();
        match self.db.enqueue_effects(&entries).await {
            Ok(()) => self.unstored.clear(),
            Err(e) => {
                tracing::warn!(error = %e, waiting = self.unstored.len(), "cannot store Discord effects yet; kept in memory and tried again")
            }
        }
    }

    /// Sends what is due; returns when to look again.
    async fn pass(&mut self) -> Instant {
        let shards = self.settings.shards;
        let poll = Instant::now() + POLL;
        if let Err(e) = self.housekeep().await {
            tracing::warn!(error = %e, "outbox housekeeping failed; tried again");
            return poll;
        }
        let mut progressed = true;
        while progressed {
            let due = match self.db.due_effects(Utc::now(), shards, PAGE).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the outbox; tried again in a few seconds");
                    return poll;
                }
            };
            if due.is_empty() {
                break;
            }
            let full = due.len() as u64 == PAGE;
            let sent = self.send_page(due).await;
            // Another page only if this one was full and moved (all of it blocked: wait).
            progressed = full && sent;
        }
        let now = Instant::now();
        let mut next = poll;
        if let Some(t) = self.limits.next_free(now) {
            next = next.min(t);
        }
        // An entry put off wakes the sender when it is due; entries already due but held by
        // a limit wait for the limit's reset (above), not in a busy loop.
        let utc = Utc::now();
        if let Ok(Some(t)) = self.db.next_effect_due(utc, shards).await {
            next = next.min(now + (t - utc).to_std().unwrap_or_default());
        }
        next.max(now + rate_limit::MIN_INTERVAL)
    }

    /// Drops expired notices and those beyond the capacity.
    async fn housekeep(&mut self) -> Result<(), crate::db::DbError> {
        let shards = self.settings.shards;
        let expired = self.db.expire_notices(Utc::now(), shards).await?;
        SinkCounters::add(&self.counters.expired, expired);
        if expired > 0 {
            tracing::info!(expired, "notices older than notice_ttl_secs dropped unsent");
        }
        let dropped = self
            .db
            .trim_notices(self.settings.capacity.max(1) as u64, shards)
            .await?;
        if dropped > 0 {
            SinkCounters::add(&self.counters.dropped, dropped);
            if !std::mem::replace(&mut self.overflowing, true) {
                tracing::warn!(
                    dropped,
                    total_dropped = self.counters.dropped.load(Ordering::Relaxed),
                    "Discord is slower than the engine: too many notices waiting, dropping the oldest (counted in `dropped`; logged once until they drain)"
                );
            }
        } else {
            self.overflowing = false;
        }
        Ok(())
    }

    /// Sends one page of due entries; whether any was settled (sent, given up or put off).
    async fn send_page(&mut self, due: Vec<OutboxEntry>) -> bool {
        let mut settled = false;
        let mut owed = Vec::with_capacity(due.len());
        for e in due {
            match serde_json::from_str::<Effect>(&e.payload) {
                Ok(effect) => owed.push(Owed {
                    id: e.id,
                    guild: e.guild_id,
                    attempts: e.attempts,
                    effect,
                }),
                Err(err) => {
                    tracing::error!(id = e.id, error = %err, "outbox entry unreadable (written by another version?); dropped");
                    SinkCounters::add(&self.counters.failures, 1);
                    settled |= self.finish(&[e.id]).await;
                }
            }
        }
        let (notices, roles): (Vec<Owed>, Vec<Owed>) = owed
            .into_iter()
            .partition(|o| !matches!(o.effect, Effect::RoleAdd { .. } | Effect::RoleRemove { .. }));

        // (Channel, whether members may be pinged) → notices, in the order they first appear.
        let mut order: Vec<(u64, bool)> = Vec::new();
        let mut by_channel: HashMap<(u64, bool), Vec<(i64, String)>> = HashMap::new();
        // Where to tell a guild about a permission problem.
        let mut notice_channel: HashMap<u64, u64> = HashMap::new();
        let mut nowhere = Vec::new();
        for o in notices {
            let user = o.effect.member().1;
            let (channel, text, setting) = match o.effect {
                Effect::LevelUp {
                    channel, message, ..
                } => (channel, message, 0),
                Effect::QuestCompleted {
                    channel, message, ..
                } => (channel, message, 1),
                Effect::AchievementEarned {
                    channel, message, ..
                } => (channel, message, 2),
                Effect::Announcement {
                    channel, message, ..
                } => (channel, message, 3),
                _ => continue,
            };
            let cfg = self.db.get_server_config(o.guild).await.ok();
            let level_up = setting == 0;
            let destination = match (&cfg, level_up) {
                (Some(c), true) => LevelUpDestination::of(c),
                _ => LevelUpDestination::Channel,
            };
            let target = match destination {
                LevelUpDestination::Off => 0,
                // Closed DMs, or Discord refused: not retried (a late DM is noise).
                LevelUpDestination::Dm => self.dm_channel(user).await.unwrap_or_default(),
                LevelUpDestination::Channel => cfg.as_ref().map_or(channel, |c| {
                    let s = match setting {
                        0 => &c.level_up_channel,
                        1 => &c.quest_channel,
                        2 => &c.achievement_channel,
                        // Announcements name their channel.
                        _ => return channel,
                    };
                    channel_or(s, channel)
                }),
            };
            if target == 0 {
                nowhere.push(o.id);
                continue;
            }
            if destination == LevelUpDestination::Channel {
                notice_channel.entry(o.guild).or_insert(target);
            }
            let ping = !level_up || cfg.as_ref().is_none_or(|c| c.level_up_ping);
            let key = (target, ping);
            if !by_channel.contains_key(&key) {
                order.push(key);
            }
            by_channel.entry(key).or_default().push((o.id, text));
        }
        settled |= self.finish(&nowhere).await;
        for key in order {
            let lines = by_channel.remove(&key).unwrap_or_default();
            settled |= self.send_notices(key.0, key.1, lines).await;
        }

        // Role changes in order; a guild whose route is limited waits whole, so a member's
        // add and a later remove are never swapped.
        let mut waiting: HashSet<u64> = HashSet::new();
        for o in roles {
            if waiting.contains(&o.guild) {
                continue;
            }
            let (done, hold) = self
                .send_role(&o, notice_channel.get(&o.guild).copied())
                .await;
            settled |= done;
            if hold {
                waiting.insert(o.guild);
            }
        }
        settled
    }

    /// The DM channel with `user`, opened once; `None` when Discord refuses (closed DMs)
    /// or cannot be reached.
    async fn dm_channel(&mut self, user: u64) -> Option<u64> {
        if let Some(dm) = self.dms.get(&user) {
            return Some(*dm);
        }
        let answer = self
            .request(
                reqwest::Method::POST,
                "users/@me/channels",
                "/users/@me/channels",
                Some(json!({ "recipient_id": user.to_string() })),
                None,
            )
            .await;
        let id = answer
            .value
            .as_ref()
            .and_then(|v| v["id"].as_str())
            .and_then(|id| id.parse().ok());
        match id {
            Some(id) => {
                self.dms.insert(user, id);
                Some(id)
            }
            None => {
                tracing::info!(user, error = %answer.error, "cannot open a DM for a level-up message; not sent");
                None
            }
        }
    }

    /// Sends a channel's notices as few messages as fit, pinging the members they name
    /// only when `ping`; whether any was settled.
    async fn send_notices(&mut self, channel: u64, ping: bool, lines: Vec<(i64, String)>) -> bool {
        let route = message_route(channel);
        let texts: Vec<String> = lines.iter().map(|(_, t)| t.clone()).collect();
        let mut settled = false;
        for (content, members) in pack_lines(&texts) {
            let ids: Vec<i64> = members.iter().map(|&i| lines[i].0).collect();
            if self.limits.blocked_until(&route, Instant::now()).is_some() {
                return settled;
            }
            let answer = self
                .request(
                    reqwest::Method::POST,
                    &route,
                    &format!("/channels/{channel}/messages"),
                    Some(json!({
                        "content": content,
                        // Mentions may ping the members named (unless the guild turned
                        // level-up pings off), never roles or @everyone.
                        "allowed_mentions": { "parse": if ping { vec!["users"] } else { Vec::new() } },
                    })),
                    None,
                )
                .await;
            if answer.ok() {
                SinkCounters::add(&self.counters.messages_sent, 1);
                SinkCounters::add(&self.counters.lines_sent, ids.len() as u64);
                settled |= self.finish(&ids).await;
                continue;
            }
            match verdict(&answer, 0) {
                Verdict::Later(wait) => {
                    SinkCounters::add(&self.counters.retries, 1);
                    settled |= self.postpone(&ids, wait, &answer.error).await;
                    return settled;
                }
                Verdict::Forbidden => {
                    SinkCounters::add(&self.counters.forbidden, 1);
                    tracing::warn!(channel, error = %answer.error, "cannot post in this channel (missing Send Messages or View Channel); notices dropped");
                    settled |= self.finish(&ids).await;
                }
                Verdict::GiveUp => {
                    SinkCounters::add(&self.counters.failures, 1);
                    tracing::warn!(channel, error = %answer.error, "message not sent; dropped");
                    settled |= self.finish(&ids).await;
                }
            }
        }
        settled
    }

    /// One role change: (whether the entry was settled, whether the guild's later role
    /// changes must wait). They wait when this one is put off (limited route, failure), so a
    /// member's add and a later remove are never swapped.
    async fn send_role(&mut self, o: &Owed, notice: Option<u64>) -> (bool, bool) {
        let (add, user, role) = match o.effect {
            Effect::RoleAdd { user, role, .. } => (true, user, role),
            Effect::RoleRemove { user, role, .. } => (false, user, role),
            _ => return (false, false),
        };
        let route = role_route(o.guild);
        if self.limits.blocked_until(&route, Instant::now()).is_some() {
            return (false, true);
        }
        let method = if add {
            reqwest::Method::PUT
        } else {
            reqwest::Method::DELETE
        };
        let path = format!("/guilds/{}/members/{user}/roles/{role}", o.guild);
        let answer = self
            .request(method, &route, &path, None, Some("Questline level reward"))
            .await;
        if answer.ok() {
            SinkCounters::add(&self.counters.roles_changed, 1);
            return (self.finish(&[o.id]).await, false);
        }
        let settled = match verdict(&answer, o.attempts) {
            Verdict::Later(wait) => {
                SinkCounters::add(&self.counters.retries, 1);
                tracing::debug!(guild = o.guild, user, role, ?wait, error = %answer.error, "reward role change put off");
                return (self.postpone(&[o.id], wait, &answer.error).await, true);
            }
            Verdict::Forbidden => {
                SinkCounters::add(&self.counters.forbidden, 1);
                if self.reported.insert(o.guild) {
                    tracing::error!(guild = o.guild, role, error = %answer.error, "cannot change reward roles: the bot needs Manage Roles and a role above the reward roles");
                    let channel = match notice {
                        Some(c) => Some(c),
                        None => self
                            .db
                            .get_server_config(o.guild)
                            .await
                            .ok()
                            .and_then(|c| c.level_up_channel.as_deref()?.parse().ok()),
                    };
                    if let Some(channel) = channel {
                        let text = format!(
                            "⚠️ I could not give the level reward <@&{role}>: I need the **Manage Roles** permission, and my own role must be above the reward roles (Server Settings → Roles). I will keep counting XP; rewards resume once that is fixed (`/sync` gives the missed ones)."
                        );
                        let _ = self
                            .request(
                                reqwest::Method::POST,
                                &message_route(channel),
                                &format!("/channels/{channel}/messages"),
                                Some(
                                    json!({ "content": text, "allowed_mentions": { "parse": [] } }),
                                ),
                                None,
                            )
                            .await;
                    }
                }
                self.finish(&[o.id]).await
            }
            Verdict::GiveUp => {
                SinkCounters::add(&self.counters.failures, 1);
                tracing::warn!(guild = o.guild, user, role, error = %answer.error, "reward role not changed (member or role gone); dropped");
                self.finish(&[o.id]).await
            }
        };
        (settled, false)
    }

    /// One REST call, paced and limited; never fails (failures are in the answer).
    async fn request(
        &mut self,
        method: reqwest::Method,
        route: &str,
        path: &str,
        body: Option<serde_json::Value>,
        reason: Option<&str>,
    ) -> Answer {
        self.limits.pace().await;
        let url = format!("{}/api/v10{path}", self.rest.api_base.trim_end_matches('/'));
        let token = self.rest.token.trim();
        let auth = if token.starts_with("Bot ") {
            token.to_string()
        } else {
            format!("Bot {token}")
        };
        let mut req = self
            .rest
            .client
            .request(method, url)
            .timeout(REQUEST_TIMEOUT)
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(
                reqwest::header::USER_AGENT,
                concat!(
                    "DiscordBot (https://github.com/questline/questline, ",
                    env!("CARGO_PKG_VERSION"),
                    ")"
                ),
            );
        if let Some(reason) = reason {
            req = req.header("X-Audit-Log-Reason", reason);
        }
        req = match body {
            Some(b) => req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_string()),
            None => req.header(reqwest::header::CONTENT_LENGTH, "0"),
        };
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Answer {
                    status: None,
                    limit: rate_limit::LimitInfo::default(),
                    error: format!("no answer from Discord: {e}"),
                    value: None,
                };
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.unwrap_or_default();
        let limit = rate_limit::read(status, &headers, &body);
        self.limits.note(route, limit, Instant::now());
        let value = (200..300)
            .contains(&status)
            .then(|| serde_json::from_slice(&body).ok())
            .flatten();
        let error = if (200..300).contains(&status) {
            String::new()
        } else {
            let text = String::from_utf8_lossy(&body);
            format!(
                "HTTP {status}: {}",
                crate::commands::types::fit(text.chars().take(300).collect())
            )
        };
        Answer {
            status: Some(status),
            limit,
            error,
            value,
        }
    }

    async fn finish(&self, ids: &[i64]) -> bool {
        if ids.is_empty() {
            return false;
        }
        match self.db.finish_effects(ids).await {
            Ok(()) => true,
            Err(e) => {
                // The entries stay and are sent again: a role PUT twice is harmless, a notice
                // may repeat; losing them is not an option.
                tracing::warn!(error = %e, "sent, but cannot mark outbox entries done; they may be sent again");
                false
            }
        }
    }

    async fn postpone(&self, ids: &[i64], wait: Duration, error: &str) -> bool {
        let until =
            Utc::now() + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
        match self.db.postpone_effects(ids, until, error).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "cannot put outbox entries off; tried again");
                false
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
                .all(|(m, _)| m.chars().count() <= MAX_CONTENT_CHARS)
        );
        let rejoined: Vec<&str> = packed.iter().flat_map(|(m, _)| m.split('\n')).collect();
        assert_eq!(rejoined.len(), 300);
        // Each message names exactly the lines it carries, in order.
        let carried: Vec<usize> = packed.iter().flat_map(|(_, ids)| ids.clone()).collect();
        assert_eq!(carried, (0..300).collect::<Vec<_>>());
        let long = vec!["x".repeat(5_000)];
        assert_eq!(pack_lines(&long)[0].0.chars().count(), MAX_CONTENT_CHARS);
    }

    #[test]
    fn failures_wait_longer_each_time_and_permanent_ones_are_given_up() {
        let answer = |status: Option<u16>, wait: Option<Duration>| Answer {
            status,
            limit: rate_limit::LimitInfo {
                wait,
                global: false,
            },
            error: String::new(),
            value: None,
        };
        let later = |v: Verdict| match v {
            Verdict::Later(d) => Some(d),
            _ => None,
        };
        assert_eq!(
            later(verdict(&answer(Some(429), Some(Duration::from_secs(5))), 9)),
            Some(Duration::from_secs(5))
        );
        assert_eq!(later(verdict(&answer(Some(502), None), 0)), Some(BACKOFF));
        assert_eq!(later(verdict(&answer(None, None), 2)), Some(BACKOFF * 4));
        assert_eq!(later(verdict(&answer(None, None), 40)), Some(MAX_BACKOFF));
        assert!(matches!(
            verdict(&answer(Some(403), None), 0),
            Verdict::Forbidden
        ));
        assert!(matches!(
            verdict(&answer(Some(404), None), 0),
            Verdict::GiveUp
        ));
    }
}
