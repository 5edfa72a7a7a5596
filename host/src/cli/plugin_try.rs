//! `questline plugin try FILE.wasm --events F.jsonl [--settings S.json] [--seed N] [--watch]`:
//! a plugin author's loop without Discord. The plugin runs with the bundled plugins for the
//! other kinds on a scratch guild (an in-memory database, nothing kept), one activity at a
//! time, and what it decided is printed per activity: XP, level-ups, quest progress and
//! completions, achievements. The plugin's own log lines go to stderr as they happen, and its
//! call count and times are printed at the end. With `--watch` the run starts again whenever
//! the file changes (after a `cargo build`, say).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};

use crate::config::Config;
use crate::db::{PluginSettings, ServerSetting};
use crate::engine::{
    Activity, ActivityKind, CollectingSink, Effect, EngineCounters, EngineDeps, ManualClock,
    Pipeline, boot,
};
use crate::plugins::{PluginCallStats, PluginInfo, PluginKind};

#[derive(Debug, clap::Args)]
pub struct TryArgs {
    /// The plugin to try (a `.wasm` component).
    pub file: PathBuf,
    /// The activities, one JSON object per line (the format of `questline simulate`).
    #[arg(long)]
    pub events: PathBuf,
    /// The plugin's settings for the scratch guild, as a JSON object.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Seed of the plugins' randomness; the same seed replays the same run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run again whenever the plugin file changes (stop with Ctrl-C).
    #[arg(long)]
    pub watch: bool,
}

