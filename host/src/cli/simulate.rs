//! `questline simulate --events FILE.jsonl [--seed N]`: replays activities through the full
//! pipeline (real plugins, real database) and prints a summary.
//!
//! Batches are cut deterministically (every `batch_max_events` events, and at every UTC
//! hour so quest resets, which happen on the hour, fall between batches), the clock is the
//! events' time, and plugin randomness is seeded from `--seed` and the event's position: the
//! same file and seed on a fresh database give the same results, byte for byte.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Timelike, Utc};
use serde_json::Value;

use crate::config::Config;
use crate::engine::{
    Activity, ActivityKind, BatchReport, EngineCounters, EngineDeps, ManualClock, NullSink,
    Pipeline, VoiceChange, boot,
};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The activities, one JSON object per line.
    #[arg(long)]
    pub events: PathBuf,
    /// Seed of the plugins' randomness; the same seed replays the same run.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Parses one line of a simulation file.
pub fn parse_line(line: &str) -> Result<Activity, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON ({e})"))?;
    let obj = v.as_object().ok_or("expected a JSON object")?;
    let text = |k: &str| -> Result<&str, String> {
        obj.get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("missing string field `{k}`"))
    };
    let id = |k: &str| -> Result<u64, String> {
        match obj.get(k) {
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| format!("`{k}` must be a numeric id, got `{s}`")),
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| format!("`{k}` must be a positive id")),
            _ => Err(format!("missing id field `{k}`")),
        }
    };
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(text("t")?)
        .map_err(|e| format!("`t` must be an RFC 3339 time like 2026-01-05T10:00:00Z ({e})"))?
        .with_timezone(&Utc);
    let kind = match text("kind")? {
        "message" => ActivityKind::Message {
            id: id("id")?,
            length: obj
                .get("length")
                .and_then(Value::as_u64)
                .map_or(0, |l| u32::try_from(l).unwrap_or(u32::MAX)),
        },
        "reaction" => ActivityKind::Reaction {
            message: id("message")?,
            emoji: obj
                .get("emoji")
                .and_then(Value::as_str)
                .unwrap_or("👍")
                .to_string(),
        },
        "voice" => ActivityKind::Voice(match text("state")? {
            "join" | "move" => VoiceChange::Join {
                channel: id("channel")?,
            },
            "leave" => VoiceChange::Leave,
            "mute" => VoiceChange::Mute,
            "unmute" => VoiceChange::Unmute,
            "deafen" => VoiceChange::Deafen,
            "undeafen" => VoiceChange::Undeafen,
            other => {
                return Err(format!(
                    "unknown voice state `{other}` (join, move, leave, mute, unmute, deafen, undeafen)"
                ));
            }
        }),
        "command" => ActivityKind::Command {
            name: text("name")?.to_string(),
        },
        other => {
            return Err(format!(
                "unknown kind `{other}` (message, reaction, voice or command)"
            ));
        }
    };
    let mut a = Activity::new(id("guild")?, id("channel")?, id("user")?, at, kind);
    if let Some(roles) = obj.get("roles").and_then(Value::as_array) {
        a.roles = roles
            .iter()
            .map(|r| match r {
                Value::String(s) => s
                    .parse::<u64>()
                    .map_err(|_| format!("role `{s}` is not a numeric id")),
                Value::Number(n) => n
                    .as_u64()
                    .ok_or_else(|| "roles must be positive ids".to_string()),
                _ => Err("roles must be ids".to_string()),
            })
            .collect::<Result<_, _>>()?;
    }
    if obj.contains_key("parent") {
        a.parent_channel = Some(id("parent")?);
    }
    a.user_name = obj.get("name").and_then(Value::as_str).map(str::to_string);
    Ok(a)
}

/// Totals of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub events: usize,
    pub malformed: usize,
    pub level_ups: usize,
    pub quests_completed: usize,
    pub achievements_earned: usize,
    pub failed_guild_batches: usize,
}

