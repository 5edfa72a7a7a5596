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
use crate::commands::{Commands, MANAGE_GUILD, Request, SharedEngine};
use crate::db::Db;
use crate::engine::quests::ENGINE_KV;
use crate::engine::wit::hash_str;
use crate::engine::{
    Activity, ActivityKind, Clock, CommandCall, CommandOutcome, Effect, EffectSink, Engine,
    EngineError, OffsetClock, Pipeline, VoiceChange, XpChange,
};
use crate::plugins::{OptionKind, OptionValue};

/// The console's guild.
pub const GUILD: u64 = 1;
/// Its text channel (#general) and voice channel.
pub const TEXT_CHANNEL: u64 = 10;
pub const VOICE_CHANNEL: u64 = 20;
pub const GUILD_NAME: &str = "Questline Console";

const CLOCK_KEY: &str = "console.clock";

/// Who the console's operator is in the audit log (they administer the local guild).
pub const CONSOLE_ADMIN: &str = "console-admin";

/// The text after `name=` (or the whole word), for option values.
fn value_text(raw: &str) -> &str {
    raw.split_once('=')
        .map_or(raw, |(_, v)| v)
        .trim_start_matches('@')
}

/// A console word as a plugin command option (members by name become user ids later).
fn console_option(kind: OptionKind, raw: &str) -> Option<OptionValue> {
    let v = raw.trim_start_matches('@');
    Some(match kind {
        OptionKind::String => OptionValue::String(raw.to_string()),
        OptionKind::Integer => OptionValue::Integer(v.parse().ok()?),
        OptionKind::Number => OptionValue::Number(v.parse::<f64>().ok().filter(|n| n.is_finite())?),
        OptionKind::Boolean => OptionValue::Boolean(match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => true,
            "false" | "no" | "off" | "0" => false,
            _ => return None,
        }),
        OptionKind::User => OptionValue::User(0),
        OptionKind::Channel => OptionValue::Channel(v.parse().ok()?),
        OptionKind::Role => OptionValue::Role(v.parse().ok()?),
    })
}

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
    /// The engine, shared with `commands` (taken at the end to shut it down).
    pub engine: SharedEngine,
    pipeline: Arc<Pipeline>,
    /// `/rank`, `/leaderboard`, `/quests` and `/achievements` run through the same command
    /// code as on Discord, so both always agree.
    commands: Commands,
    pub db: Db,
    pub clock: OffsetClock,
    pub sink: Arc<ConsoleSink>,
    names: HashMap<u64, String>,
    last_speaker: Option<String>,
    last_message: Option<u64>,
    next_message_id: u64,
    /// Where `/rank` writes rank cards.
    cards: Option<std::path::PathBuf>,
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
            .kv_get(GUILD, ENGINE_KV, CLOCK_KEY)
            .await
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|d| d.with_timezone(&Utc));
        OffsetClock::starting_at(saved.unwrap_or_else(Utc::now))
    }

    pub fn new(
        engine: Engine,
        commands: impl FnOnce(SharedEngine) -> Commands,
        db: Db,
        clock: OffsetClock,
        sink: Arc<ConsoleSink>,
    ) -> Self {
        let next_message_id = u64::try_from(clock.now().timestamp_millis()).unwrap_or(1) * 1000;
        let pipeline = engine.shared_pipeline();
        let engine = SharedEngine::new(engine);
        Self {
            commands: commands(engine.clone()),
            engine,
            pipeline,
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

    /// Makes `/rank` write the member's rank card to a PNG file in `dir`.
    pub fn with_cards(mut self, dir: std::path::PathBuf) -> Self {
        self.cards = Some(dir);
        self
    }

    /// Runs a built-in command as `member` (the console's operator administers the local
    /// guild) through [`Commands::handle`], as Discord does, and prints its answer: mentions
    /// as names, Discord's bold and code marks dropped, a rank card written to a file.
    async fn builtin(
        &mut self,
        name: &str,
        member: &str,
        options: Vec<(String, crate::commands::OptionValue)>,
    ) -> String {
        self.builtin_sub(name, None, member, options).await
    }

    /// [`Self::builtin`] with a subcommand (`/season start`).
    async fn builtin_sub(
        &mut self,
        name: &str,
        subcommand: Option<&str>,
        member: &str,
        options: Vec<(String, crate::commands::OptionValue)>,
    ) -> String {
        let user = if member.is_empty() {
            0
        } else {
            self.remember(member).await
        };
        let req = Request {
            guild: GUILD,
            guild_name: Some(GUILD_NAME.to_string()),
            channel: TEXT_CHANNEL,
            user,
            user_name: member.to_string(),
            permissions: MANAGE_GUILD,
            roles: Vec::new(),
            name: name.to_string(),
            subcommand: subcommand.map(str::to_string),
            options,
            names: self.names.clone(),
            at: self.clock.now(),
        };
        let reply = self.commands.handle(&req).await;
        let mut out = String::new();
        for line in reply.text().lines() {
            let line = self.mentions(line).await.replace("**", "").replace('`', "");
            let _ = writeln!(out, "  {line}");
        }
        if let (Some(card), Some(dir)) = (&reply.attachment, &self.cards) {
            let path = dir.join(format!("rank-{member}.png"));
            match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, &card.bytes)) {
                Ok(()) => {
                    let _ = writeln!(out, "  rank card: {}", path.display());
                }
                Err(e) => {
                    let _ = writeln!(out, "  ! cannot write {}: {e}", path.display());
                }
            }
        }
        out
    }

    /// The member's id, their name kept in the member directory (what the web pages and
    /// later sessions show).
    async fn remember(&mut self, name: &str) -> u64 {
        let id = member_id(name);
        if self.names.insert(id, name.to_string()).is_none() {
            let profile = crate::db::MemberProfile::new(id, name, None);
            if let Err(e) = self.db.upsert_member_profiles(GUILD, &[profile]).await {
                tracing::warn!(member = name, error = %e, "member name not saved");
            }
        }
        id
    }

    async fn name_of(&mut self, id: u64) -> String {
        if let Some(n) = self.names.get(&id) {
            return n.clone();
        }
        let profile = self.db.member_profile(GUILD, id).await.ok().flatten();
        let stored = match profile {
            Some(p) => p.display_name,
            // Sessions of earlier versions kept names in the engine's key-value store.
            None => self
                .db
                .kv_get(GUILD, ENGINE_KV, &format!("console.name.{id}"))
                .await
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_else(|| format!("member {id}")),
        };
        self.names.insert(id, stored.clone());
        stored
    }

    fn activity(&self, name: &str, user: u64, channel: u64, kind: ActivityKind) -> Activity {
        let mut a = Activity::new(GUILD, channel, user, self.clock.now(), kind).named(name);
        a.guild_name = Some(GUILD_NAME.to_string());
        a
    }

    async fn submit(&mut self, a: Activity) -> Result<String, EngineError> {
        {
            let engine = self.engine.get().await;
            let engine = engine.as_ref().ok_or(EngineError::Closed)?;
            engine.submit(a).await?;
            engine.flush().await?;
        }
        Ok(self.render_effects().await)
    }

    /// Waits until everything submitted is committed.
    async fn flush(&self) -> Result<(), EngineError> {
        let engine = self.engine.get().await;
        engine.as_ref().ok_or(EngineError::Closed)?.flush().await
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
            ConsoleInput::PurgeCaches => {
                let dropped = self.db.purge_caches();
                Ok(format!(
                    "  caches purged ({dropped} entries); the next reads come from the database\n"
                ))
            }
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
        let now = self.clock.advance(by)?;
        let _ = self
            .db
            .kv_set(GUILD, ENGINE_KV, CLOCK_KEY, now.to_rfc3339().as_bytes())
            .await;
        let mut out = format!("  ⏩ clock: {}\n", now.format("%Y-%m-%d %H:%M UTC (%A)"));
        self.flush().await?;
        let reports = self.pipeline.ensure_guild(GUILD).await?;
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
        {
            let engine = self.engine.get().await;
            engine.as_ref().ok_or(EngineError::Closed)?.tick().await?;
        }
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
        if name == "xp" {
            return self.xp(args).await;
        }
        if let Some(out) = self.board_command(name, args).await {
            return Ok(out);
        }
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
                Some(m) => self.builtin("rank", m, Vec::new()).await,
                None => "  ! whose rank? e.g. `/rank alice`\n".to_string(),
            },
            "quests" => match &who {
                Some(m) => self.builtin("quests", m, Vec::new()).await,
                None => "  ! whose quests? e.g. `/quests alice`\n".to_string(),
            },
            "achievements" => match &who {
                Some(m) => self.builtin("achievements", m, Vec::new()).await,
                None => "  ! whose achievements? e.g. `/achievements alice`\n".to_string(),
            },
            other => {
                let (member, rest) = match args.split_first() {
                    Some((_, rest)) => (who.clone(), rest),
                    None => (who.clone(), args),
                };
                self.plugin_command(other, member.as_deref(), rest).await?
            }
        };
        Ok(format!("{body}{out}"))
    }

    /// The boards and seasons, which name no member: `/leaderboard [week|month|season]
    /// [page]`, `/seasons [name]`, and the admin's `/season start NAME [ends=30d] [top=N]
    /// [reset]` and `/season end`. `None` for other commands.
    async fn board_command(&mut self, name: &str, args: &[String]) -> Option<String> {
        use crate::commands::OptionValue;
        let asker = self.last_speaker.clone().unwrap_or_default();
        let text = |v: &str| OptionValue::String(v.to_string());
        Some(match name {
            "leaderboard" | "lb" | "top" => {
                let mut options = Vec::new();
                for a in args {
                    match a.parse::<i64>() {
                        Ok(page) => options.push(("page".to_string(), OptionValue::Integer(page))),
                        Err(_) => options.push(("period".to_string(), text(&a.to_lowercase()))),
                    }
                }
                self.builtin("leaderboard", &asker, options).await
            }
            "seasons" => {
                let options = match args.join(" ") {
                    n if n.is_empty() => Vec::new(),
                    n => vec![("name".to_string(), text(&n))],
                };
                self.builtin("seasons", &asker, options).await
            }
            "season" => {
                let Some((sub, rest)) = args.split_first() else {
                    return Some(
                        "  ! usage: /season start NAME [ends=30d] [top=N] [reset], or /season end\n"
                            .to_string(),
                    );
                };
                let mut options = Vec::new();
                let mut words = Vec::new();
                for a in rest {
                    match a.split_once('=') {
                        Some(("ends", v)) => options.push(("ends".to_string(), text(v))),
                        Some(("top", v)) => options.push((
                            "top".to_string(),
                            OptionValue::Integer(v.parse().unwrap_or(0)),
                        )),
                        _ if a == "reset" => {
                            options.push(("reset".to_string(), OptionValue::Boolean(true)))
                        }
                        _ => words.push(a.as_str()),
                    }
                }
                if !words.is_empty() {
                    options.push(("name".to_string(), text(&words.join(" "))));
                }
                let out = self
                    .builtin_sub("season", Some(sub.as_str()), CONSOLE_ADMIN, options)
                    .await;
                format!("{out}{}", self.render_effects().await)
            }
            _ => return None,
        })
    }

    /// `/xp add|remove|set|reset NAME [AMOUNT] [reason...]`, as the console's operator
    /// (who is the guild's admin), through the same audited path as Discord's `/xp`.
    async fn xp(&mut self, args: &[String]) -> Result<String, EngineError> {
        const USAGE: &str =
            "  ! usage: /xp add|remove|set NAME AMOUNT [reason], or /xp reset NAME [reason]\n";
        let (Some(action), Some(member)) = (args.first(), args.get(1)) else {
            return Ok(USAGE.to_string());
        };
        let member = member.trim_start_matches('@').to_lowercase();
        let amount = |i: usize| -> Result<i64, String> {
            let raw = args.get(i).ok_or_else(|| USAGE.to_string())?;
            raw.parse::<i64>()
                .map_err(|_| format!("  ! `{raw}` is not a whole number of XP\n"))
        };
        let parsed = match action.as_str() {
            "add" => amount(2).map(|a| (XpChange::Add(a), 3)),
            "remove" => amount(2).map(|a| (XpChange::Remove(a), 3)),
            "set" => amount(2).map(|a| (XpChange::Set(a), 3)),
            "reset" => Ok((XpChange::Reset, 2)),
            _ => Err(USAGE.to_string()),
        };
        let (change, reason_at) = match parsed {
            Ok(p) => p,
            Err(msg) => return Ok(msg),
        };
        let reason = args
            .get(reason_at..)
            .map(|r| r.join(" "))
            .filter(|r| !r.is_empty());
        let user = self.remember(&member).await;
        let done = match self
            .pipeline
            .adjust_xp(GUILD, user, change, member_id(CONSOLE_ADMIN), reason)
            .await
        {
            Ok(done) => done,
            Err(EngineError::InvalidInput(msg)) => return Ok(format!("  ! {msg}\n")),
            Err(e) => return Err(e),
        };
        let o = done.outcome;
        let mut out = format!(
            "  {member}: {} XP -> {} XP (level {} -> {}), recorded in the audit log\n",
            o.old_xp, o.new_xp, o.old_level, o.new_level
        );
        out.push_str(&self.render_effects().await);
        Ok(out)
    }

    /// Runs a plugin's command as `member` (the last speaker when not named); `rest` are the
    /// option values in the order the plugin declares them, or `name=value`.
    async fn plugin_command(
        &mut self,
        name: &str,
        member: Option<&str>,
        rest: &[String],
    ) -> Result<String, EngineError> {
        let pipeline = self.pipeline.clone();
        let commands = pipeline.plugin_commands().await;
        let Some(cmd) = commands.get(name) else {
            let mut known: Vec<&str> = vec![
                "rank",
                "leaderboard",
                "seasons",
                "season",
                "quests",
                "achievements",
                "xp",
            ];
            known.extend(commands.keys().map(String::as_str));
            return Ok(format!(
                "  ! no command /{name}; commands here: /{}\n",
                known.join(", /")
            ));
        };
        let Some(member) = member else {
            return Ok(format!("  ! who runs it? e.g. `/{name} alice`\n"));
        };
        let user = self.remember(member).await;
        let mut options = Vec::new();
        let mut positional = cmd.spec.options.iter();
        for raw in rest {
            let (opt, value) = match raw.split_once('=') {
                Some((k, v)) => match cmd.spec.options.iter().find(|o| o.name == k) {
                    Some(o) => (o, v),
                    None => return Ok(format!("  ! /{name} has no option `{k}`\n")),
                },
                None => match positional.next() {
                    Some(o) => (o, raw.as_str()),
                    None => {
                        return Ok(format!("  ! /{name} takes no more options (got `{raw}`)\n"));
                    }
                },
            };
            let value = match console_option(opt.kind, value) {
                Some(v) => v,
                None => {
                    return Ok(format!(
                        "  ! `{value}` is not a valid {:?} for option `{}` of /{name}\n",
                        opt.kind, opt.name
                    ));
                }
            };
            let value = match value {
                OptionValue::User(_) => OptionValue::User(self.remember(value_text(raw)).await),
                v => v,
            };
            options.push((opt.name.clone(), value));
        }
        if let Some(missing) = cmd
            .spec
            .options
            .iter()
            .find(|o| o.required && !options.iter().any(|(n, _)| *n == o.name))
        {
            return Ok(format!(
                "  ! /{name} needs `{}` ({})\n",
                missing.name, missing.description
            ));
        }
        let outcome = self
            .pipeline
            .run_plugin_command(CommandCall {
                guild: GUILD,
                channel: TEXT_CHANNEL,
                user,
                roles: Vec::new(),
                is_admin: true,
                name: name.to_string(),
                options,
            })
            .await?;
        let mut out = String::new();
        match outcome {
            None => out.push_str(&format!("  ! /{name} is no longer loaded\n")),
            Some(CommandOutcome::Refused(msg)) => {
                let _ = writeln!(out, "  ! {}", self.mentions(&msg).await);
            }
            Some(CommandOutcome::Done {
                replies, grants, ..
            }) => {
                for r in replies {
                    let private = if r.ephemeral {
                        " (only you see this)"
                    } else {
                        ""
                    };
                    if !r.content.is_empty() {
                        let _ = writeln!(out, "  {}{private}", self.mentions(&r.content).await);
                    }
                    if let Some(e) = r.embed {
                        for text in e.title.iter().chain(&e.description) {
                            let _ = writeln!(out, "  | {}", self.mentions(text).await);
                        }
                        for f in e.fields {
                            let _ =
                                writeln!(out, "  | {}: {}", f.name, self.mentions(&f.value).await);
                        }
                    }
                }
                for g in grants {
                    let o = g.outcome;
                    let _ = writeln!(
                        out,
                        "  +{} XP ({} XP, level {})",
                        o.new_xp - o.old_xp,
                        o.new_xp,
                        o.new_level
                    );
                }
            }
        }
        out.push_str(&self.render_effects().await);
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
                | Effect::AchievementEarned { message, .. }
                | Effect::Announcement { message, .. } => {
                    // Every line indented, like command answers.
                    self.mentions(&message)
                        .await
                        .lines()
                        .map(|l| format!("  {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// Replaces `<@id>` mentions with `@name`, and Discord's timestamps (`<t:secs:style>`)
    /// with the UTC time they show.
    async fn mentions(&mut self, text: &str) -> String {
        let text: &str = &timestamps(text);
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

/// `<t:1796747495:f>` (Discord's timestamp markup) as `2026-12-08 16:31 UTC`; anything else
/// is kept as it is.
fn timestamps(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<t:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let shown = after.find('>').and_then(|end| {
            let secs = after[..end].split(':').next()?.parse::<i64>().ok()?;
            let at = chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0)?;
            Some((end, at.format("%Y-%m-%d %H:%M UTC").to_string()))
        });
        match shown {
            Some((end, at)) => {
                out.push_str(&at);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("<t:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod timestamp_tests {
    #[test]
    fn discord_timestamps_read_as_utc_times() {
        assert_eq!(
            super::timestamps("ends <t:1796747495:f> (<t:1796747495:R>) or <t:x> <t:5"),
            "ends 2026-12-08 16:31 UTC (2026-12-08 16:31 UTC) or <t:x> <t:5"
        );
    }
}
