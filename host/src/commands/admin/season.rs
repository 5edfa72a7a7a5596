//! `/season start|end`: a leaderboard of the XP gained from a season's start to its end,
//! archived when it ends ([`crate::engine::seasons`]). Members see it with
//! `/leaderboard period:season` and `/seasons`.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

use crate::commands::Commands;
use crate::commands::types::{CommandError, Reply, Request};
use crate::db::{DbError, NewSeason};
use crate::engine::seasons::announcement;

/// The longest season: a year and a day.
const MAX_DAYS: i64 = 366;

pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let engine = c.engine.get().await;
    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
    let pipeline = engine.pipeline();
    let now = pipeline.now().trunc_subsecs(0);
    match req.subcommand.as_deref() {
        Some("start") => {
            let name = req.need("name", req.string("name"))?.trim().to_string();
            let ends_at = req.string("ends").map(|t| parse_end(t, now)).transpose()?;
            let role = req.role("role");
            if let Some(r) = role {
                crate::commands::guild::check_role(c, req.guild, r).await?;
            }
            let top = req.integer("top").unwrap_or(10);
            let season =
                c.db.start_season(&NewSeason {
                    guild_id: req.guild,
                    name,
                    started_at: now,
                    ends_at,
                    top_n: i32::try_from(top).unwrap_or(0),
                    role_id: role,
                    reset_xp: req.boolean("reset").unwrap_or(false),
                    started_by: req.user,
                    announce_channel: (req.channel != 0).then_some(req.channel),
                })
                .await
                .map_err(|e| match e {
                    // What the admin asked for is refused: say why, it is theirs to fix.
                    DbError::Invalid { reason, .. } => CommandError::Usage(reason),
                    other => other.into(),
                })?;
            let ends = match season.ends_at {
                Some(e) => format!("It ends <t:{}:f> (<t:{}:R>)", e.timestamp(), e.timestamp()),
                None => "It runs until an admin runs `/season end`".to_string(),
            };
            let role = season
                .role_id
                .as_deref()
                .map(|r| format!(", and the top {} get <@&{r}>", season.top_n))
                .unwrap_or_default();
            let reset = if season.reset_xp {
                " When it ends, levels start again from 0 (lifetime XP is kept)."
            } else {
                ""
            };
            Ok(Reply::public(format!(
                "🏁 **Season “{}” has begun!** Every XP gained from now counts: `/leaderboard period:season`. {ends}; its top {} are archived{role}.{reset}",
                season.name, season.top_n
            )))
        }
        Some("end") => match pipeline.end_running_season(req.guild).await? {
            Some(end) => {
                let mut text = announcement(&end);
                if end.season.reset_xp && !c.db.list_level_roles(req.guild).await?.is_empty() {
                    text.push_str(
                        "\nReward roles are left as they are; `/sync` re-applies them to the new levels.",
                    );
                }
                Ok(Reply::public(crate::commands::types::fit_to(text, 2000)))
            }
            None => Err(CommandError::NotFound(
                "no season is running; start one with `/season start name:…`".into(),
            )),
        },
        _ => Err(CommandError::Usage(
            "use /season start or /season end".into(),
        )),
    }
}

/// A season's end from `ends`: a duration from now (`30d`, `2d12h`) or a date (`2027-03-01`, the start of that day, UTC); from an hour to [`MAX_DAYS`] away.
fn parse_end(typed: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, CommandError> {
    let typed = typed.trim();
    let end = match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
        Ok(day) => day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
        Err(_) => questline_text::parse_duration(typed)
            .ok()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .and_then(|d| now.checked_add_signed(d)),
    };
    end.filter(|e| {
        *e - now >= chrono::Duration::hours(1) && *e - now <= chrono::Duration::days(MAX_DAYS)
    })
    .ok_or_else(|| {
        CommandError::Usage(format!(
            "`{typed}` is not an end from an hour to {MAX_DAYS} days away; write a duration like 30d or 2d12h, or a date like 2027-03-01 (UTC)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ends_are_durations_or_dates_within_a_year() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 15, 0, 0).unwrap();
        assert_eq!(
            parse_end("30d", now).unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 6, 15, 0, 0).unwrap()
        );
        assert_eq!(
            parse_end(" 2027-03-01 ", now).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap()
        );
        for bad in ["30m", "2026-12-01", "2028-01-01", "soon", "400d"] {
            let e = parse_end(bad, now).unwrap_err().to_string();
            assert!(e.contains("30d") && e.contains("2027-03-01"), "{bad}: {e}");
        }
    }
}