pub async fn run(config: &Config, args: TryArgs) -> anyhow::Result<ExitCode> {
    if !args.watch {
        return once(config, &args).await;
    }
    let mut seen = modified(&args.file);
    loop {
        if let Err(e) = once(config, &args).await {
            println!("error: {e:#}");
        }
        println!("\nwatching {} (Ctrl-C stops)", args.file.display());
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = modified(&args.file);
            if now != seen {
                seen = now;
                // Let a build finish writing the file.
                tokio::time::sleep(Duration::from_millis(300)).await;
                println!("\n{} changed: running again\n", args.file.display());
                break;
            }
        }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// One run on a fresh scratch guild.
async fn once(config: &Config, args: &TryArgs) -> anyhow::Result<ExitCode> {
    let activities = read_events(&args.events)?;
    let settings = match &args.settings {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the settings file {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not JSON; settings are one JSON object",
                    path.display()
                )
            })?;
            if !value.is_object() {
                bail!(
                    "{} must hold a JSON object such as {{\"min_xp\": 20}}",
                    path.display()
                );
            }
            Some(value)
        }
        None => None,
    };

    // A scratch world: an in-memory database and an empty plugin directory; the compile
    // cache is the configured one, so a second run starts at once.
    let mut database = config.database.clone();
    database.url = "sqlite::memory:".into();
    database.max_connections = 1;
    database.min_connections = 1;
    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let mut plugins = config.plugins.clone();
    plugins.dir = scratch.path().join("plugins");
    plugins.hot_reload = false;
    let (db, host) = boot::open(&database, &plugins, false)
        .await
        .context("cannot start the scratch guild")?;
    let info = match host.load_file(&args.file) {
        Ok(info) => info,
        Err(err) => {
            println!("FAILED: {} is not a usable plugin", args.file.display());
            println!("  reason: {err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("{}", headline(&info, &args.file));
    // The settings are checked as `/plugins config` checks them, so what runs here is what a
    // server could set.
    if let (Some(value), Some(schema)) = (&settings, host.settings_schema(&info.name)) {
        schema.validate(value).map_err(|problems| {
            anyhow::anyhow!(
                "the settings in {} do not fit the plugin's settings schema: {problems}",
                args.settings.as_deref().unwrap_or(Path::new("")).display()
            )
        })?;
    }

    let mut guilds: Vec<u64> = activities.iter().map(|a| a.guild).collect();
    guilds.sort_unstable();
    guilds.dedup();
    for &guild in &guilds {
        if info.kinds.contains(&PluginKind::XpFormula) {
            db.update_server_config(
                guild,
                ServerSetting::XpFormulaPlugin(Some(info.name.clone())),
            )
            .await?;
        }
        if let Some(value) = &settings {
            let stored = PluginSettings {
                enabled: true,
                config: value.clone(),
            };
            db.set_plugin_settings(guild, &info.name, &stored).await?;
        }
    }

    let start = activities.first().map_or_else(chrono::Utc::now, |a| a.at);
    let clock = ManualClock::new(start);
    let sink = Arc::new(CollectingSink::new());
    let mut engine = config.engine.clone();
    engine.seed = Some(args.seed);
    let pipeline = Pipeline::new(
        EngineDeps {
            db: db.clone(),
            plugins: host.clone(),
            clock: Arc::new(clock.clone()),
            sink: sink.clone(),
        },
        engine,
        Arc::new(EngineCounters::default()),
    );
    // Counted from here: the load's level-curve check is not the run's work.
    let before = calls_of(&host, &info.name);
    // The guild's quests of the first day, as the scheduler makes them.
    pipeline.tick().await;
    sink.take();

    let mut progress: HashMap<(u64, u64, i64), i64> = HashMap::new();
    for (i, a) in activities.into_iter().enumerate() {
        clock.set(a.at);
        let (guild, user) = (a.guild, a.user);
        let line = describe(&a);
        pipeline.process(vec![(i as u64 + 1, a)]).await;
        let mut out = format!("{line}\n");
        for e in sink.take() {
            if let Some(text) = effect_line(&e) {
                let _ = writeln!(out, "    {text}");
            }
        }
        for uq in db.get_user_active_quests(guild, user).await? {
            let Some(p) = &uq.progress else { continue };
            let key = (guild, user, uq.quest.id);
            if progress.insert(key, p.progress) != Some(p.progress) && !p.completed {
                let _ = writeln!(
                    out,
                    "    quest “{}”: {}/{}",
                    uq.quest.name, p.progress, uq.quest.requirement_value
                );
            }
        }
        print!("{out}");
    }

    let failed = report_calls(&info.name, before, calls_of(&host, &info.name));
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn headline(info: &PluginInfo, file: &Path) -> String {
    let kinds: Vec<&str> = info.kinds.iter().map(|k| k.as_str()).collect();
    format!(
        "trying {} {} ({}) from {}, with the bundled plugins for everything else\n",
        info.name,
        info.version,
        kinds.join(", "),
        file.display()
    )
}

fn read_events(path: &Path) -> anyhow::Result<Vec<Activity>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the events file {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let a = super::simulate::parse_line(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        out.push(a);
    }
    if out.is_empty() {
        bail!(
            "{} holds no activities; write one JSON object per line, e.g. {}",
            path.display(),
            r#"{"t":"2026-01-05T10:00:00Z","kind":"message","guild":"1","channel":"10","user":"100","id":"1","length":42}"#
        );
    }
    Ok(out)
}

/// `2026-01-05 10:00:05 user 100: message (42 characters) in 10`.
fn describe(a: &Activity) -> String {
    // A command's `name` field is the command's, not the member's.
    let who = match (&a.kind, &a.user_name) {
        (ActivityKind::Command { .. }, _) | (_, None) => format!("user {}", a.user),
        (_, Some(name)) => name.clone(),
    };
    let what = match &a.kind {
        ActivityKind::Message { length, .. } => format!("message ({length} characters)"),
        ActivityKind::Reaction { emoji, .. } => format!("reaction {emoji}"),
        ActivityKind::Voice(change) => format!("voice {change:?}").to_lowercase(),
        ActivityKind::Command { name } => format!("/{name}"),
    };
    format!(
        "{} {who}: {what} in {}",
        a.at.format("%Y-%m-%d %H:%M:%S"),
        a.channel
    )
}

/// What an effect says, in a line (role changes name the role id).
fn effect_line(e: &Effect) -> Option<String> {
    Some(match e {
        Effect::XpGained {
            gained,
            total_xp,
            level,
            ..
        } => format!("{gained:+} XP → {total_xp} XP, level {level}"),
        Effect::LevelUp { new_level, .. } => format!("level up → {new_level}"),
        Effect::RoleAdd { role, .. } => format!("gets role {role}"),
        Effect::RoleRemove { role, .. } => format!("loses role {role}"),
        Effect::QuestCompleted {
            name, reward_xp, ..
        } => format!("quest “{name}” completed (+{reward_xp} XP)"),
        Effect::AchievementEarned {
            name, reward_xp, ..
        } => format!("achievement “{name}” earned (+{reward_xp} XP)"),
        Effect::Announcement { .. } => return None,
    })
}

/// The plugin's call statistics now, if it was called.
fn calls_of(host: &crate::plugins::PluginHost, name: &str) -> Option<PluginCallStats> {
    host.call_stats().into_iter().find(|s| s.plugin == name)
}

/// Prints the plugin's calls between two snapshots and their times (an xp-formula's include
/// the level table the engine reads once per guild); returns the failed ones.
fn report_calls(
    name: &str,
    before: Option<PluginCallStats>,
    after: Option<PluginCallStats>,
) -> u64 {
    let Some(after) = after else {
        println!("\n{name}: no calls");
        return 0;
    };
    let (calls0, failures0, count0, sum0, buckets0) = match &before {
        Some(b) => (
            b.calls,
            b.failures,
            b.durations.count,
            b.durations.sum,
            b.durations.buckets.clone(),
        ),
        None => (0, 0, 0, 0, Vec::new()),
    };
    let calls = after.calls - calls0.min(after.calls);
    let failures = after.failures - failures0.min(after.failures);
    let count = after.durations.count.saturating_sub(count0);
    let mean = after
        .durations
        .sum
        .saturating_sub(sum0)
        .checked_div(count)
        .unwrap_or(0);
    // The smallest bucket bound holding 99% of the run's calls (buckets are cumulative).
    let p99 = after
        .durations
        .buckets
        .iter()
        .map(|(bound, n)| {
            let earlier = buckets0
                .iter()
                .find(|(b, _)| b == bound)
                .map_or(0, |(_, m)| *m);
            (*bound, n.saturating_sub(earlier))
        })
        .find(|(_, n)| *n * 100 >= count * 99)
        .map(|(bound, _)| format!("≤ {bound} µs"))
        .unwrap_or_else(|| "over the largest bucket".into());
    println!("\n{name}: {calls} calls, {failures} failed; mean {mean} µs, p99 {p99}");
    failures
}
