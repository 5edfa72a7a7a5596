//! Commands every member may use.

use std::fmt::Write as _;

use super::Commands;
use super::types::{CommandError, Reply, Request, fit_to};
use crate::cards::{
    CardDataBuilder, CardPrefs, ImageKind, available_styles, check_url, normalize_color,
    render_card, styles::style_names, validate_style,
};
use crate::db::seasons::season_key;
use crate::db::{CardSettings, Period};
use crate::engine::seasons::medal;
use crate::engine::wit::{cycle_name, parse_cycle};
use crate::plugins::CallContext;
use questline_text::{bar, time_left};

/// Leaderboard rows per page.
pub const PAGE_SIZE: u64 = 10;

impl Commands {
    /// `(XP into the current level, XP the level spans)` on the guild's curve.
    pub(crate) async fn progress(&self, guild: u64, xp: i64) -> Result<(i64, i64), CommandError> {
        let engine = self.engine.get().await;
        let engine = engine.as_ref().ok_or(CommandError::Closed)?;
        let table = engine.pipeline().guild_level_table(guild).await?;
        Ok(table.progress(xp))
    }
}

/// `/rank [member]`: a rank card (PNG) and a one-line summary.
pub async fn rank(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let target = req.user("member").unwrap_or(req.user);
    let gid = req.guild;
    let name = req.name_of(target);
    let Some(rank) = c.db.member_rank(gid, target).await? else {
        return Ok(Reply::private(if target == req.user {
            "You have no XP yet (or you hid yourself with `/privacy leaderboard off`). Chat a little and try again!".to_string()
        } else {
            format!("{name} has no XP yet, or hides from the leaderboard.")
        }));
    };
    let (into, span) = c.progress(req.guild, rank.xp).await?;
    let level = u32::try_from(rank.level).unwrap_or(0);
    let prefs =
        c.db.get_card_settings(gid, target)
            .await?
            .map(|s| card_prefs(&s))
            .unwrap_or_default();
    let cfg = c.db.get_server_config(gid).await?;
    // The member's `/card background`, fetched through the checked, cached image client; a
    // failure is logged and the card renders without it.
    let background = match &c.images {
        Some(images) => {
            images
                .fetch_or_none(prefs.background_url.as_deref(), ImageKind::Background)
                .await
        }
        None => None,
    };
    let (style, data) = CardDataBuilder::new(&name, level, rank.xp, (into, span))
        .background(background.as_deref())
        .rank(u64::try_from(rank.rank).ok())
        .guild_name(req.guild_name.as_deref().unwrap_or("this server"))
        .prefs(&prefs)
        .guild_default_style(cfg.card_style.as_deref())
        .build();
    let ctx = CallContext::new(req.guild, req.at.timestamp_millis(), 0);
    let card = render_card(c.plugins.clone(), c.renderer.clone(), ctx, style, data).await;
    if let Some(e) = &card.error {
        tracing::warn!(guild = req.guild, error = %e, "rank card fell back to the plain card");
    }
    let mut summary = format!(
        "**{}** · rank #{} of {} · level {} · {}/{} XP into the level · {} XP total",
        fit_to(name, 100),
        rank.rank,
        rank.total,
        rank.level,
        into,
        span,
        rank.xp
    );
    if rank.lifetime_xp > rank.xp {
        summary.push_str(&format!(" · {} XP lifetime", rank.lifetime_xp));
    }
    // The boost the member earns with now: their own roles and channel when it is them,
    // otherwise only boosts for everyone everywhere.
    let (roles, channel): (&[u64], u64) = if target == req.user {
        (&req.roles, req.channel)
    } else {
        (&[], 0)
    };
    let boost =
        c.db.guild_boosts(gid)
            .await?
            .into_iter()
            .filter(|b| b.applies(req.at, roles, channel, None))
            .max_by(|a, b| a.multiplier.total_cmp(&b.multiplier));
    if let Some(b) = boost {
        summary.push_str(&format!(
            " · ⚡ {}× XP until <t:{}:R>",
            b.multiplier,
            b.ends_at.timestamp()
        ));
    }
    Ok(Reply::public(summary).with_attachment("rank.png", card.png))
}

