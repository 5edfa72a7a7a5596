//! A console session: one local guild on the engine, typed into line by line.
//!
//! Members are names; each name gets a stable id (derived from the name) remembered in the
//! database so leaderboards show names across sessions. The clock is the system clock plus
//! whatever `:advance` added; it is saved so a later session never goes back in time (which
//! would make the QuestManager see an older period). Works the same on a terminal and with a
//! piped script: output is plain lines, and a prompt is shown only on a terminal.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::input::{ConsoleInput, HELP, VoiceState, parse};
use crate::cards::{CardDataBuilder, CardPrefs, CardRenderer, render_card};
use crate::db::Db;
use crate::engine::quests::ENGINE_KV;
use crate::engine::wit::{hash_str, parse_cycle};
use crate::engine::{
    Activity, ActivityKind, Clock, Effect, EffectSink, Engine, EngineError, OffsetClock,
    VoiceChange,
};
use crate::plugins::{CallContext, PluginHost};

/// The console's guild.
pub const GUILD: u64 = 1;
/// Its text channel (#general) and voice channel.
pub const TEXT_CHANNEL: u64 = 10;
pub const VOICE_CHANNEL: u64 = 20;
pub const GUILD_NAME: &str = "Questline Console";

const CLOCK_KEY: &str = "console.clock";

/// A stable id for a member name (never 0, below 2^53 so it survives JSON).
pub fn member_id(name: &str) -> u64 {
    (hash_str(name) % 9_000_000_000_000) + 1_000_000_000_000
}

/// Collects effects for the session to print after each line.
#[derive(Debug, Default)]
pub struct ConsoleSink {
    effects: Mutex<Vec<Effect>>,
}

impl EffectSink for ConsoleSink {
    fn release(&self, effects: Vec<Effect>) {
        self.effects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(effects);
    }
}