impl Summary {
    fn add(&mut self, r: &BatchReport) {
        self.level_ups += r.level_ups;
        self.quests_completed += r.quests_completed;
        self.achievements_earned += r.achievements_earned;
        self.failed_guild_batches += r.failed_guilds;
    }
}

pub async fn run(config: &Config, args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.events)
        .with_context(|| format!("cannot read the events file {}", args.events.display()))?;
    let mut summary = Summary::default();
    let mut activities: Vec<(u64, Activity)> = Vec::new();
    // Line by line as bytes, so a line that is not UTF-8 is one malformed line (named, and
    // the rest still replayed), not an unreadable file.
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let Ok(line) = std::str::from_utf8(raw) else {
            summary.malformed += 1;
            eprintln!(
                "{}:{}: skipped: not UTF-8 text; save the file as UTF-8",
                args.events.display(),
                i + 1
            );
            continue;
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(a) => activities.push((i as u64 + 1, a)),
            Err(e) => {
                summary.malformed += 1;
                eprintln!("{}:{}: skipped: {e}", args.events.display(), i + 1);
            }
        }
    }
    summary.events = activities.len();
    let (db, plugins) = boot::open(&config.database, &config.plugins, true)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                crate::db::redact_url(&config.database.url)
            )
        })?;
    let start = activities.first().map_or_else(Utc::now, |(_, a)| a.at);
    let clock = ManualClock::new(start);
    let mut engine_config = config.engine.clone();
    engine_config.seed = Some(args.seed.unwrap_or_else(rand::random));
    let max = engine_config.batch_max_events.max(1);
    let pipeline = Pipeline::new(
        EngineDeps {
            db,
            plugins,
            clock: Arc::new(clock.clone()),
            sink: Arc::new(NullSink),
        },
        engine_config,
        Arc::new(EngineCounters::default()),
    );
    let started = Instant::now();
    let mut batch: Vec<(u64, Activity)> = Vec::new();
    let hour = |a: &Activity| {
        a.at.with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
    };
    for (seq, a) in activities {
        if batch.first().is_some_and(|(_, f)| hour(f) != hour(&a)) || batch.len() >= max {
            summary.add(&run_batch(&pipeline, &clock, std::mem::take(&mut batch)).await);
            wait_while_paused(&pipeline, &clock, &mut summary).await;
        }
        batch.push((seq, a));
    }
    summary.add(&run_batch(&pipeline, &clock, batch).await);
    wait_while_paused(&pipeline, &clock, &mut summary).await;
    summary.add(&pipeline.tick().await);
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!("events:              {}", summary.events);
    println!("malformed lines:     {}", summary.malformed);
    println!("level-ups:           {}", summary.level_ups);
    println!("quests completed:    {}", summary.quests_completed);
    println!("achievements earned: {}", summary.achievements_earned);
    println!("events/s:            {:.0}", summary.events as f64 / secs);
    // Batches that failed and were committed on a later try lost nothing; what counts is
    // what was given up and what is still held.
    let lost = pipeline.counters().snapshot().failed_events + pipeline.pending_retry() as u64;
    if lost > 0 {
        eprintln!(
            "warning: {} guild batches failed to commit; {lost} events were not applied (see the log)",
            summary.failed_guild_batches,
        );
        return Ok(ExitCode::FAILURE);
    }
    if summary.failed_guild_batches > 0 {
        eprintln!(
            "note: {} guild batches failed to commit at first and were committed on a later try; nothing was lost",
            summary.failed_guild_batches
        );
    }
    Ok(if summary.malformed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// While the database's storage is full, reads no further and retries what is held every
/// second (the engine said why, once; it resumes by itself when space returns).
async fn wait_while_paused(pipeline: &Pipeline, clock: &ManualClock, summary: &mut Summary) {
    while pipeline.intake().paused().is_some() {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        summary.add(&run_batch(pipeline, clock, Vec::new()).await);
    }
}

async fn run_batch(
    pipeline: &Pipeline,
    clock: &ManualClock,
    batch: Vec<(u64, Activity)>,
) -> BatchReport {
    if let Some((_, last)) = batch.last() {
        clock.set(last.at);
    }
    pipeline.process(batch).await
}