/// `/leaderboard [page] [period]`: ten members per page, highest XP first (hidden and away
/// members skipped). `period` picks the board: `all` (levels), or the XP gained this week,
/// this month (UTC) or in the running season.
pub async fn leaderboard(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let page = req.integer("page").unwrap_or(1);
    if !(1..=1000).contains(&page) {
        return Err(CommandError::Usage(format!(
            "page {page} does not exist: pages start at 1 (and stop at 1000)"
        )));
    }
    let page = page as u64;
    let (period, title) = match req.string("period").unwrap_or("all") {
        "all" => (None, "Leaderboard".to_string()),
        "week" => (Some(Period::Week), "This week's leaderboard".to_string()),
        "month" => (Some(Period::Month), "This month's leaderboard".to_string()),
        "season" => (Some(Period::Season), String::new()),
        other => {
            return Err(CommandError::Usage(format!(
                "`{other}` is not a period: use all, week, month or season"
            )));
        }
    };
    let (rows, title) = match period {
        None => (
            c.db.leaderboard_page(req.guild, page - 1, PAGE_SIZE)
                .await?,
            title,
        ),
        Some(Period::Season) => {
            let Some(season) = c.db.running_season(req.guild).await? else {
                return Ok(Reply::private(
                    "No season is running. `/seasons` shows past ones; admins start one with `/season start`.",
                ));
            };
            let rows =
                c.db.period_board(req.guild, &season_key(season.id), page - 1, PAGE_SIZE)
                    .await?;
            let ends = season
                .ends_at
                .map(|e| format!(" · ends <t:{}:R>", e.timestamp()))
                .unwrap_or_default();
            (rows, format!("Season “{}”{ends}", season.name))
        }
        Some(p) => {
            let key =
                c.db.period_key(req.guild, p, req.at)
                    .await?
                    .unwrap_or_default();
            (
                c.db.period_board(req.guild, &key, page - 1, PAGE_SIZE)
                    .await?,
                title,
            )
        }
    };
    if rows.is_empty() {
        return Ok(Reply::private(match (page, period) {
            (1, None) => "Nobody has XP yet: start chatting!".to_string(),
            (1, Some(_)) => format!("{title}: nobody has gained XP yet. Start chatting!"),
            _ => format!("Page {page} is empty; try page 1."),
        }));
    }
    let mut out = format!("🏆 **{title}** · page {page}\n");
    for r in rows {
        let gained = if period.is_some() { " gained" } else { "" };
        let _ = writeln!(
            out,
            "**#{}** <@{}> · level {} · {} XP{gained}",
            r.rank, r.user_id, r.level, r.xp
        );
    }
    Ok(Reply::public(out))
}

/// `/seasons [name]`: the running season and the past ones with their winners, or one past
/// season's archived standings.
pub async fn seasons(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let ended = c.db.ended_seasons(req.guild, 25).await?;
    if let Some(name) = req.string("name").map(str::trim).filter(|n| !n.is_empty()) {
        let Some(season) = ended.iter().find(|s| s.name.eq_ignore_ascii_case(name)) else {
            return Err(CommandError::NotFound(format!(
                "no ended season named “{}” here; `/seasons` lists them",
                fit_to(name.to_string(), 80)
            )));
        };
        let standings = c.db.season_standings(season.id).await?;
        let mut out = format!(
            "🏁 **Season “{}”** · <t:{}:d> to <t:{}:d> · final standings\n",
            season.name,
            season.started_at.timestamp(),
            season.ended_at.unwrap_or(season.started_at).timestamp()
        );
        if standings.is_empty() {
            out.push_str("Nobody gained XP that season.");
        }
        for s in standings {
            let _ = writeln!(out, "{} <@{}> · {} XP", medal(s.rank), s.user_id, s.xp);
        }
        return Ok(Reply::public(fit_to(out, 2000)));
    }
    let mut out = String::new();
    match c.db.running_season(req.guild).await? {
        Some(s) => {
            let ends = s
                .ends_at
                .map(|e| format!(", ends <t:{}:R>", e.timestamp()))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "🏆 **Season “{}”** is running (since <t:{}:d>{ends}): `/leaderboard period:season`",
                s.name,
                s.started_at.timestamp()
            );
        }
        None => out.push_str("No season is running.\n"),
    }
    if ended.is_empty() {
        out.push_str("No season has ended yet.");
    } else {
        out.push_str("**Past seasons** (`/seasons name:…` shows one):\n");
        for s in &ended {
            let winner = c.db.season_standings(s.id).await?.into_iter().next();
            let winner = winner
                .map(|w| format!(" · 🥇 <@{}> ({} XP)", w.user_id, w.xp))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "“{}” · ended <t:{}:d>{winner}",
                s.name,
                s.ended_at.unwrap_or(s.started_at).timestamp()
            );
        }
    }
    Ok(Reply::public(fit_to(out, 2000)))
}

