//! `/boost start|list|stop`: XP boost events. The start is announced where it was run
//! (the reply is public); the end, when it comes, by the engine in the same channel
//! ([`crate::engine::boosts`]).

use std::fmt::Write as _;

use chrono::SubsecRound;

use crate::commands::Commands;
use crate::commands::types::{CommandError, Reply, Request};
use crate::db::{MAX_BOOST, NewBoost};
use crate::engine::boosts::describe;

/// The longest boost: a month.
const MAX_DAYS: i64 = 31;

pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    let now = {
        let engine = c.engine.get().await;
        let engine = engine.as_ref().ok_or(CommandError::Closed)?;
        // Whole seconds: Discord's message times may be whole seconds, and a message sent
        // with the command is on the command's side of the boost's start or end.
        engine.pipeline().now().trunc_subsecs(0)
    };
    match req.subcommand.as_deref() {
        Some("start") => {
            let multiplier = req.need("multiplier", req.number("multiplier"))?;
            if !(multiplier.is_finite() && multiplier > 1.0 && multiplier <= MAX_BOOST) {
                return Err(CommandError::Usage(format!(
                    "multiplier must be above 1 and at most {MAX_BOOST} (2 = double XP); {multiplier} is not"
                )));
            }
            let typed = req.need("duration", req.string("duration"))?;
            let duration = questline_text::parse_duration(typed)
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .filter(|d| *d >= chrono::Duration::minutes(1) && *d <= chrono::Duration::days(MAX_DAYS))
                .ok_or_else(|| {
                    CommandError::Usage(format!(
                        "`{typed}` is not a duration from 1m to {MAX_DAYS}d; write it like 2h, 48h, 1d12h or 30m"
                    ))
                })?;
            let role = req.role("role");
            if let Some(r) = role {
                crate::commands::guild::check_role(c, gid, r).await?;
            }
            let channel = req.channel("channel");
            if let Some(ch) = channel {
                crate::commands::guild::check_channel(c, gid, ch, "channel").await?;
            }
            let b =
                c.db.start_boost(&NewBoost {
                    guild_id: gid,
                    multiplier,
                    role_id: role,
                    channel_id: channel,
                    starts_at: now,
                    ends_at: now + duration,
                    created_by: req.user,
                    announce_channel: (req.channel != 0).then_some(req.channel),
                })
                .await?;
            let end = b.ends_at.timestamp();
            Ok(Reply::public(format!(
                "⚡ {} until <t:{end}:f> (<t:{end}:R>)! Boost #{}; `/boost stop id:{}` ends it early.",
                describe(&b),
                b.id,
                b.id
            )))
        }
        Some("list") => {
            let boosts: Vec<_> =
                c.db.guild_boosts(gid)
                    .await?
                    .into_iter()
                    .filter(|b| b.ends_at > now)
                    .collect();
            if boosts.is_empty() {
                return Ok(Reply::private(
                    "No XP boost is running. Start one with `/boost start multiplier:2 duration:48h`.",
                ));
            }
            let mut out = "⚡ **XP boosts**\n".to_string();
            for b in boosts {
                let _ = writeln!(
                    out,
                    "#{} {} until <t:{}:f>",
                    b.id,
                    describe(&b),
                    b.ends_at.timestamp()
                );
            }
            Ok(Reply::private(out))
        }
        Some("stop") => {
            let id = req.need("id", req.integer("id"))?;
            if c.db.stop_boost(gid, id, now).await? {
                Ok(Reply::private(format!(
                    "Boost #{id} stopped; its end is announced where it was started."
                )))
            } else {
                Err(CommandError::NotFound(format!(
                    "no running boost #{id} on this server; see /boost list"
                )))
            }
        }
        _ => Err(CommandError::Usage("use /boost start, list or stop".into())),
    }
}