impl ConsoleSink {
    fn take(&self) -> Vec<Effect> {
        std::mem::take(&mut *self.effects.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The running console.
pub struct Session {
    pub engine: Engine,
    pub db: Db,
    pub clock: OffsetClock,
    pub sink: Arc<ConsoleSink>,
    names: HashMap<u64, String>,
    last_speaker: Option<String>,
    last_message: Option<u64>,
    next_message_id: u64,
    cards: Option<CardOutput>,
}

/// Where `/rank` draws rank cards: the card-style plugins, the host's renderer and the
/// directory the PNG files go to.
pub struct CardOutput {
    pub plugins: PluginHost,
    pub renderer: CardRenderer,
    pub dir: std::path::PathBuf,
}

/// What to do after a line.
pub enum Next {
    Continue,
    Quit,
}

impl Session {
    /// The clock a session should start from (saved by an earlier session, or now).
    pub async fn saved_clock(db: &Db) -> OffsetClock {
        let saved = db
            .kv_get(&GUILD.to_string(), ENGINE_KV, CLOCK_KEY)
            .await
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|d| d.with_timezone(&Utc));
        OffsetClock::starting_at(saved.unwrap_or_else(Utc::now))
    }

    pub fn new(engine: Engine, db: Db, clock: OffsetClock, sink: Arc<ConsoleSink>) -> Self {
        let next_message_id = u64::try_from(clock.now().timestamp_millis()).unwrap_or(1) * 1000;
        Self {
            engine,
            db,
            clock,
            sink,
            names: HashMap::new(),
            last_speaker: None,
            last_message: None,
            next_message_id,
            cards: None,
        }
    }

    /// Makes `/rank` render the member's rank card to a PNG file in `cards.dir`.
    pub fn with_cards(mut self, cards: CardOutput) -> Self {
        self.cards = Some(cards);
        self
    }

    /// Renders `member`'s card and writes it; returns the line to print.
    async fn write_card(
        &self,
        member: &str,
        user: u64,
        rank: u64,
        level: u32,
        xp: i64,
        progress: (i64, i64),
    ) -> String {
        let Some(cards) = &self.cards else {
            return String::new();
        };
        let prefs = match self
            .db
            .get_card_settings(&GUILD.to_string(), &user.to_string())
            .await
        {
            Ok(Some(settings)) => CardPrefs::from(&settings),
            Ok(None) => CardPrefs::default(),
            Err(e) => return format!("  ! rank card not drawn: {e}\n"),
        };
        let (style, data) = CardDataBuilder::new(member, level, xp, progress)
            .rank(Some(rank))
            .guild_name(GUILD_NAME)
            .prefs(&prefs)
            .build();
        let ctx = CallContext::new(GUILD, self.clock.now().timestamp_millis(), 0);
        let card = render_card(
            cards.plugins.clone(),
            cards.renderer.clone(),
            ctx,
            style,
            data,
        )
        .await;
        let path = cards.dir.join(format!("rank-{member}.png"));
        let written =
            std::fs::create_dir_all(&cards.dir).and_then(|()| std::fs::write(&path, &card.png));
        match (written, card.error) {
            (Err(e), _) => format!("  ! cannot write {}: {e}\n", path.display()),
            (Ok(()), None) => format!("  rank card: {}\n", path.display()),
            (Ok(()), Some(e)) => format!("  rank card (plain fallback: {e}): {}\n", path.display()),
        }
    }

    async fn remember(&mut self, name: &str) -> u64 {
        let id = member_id(name);
        if self.names.insert(id, name.to_string()).is_none() {
            let _ = self
                .db
                .kv_set(
                    &GUILD.to_string(),
                    ENGINE_KV,
                    &format!("console.name.{id}"),
                    name.as_bytes(),
                )
                .await;
        }
        id
    }

    async fn name_of(&mut self, id: u64) -> String {
        if let Some(n) = self.names.get(&id) {
            return n.clone();
        }
        let stored = self
            .db
            .kv_get(&GUILD.to_string(), ENGINE_KV, &format!("console.name.{id}"))
            .await
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| format!("member {id}"));
        self.names.insert(id, stored.clone());
        stored
    }

    fn activity(&self, name: &str, user: u64, channel: u64, kind: ActivityKind) -> Activity {
        let mut a = Activity::new(GUILD, channel, user, self.clock.now(), kind).named(name);
        a.guild_name = Some(GUILD_NAME.to_string());
        a
    }

    async fn submit(&mut self, a: Activity) -> Result<String, EngineError> {
        self.engine.submit(a).await?;
        self.engine.flush().await?;
        Ok(self.render_effects().await)
    }

    /// Runs one line and returns what to print.
    pub async fn line(&mut self, line: &str) -> (String, Next) {
        let input = match parse(line) {
            Ok(i) => i,
            Err(e) => return (format!("  ! {e}\n"), Next::Continue),
        };
        let result = match input {
            ConsoleInput::Nothing => Ok(String::new()),
            ConsoleInput::Quit => return (String::new(), Next::Quit),
            ConsoleInput::Help => Ok(format!("{HELP}\n")),
            ConsoleInput::Message { member, text } => {
                let user = self.remember(&member).await;
                self.next_message_id += 1;
                let id = self.next_message_id;
                self.last_message = Some(id);
                self.last_speaker = Some(member.clone());
                let length = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
                let a = self.activity(
                    &member,
                    user,
                    TEXT_CHANNEL,
                    ActivityKind::Message { id, length },
                );
                self.submit(a).await.map(|out| {
                    if out.is_empty() {
                        format!("  {member}: no XP (message cooldown)\n")
                    } else {
                        out
                    }
                })
            }
            ConsoleInput::React { member } => match self.last_message {
                None => Ok(
                    "  ! nothing to react to yet; post a message first (`alice: hello`)\n"
                        .to_string(),
                ),
                Some(message) => {
                    let user = self.remember(&member).await;
                    let a = self.activity(
                        &member,
                        user,
                        TEXT_CHANNEL,
                        ActivityKind::Reaction {
                            message,
                            emoji: "👍".into(),
                        },
                    );
                    self.submit(a)
                        .await
                        .map(|out| format!("  {member} reacted 👍\n{out}"))
                }
            },
            ConsoleInput::Voice { member, state } => {
                let user = self.remember(&member).await;
                let change = match state {
                    VoiceState::Join => VoiceChange::Join {
                        channel: VOICE_CHANNEL,
                    },
                    VoiceState::Leave => VoiceChange::Leave,
                    VoiceState::Mute => VoiceChange::Mute,
                    VoiceState::Unmute => VoiceChange::Unmute,
                    VoiceState::Deafen => VoiceChange::Deafen,
                    VoiceState::Undeafen => VoiceChange::Undeafen,
                };
                let a = self.activity(&member, user, VOICE_CHANNEL, ActivityKind::Voice(change));
                let state = format!("{state:?}").to_lowercase();
                self.submit(a)
                    .await
                    .map(|out| format!("  {member} voice: {state}\n{out}"))
            }
            ConsoleInput::Advance(d) => self.advance(d).await,
            ConsoleInput::Command { name, args } => self.command(&name, &args).await,
        };
        match result {
            Ok(out) => (out, Next::Continue),
            Err(e) => (format!("  ! {e}\n"), Next::Continue),
        }
    }

    async fn advance(&mut self, d: std::time::Duration) -> Result<String, EngineError> {
        let by = chrono::Duration::from_std(d).map_err(|e| EngineError::Internal(e.to_string()))?;
        let now = self.clock.advance(by);
        let _ = self
            .db
            .kv_set(
                &GUILD.to_string(),
                ENGINE_KV,
                CLOCK_KEY,
                now.to_rfc3339().as_bytes(),
            )
            .await;
        let mut out = format!("  ⏩ clock: {}\n", now.format("%Y-%m-%d %H:%M UTC (%A)"));
        self.engine.flush().await?;
        let reports = self.engine.pipeline().ensure_guild(GUILD).await?;
        for r in reports
            .iter()
            .filter(|r| !r.created.is_empty() || r.deactivated > 0)
        {
            let _ = writeln!(
                out,
                "  🔄 {} quests reset: {} ended, {} new: {}",
                crate::engine::wit::cycle_name(r.cycle),
                r.deactivated,
                r.created.len(),
                r.created
                    .iter()
                    .map(|q| q.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        self.engine.tick().await?;
        out.push_str(&self.render_effects().await);
        Ok(out)
    }

    async fn target(&mut self, args: &[String]) -> Option<String> {
        args.first()
            .cloned()
            .map(|a| a.trim_start_matches('@').to_lowercase())
            .or_else(|| self.last_speaker.clone())
    }

    async fn command(&mut self, name: &str, args: &[String]) -> Result<String, EngineError> {
        let who = self.target(args).await;
        // Using a command counts as activity for the member who used it.
        let mut out = String::new();
        if let Some(member) = &who {
            let user = self.remember(member).await;
            let a = self.activity(
                member,
                user,
                TEXT_CHANNEL,
                ActivityKind::Command {
                    name: name.to_string(),
                },
            );
            out = self.submit(a).await?;
        }
        let body = match name {
            "rank" => match &who {
                Some(m) => self.rank(m).await?,
                None => "  ! whose rank? e.g. `/rank alice`\n".to_string(),
            },
            "leaderboard" | "lb" | "top" => {
                let page = args
                    .iter()
                    .find_map(|a| a.parse::<u64>().ok())
                    .unwrap_or(1)
                    .max(1);
                self.leaderboard(page).await?
            }
            "quests" => match &who {
                Some(m) => self.quests(m).await?,
                None => self.quests("").await?,
            },
            "achievements" => match &who {
                Some(m) => self.achievements(m).await?,
                None => "  ! whose achievements? e.g. `/achievements alice`\n".to_string(),
            },
            other => format!(
                "  (/{other} counted as a command use; plugin commands run in the Discord front)\n"
            ),
        };
        Ok(format!("{body}{out}"))
    }

    async fn rank(&mut self, member: &str) -> Result<String, EngineError> {
        let user = member_id(member);
        let gid = GUILD.to_string();
        let Some(rank) = self.db.member_rank(&gid, &user.to_string()).await? else {
            return Ok(format!("  {member} has no XP yet\n"));
        };
        let cfg = self.db.get_server_config(&gid).await?;
        let plugin = cfg
            .xp_formula_plugin
            .unwrap_or_else(|| "mee6-xp".to_string());
        let table = self
            .engine
            .pipeline()
            .plugin_cache()
            .level_table(GUILD, &plugin, self.clock.now().timestamp_millis())
            .await?;
        let (into, span) = table.progress(rank.xp);
        let level = u32::try_from(rank.level).unwrap_or(0);
        let card = self
            .write_card(
                member,
                user,
                u64::try_from(rank.rank).unwrap_or(0),
                level,
                rank.xp,
                (into, span),
            )
            .await;
        Ok(format!(
            "  {member} · rank #{} of {} · level {} · {into}/{span} XP into level {} {} · {} XP total\n{card}",
            rank.rank,
            rank.total,
            rank.level,
            rank.level,
            bar(into, span, 20),
            rank.xp
        ))
    }

    async fn leaderboard(&mut self, page: u64) -> Result<String, EngineError> {
        let rows = self
            .db
            .leaderboard_page(&GUILD.to_string(), page - 1, 10)
            .await?;
        if rows.is_empty() {
            return Ok(format!("  leaderboard page {page} is empty\n"));
        }
        let mut out = format!("  🏅 leaderboard (page {page})\n");
        for r in rows {
            let id = r.user_id.parse::<u64>().unwrap_or(0);
            let name = self.name_of(id).await;
            let _ = writeln!(
                out,
                "  #{:<3} {:<16} level {:<3} {} XP",
                r.rank, name, r.level, r.xp
            );
        }
        Ok(out)
    }

    async fn quests(&mut self, member: &str) -> Result<String, EngineError> {
        let gid = GUILD.to_string();
        let user = if member.is_empty() {
            0
        } else {
            member_id(member)
        };
        let list = self
            .db
            .get_user_active_quests(&gid, &user.to_string())
            .await?;
        if list.is_empty() {
            return Ok("  no active quests\n".to_string());
        }
        let now = self.clock.now();
        let mut out = if member.is_empty() {
            "  📜 active quests\n".to_string()
        } else {
            format!("  📜 quests of {member}\n")
        };
        for q in list {
            let (progress, done) = q
                .progress
                .as_ref()
                .map_or((0, false), |p| (p.progress, p.completed));
            let expires = self
                .engine
                .pipeline()
                .quests()
                .quest_expiry(&q.quest)
                .await?;
            let left = match expires {
                Some(e) if e > now => human(e - now),
                Some(_) => "ended".to_string(),
                None => "no time limit".to_string(),
            };
            let shown = progress.min(q.quest.requirement_value);
            let _ = writeln!(
                out,
                "  {} {:<32} {} {}/{} · {} XP{} · {} · {}",
                if done { "✅" } else { "▫️" },
                q.quest.name,
                bar(shown, q.quest.requirement_value, 10),
                shown,
                q.quest.requirement_value,
                q.quest.reward_xp,
                if q.quest.reward_multiplier != 1.0 {
                    format!(" + {}× XP", q.quest.reward_multiplier)
                } else {
                    String::new()
                },
                crate::engine::wit::cycle_name(parse_cycle(&q.quest.refresh_cycle)),
                left
            );
        }
        Ok(out)
    }

    async fn achievements(&mut self, member: &str) -> Result<String, EngineError> {
        let gid = GUILD.to_string();
        let earned = self
            .db
            .get_user_achievements(&gid, &member_id(member).to_string())
            .await?;
        let all = self.db.list_achievements(&gid).await?;
        let mut out = format!(
            "  🎖️ achievements of {member}: {} of {}\n",
            earned.len(),
            all.len()
        );
        for (ua, a) in &earned {
            let _ = writeln!(
                out,
                "  ✅ {:<24} {} (+{} XP, {})",
                a.name,
                a.description,
                a.reward_xp,
                ua.earned_at.format("%Y-%m-%d %H:%M")
            );
        }
        Ok(out)
    }

    /// Prints what the last flush released.
    async fn render_effects(&mut self) -> String {
        let mut out = String::new();
        for e in self.sink.take() {
            let line = match e {
                Effect::XpGained {
                    user,
                    gained,
                    total_xp,
                    level,
                    ..
                } => {
                    let n = self.name_of(user).await;
                    format!("  {n} {gained:+} XP → {total_xp} XP, level {level}")
                }
                Effect::LevelUp { message, .. } => format!("  {}", self.mentions(&message).await),
                Effect::RoleAdd {
                    user, role, level, ..
                } => {
                    format!(
                        "  ➕ {} gets role {role} (level {level} reward)",
                        self.name_of(user).await
                    )
                }
                Effect::RoleRemove { user, role, .. } => {
                    format!("  ➖ {} loses role {role}", self.name_of(user).await)
                }
                Effect::QuestCompleted { message, .. }
                | Effect::AchievementEarned { message, .. } => {
                    format!("  {}", self.mentions(&message).await)
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// Replaces `<@id>` mentions with `@name`.
    async fn mentions(&mut self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("<@") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after
                .find('>')
                .and_then(|end| after[..end].parse::<u64>().ok().map(|id| (end, id)))
            {
                Some((end, id)) => {
                    out.push('@');
                    out.push_str(&self.name_of(id).await);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str("<@");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// A text progress bar.
pub fn bar(value: i64, max: i64, width: usize) -> String {
    let filled = if max <= 0 {
        width
    } else {
        usize::try_from((value.clamp(0, max) as i128 * width as i128 / max as i128) as i64)
            .unwrap_or(0)
    };
    format!(
        "[{}{}]",
        "█".repeat(filled),
        "░".repeat(width - filled.min(width))
    )
}

/// `3d 4h`, `5h 10m`, `12m`.
pub fn human(d: chrono::Duration) -> String {
    let mins = d.num_minutes();
    let (days, hours, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    if days > 0 {
        format!("{days}d {hours}h left")
    } else if hours > 0 {
        format!("{hours}h {m}m left")
    } else {
        format!("{m}m left")
    }
}