/// One of a member's active quests: what `/quests` writes and the member page draws.
#[derive(Debug, Clone)]
pub struct QuestStanding {
    pub name: String,
    pub description: String,
    /// Progress so far, at most `target`.
    pub progress: i64,
    pub target: i64,
    pub reward_xp: i64,
    pub done: bool,
    /// `daily`, `weekly`, `monthly` or `once`.
    pub cycle: &'static str,
    /// When the quest ends, if it does.
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The engine's "now" the end was measured against.
    pub now: chrono::DateTime<chrono::Utc>,
}

impl QuestStanding {
    /// `3 h 20 min`, `ended` or `no time limit`.
    pub fn time_left(&self) -> String {
        match self.ends_at {
            Some(e) if e > self.now => time_left(e - self.now),
            Some(_) => "ended".to_string(),
            None => "no time limit".to_string(),
        }
    }
}

/// `user`'s active quests in `guild`.
pub async fn quest_standings(
    c: &Commands,
    guild: u64,
    user: u64,
) -> Result<Vec<QuestStanding>, CommandError> {
    let list = c.db.get_user_active_quests(guild, user).await?;
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let engine = c.engine.get().await;
    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
    let now = engine.pipeline().now();
    let mut out = Vec::with_capacity(list.len());
    for q in list {
        let (progress, done) = q
            .progress
            .as_ref()
            .map_or((0, false), |p| (p.progress, p.completed));
        let ends_at = engine
            .pipeline()
            .quests()
            .quest_expiry(guild, &q.quest)
            .await?;
        out.push(QuestStanding {
            progress: progress.clamp(0, q.quest.requirement_value),
            target: q.quest.requirement_value,
            reward_xp: q.quest.reward_xp,
            done,
            cycle: cycle_name(parse_cycle(&q.quest.refresh_cycle)),
            ends_at,
            now,
            name: q.quest.name.clone(),
            description: q.quest.description.clone(),
        });
    }
    Ok(out)
}

/// `/quests`: active quests with progress bars and time left.
pub async fn quests(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let list = quest_standings(c, req.guild, req.user).await?;
    if list.is_empty() {
        return Ok(Reply::private(
            "No active quests right now; new ones arrive at the next reset.",
        ));
    }
    let mut out = "📜 **Your quests**\n".to_string();
    for q in list {
        let _ = writeln!(
            out,
            "{} **{}** `{}` {}/{} · {} XP · {} · {}",
            if q.done { "✅" } else { "▫️" },
            fit_to(q.name.clone(), 80),
            bar(q.progress, q.target, 10),
            q.progress,
            q.target,
            q.reward_xp,
            q.cycle,
            q.time_left()
        );
    }
    Ok(Reply::private(out))
}

/// One of a guild's achievements and whether a member has earned it.
#[derive(Debug, Clone)]
pub struct AchievementStanding {
    pub achievement: crate::db::entities::achievements::Model,
    pub earned_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every achievement of `guild`, in the guild's order, each with when `user` earned it.
pub async fn achievement_standings(
    c: &Commands,
    guild: u64,
    user: u64,
) -> Result<Vec<AchievementStanding>, CommandError> {
    let earned: std::collections::HashMap<i64, _> =
        c.db.get_user_achievements(guild, user)
            .await?
            .into_iter()
            .map(|(ua, a)| (a.id, ua.earned_at))
            .collect();
    Ok(c.db
        .list_achievements(guild)
        .await?
        .into_iter()
        .map(|a| AchievementStanding {
            earned_at: earned.get(&a.id).copied(),
            achievement: a,
        })
        .collect())
}

/// `/achievements [member]`: what the member earned, oldest first.
pub async fn achievements(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let target = req.user("member").unwrap_or(req.user);
    let list = achievement_standings(c, req.guild, target).await?;
    let mut earned: Vec<_> = list
        .iter()
        .filter_map(|s| s.earned_at.map(|at| (&s.achievement, at)))
        .collect();
    earned.sort_by_key(|(_, at)| *at);
    let mut out = format!(
        "🎖️ **{}** · {} of {} achievements\n",
        fit_to(req.name_of(target), 100),
        earned.len(),
        list.len()
    );
    for (a, at) in earned {
        let _ = writeln!(
            out,
            "✅ **{}** {} (+{} XP, {}){}",
            fit_to(a.name.clone(), 80),
            fit_to(a.description.clone(), 200),
            a.reward_xp,
            at.format("%Y-%m-%d"),
            super::admin::badge_link(&a.badge_url)
        );
    }
    Ok(Reply::public(out))
}

/// `/card style|color|background|reset`.
pub async fn card(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    let uid = req.user;
    let mut settings: CardSettings = c.db.get_card_settings(gid, uid).await?.unwrap_or_default();
    let what = match req.subcommand.as_deref() {
        Some("style") => {
            let wanted = req.need("name", req.string("name"))?.to_string();
            let host = c.plugins.clone();
            let ctx = CallContext::new(req.guild, req.at.timestamp_millis(), 0);
            let styles = tokio::task::spawn_blocking(move || available_styles(&host, &ctx))
                .await
                .map_err(|e| CommandError::Plugin(format!("listing card styles failed: {e}")))?;
            let style = validate_style(&wanted, &style_names(&styles))
                .map_err(|e| CommandError::Usage(e.to_string()))?;
            settings.card_style = Some(style.clone());
            format!("style `{style}`")
        }
        Some("color") => {
            let hex = req.need("hex", req.string("hex"))?;
            let color = normalize_color(hex).map_err(|e| CommandError::Usage(e.to_string()))?;
            let part = req.string("part").unwrap_or("primary");
            let slot = match part {
                "primary" => &mut settings.primary_color,
                "secondary" => &mut settings.secondary_color,
                "border" => &mut settings.border_color,
                "text" => &mut settings.text_color,
                other => {
                    return Err(CommandError::Usage(format!(
                        "`{other}` is not a card colour; use primary, secondary, border or text"
                    )));
                }
            };
            *slot = Some(color.clone());
            format!("{part} colour `{color}`")
        }
        Some("background") => {
            let url = req.need("url", req.string("url"))?;
            check_url(&c.cards, url).map_err(|e| CommandError::Usage(e.to_string()))?;
            settings.background_url = Some(url.trim().to_string());
            "background image".to_string()
        }
        Some("reset") => {
            c.db.reset_card_settings(gid, uid).await?;
            return Ok(Reply::private("Your rank card is back to the default."));
        }
        _ => {
            return Err(CommandError::Usage(
                "use /card style, /card color, /card background or /card reset".into(),
            ));
        }
    };
    c.db.set_card_settings(gid, uid, &settings).await?;
    Ok(Reply::private(format!(
        "Saved your card's {what}. See it with /rank."
    )))
}

/// `/privacy leaderboard on|off`.
pub async fn privacy(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let show = match req.need("show", req.string("show"))? {
        "on" => true,
        "off" => false,
        other => {
            return Err(CommandError::Usage(format!(
                "`{other}`: use `on` (listed) or `off` (hidden)"
            )));
        }
    };
    c.db.set_member_hidden(req.guild, req.user, !show).await?;
    Ok(Reply::private(if show {
        "You are listed on the leaderboard again."
    } else {
        "You are hidden from the leaderboard and /rank. You still earn XP; `/privacy leaderboard on` lists you again."
    }))
}

/// A member's stored card settings as the card builder takes them.
pub(crate) fn card_prefs(row: &crate::db::CardSettings) -> CardPrefs {
    CardPrefs {
        background_url: row.background_url.clone(),
        primary_color: row.primary_color.clone(),
        secondary_color: row.secondary_color.clone(),
        border_color: row.border_color.clone(),
        text_color: row.text_color.clone(),
        card_style: row.card_style.clone(),
    }
}
