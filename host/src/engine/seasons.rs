//! Seasons' ends (`/season end`, or the scheduler tick at a season's `ends_at`): the
//! repository archives the standings and resets XP in one transaction
//! ([`crate::db::Db::end_season`]); this module decides what Discord sees of it. The season
//! role goes to the archived top members and leaves the previous season's top members who
//! did not place again; the end is announced with the podium. These effects are stored in
//! the outbox in the ending transaction when the sink sends from it, else released after the
//! commit, like every other effect.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::effects::Effect;
use super::error::EngineError;
use super::pipeline::Pipeline;
use super::plugin_cache::TableCurve;
use super::wit::ms;
use crate::db::entities::seasons;
use crate::db::{NewOutboxEntry, SeasonEffects, SeasonEnd};

/// Lines of the end announcement (the rest is in `/season show`).
const PODIUM_LINES: usize = 10;

impl Pipeline {
    /// Ends the guild's running season now; `None` when none runs.
    pub async fn end_running_season(&self, guild: u64) -> Result<Option<SeasonEnd>, EngineError> {
        match self.db.running_season(guild).await? {
            Some(season) => self.end_season(&season).await,
            None => Ok(None),
        }
    }

    /// Ends the seasons whose `ends_at` has come (each by one process only).
    pub(crate) async fn end_due_seasons(&self) {
        let due = match self.db.due_seasons(self.clock.now()).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "seasons due to end not read; retried on the next tick");
                return;
            }
        };
        for season in due {
            match self.end_season(&season).await {
                Ok(Some(end)) => tracing::info!(
                    guild = %season.guild_id,
                    season = season.id,
                    placed = end.standings.len(),
                    reset = end.reset_members,
                    "season ended on schedule"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    guild = %season.guild_id,
                    season = season.id,
                    error = %e,
                    "season not ended; retried on the next tick"
                ),
            }
        }
    }

    /// Drops period totals no board shows any more, at most once an hour.
    pub(crate) async fn prune_periods(&self, now: DateTime<Utc>) {
        {
            let mut last = self
                .pruned_periods
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| now - t < chrono::TimeDelta::hours(1)) {
                return;
            }
            *last = Some(now);
        }
        match self.db.prune_period_xp(now).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "old period totals deleted"),
            Err(e) => {
                tracing::warn!(error = %e, "old period totals not deleted; retried in an hour")
            }
        }
    }

    async fn end_season(&self, season: &seasons::Model) -> Result<Option<SeasonEnd>, EngineError> {
        let guild: u64 = season.guild_id.parse().map_err(|_| {
            EngineError::InvalidInput(format!("season {} has no valid guild id", season.id))
        })?;
        let now = self.clock.now();
        let cfg = self.db.get_server_config(guild).await?;
        let plugin = self.xp_plugin_for(guild, &cfg);
        let curve = TableCurve(self.cache.level_table(guild, &plugin, ms(now)).await?);
        let channel = season
            .announce_channel
            .as_deref()
            .or(cfg.level_up_channel.as_deref())
            .and_then(|c| c.parse().ok());
        let effects = EndEffects {
            guild,
            channel,
            notice_ttl: self.sink.outbox(),
            now,
        };
        let hook = effects.notice_ttl.map(|_| &effects as &dyn SeasonEffects);
        let Some(end) = self
            .db
            .end_season(guild, season.id, now, &curve, hook)
            .await?
        else {
            return Ok(None);
        };
        if effects.notice_ttl.is_some() {
            // Stored with the end; this wakes the sender.
            self.sink.release(Vec::new());
        } else {
            self.sink.release(effects.effects(&end));
        }
        Ok(Some(end))
    }
}

/// The Discord effects of a season's end.
struct EndEffects {
    guild: u64,
    /// Where the end is announced (none: not announced).
    channel: Option<u64>,
    /// `Some` when the sink sends from the outbox.
    notice_ttl: Option<Duration>,
    now: DateTime<Utc>,
}

impl EndEffects {
    fn effects(&self, end: &SeasonEnd) -> Vec<Effect> {
        let mut out = Vec::new();
        if let Some(role) = end.season.role_id.as_deref().and_then(|r| r.parse().ok()) {
            for user in end.role_leaves.iter().filter_map(|u| u.parse().ok()) {
                out.push(Effect::RoleRemove {
                    guild: self.guild,
                    user,
                    role,
                    level: 0,
                });
            }
            for s in &end.standings {
                if let Ok(user) = s.user_id.parse() {
                    out.push(Effect::RoleAdd {
                        guild: self.guild,
                        user,
                        role,
                        level: 0,
                    });
                }
            }
        }
        if let Some(channel) = self.channel {
            out.push(Effect::Announcement {
                guild: self.guild,
                channel,
                message: announcement(end),
            });
        }
        out
    }
}

impl SeasonEffects for EndEffects {
    fn outbox(&self, end: &SeasonEnd) -> Vec<NewOutboxEntry> {
        let ttl = self.notice_ttl.unwrap_or_default();
        self.effects(end)
            .iter()
            .filter_map(|e| e.outbox_entry(self.now, ttl))
            .collect()
    }
}

/// `🏁 Season “Winter” has ended!` with the podium, the role and the reset.
pub fn announcement(end: &SeasonEnd) -> String {
    let s = &end.season;
    let mut out = format!("🏁 **Season “{}” has ended!**", s.name);
    if end.standings.is_empty() {
        out.push_str("\nNobody gained XP this season.");
    } else {
        out.push_str("\nFinal standings:");
        for st in end.standings.iter().take(PODIUM_LINES) {
            let _ = write!(out, "\n{} <@{}> · {} XP", medal(st.rank), st.user_id, st.xp);
        }
        if end.standings.len() > PODIUM_LINES {
            let _ = write!(
                out,
                "\n…and {} more in `/season show`.",
                end.standings.len() - PODIUM_LINES
            );
        }
    }
    if let Some(role) = &s.role_id {
        let _ = write!(
            out,
            "\nThe top {} hold <@&{role}> until the next season with it ends.",
            s.top_n
        );
    }
    if s.reset_xp {
        out.push_str("\nLevels start again from 0; lifetime XP is kept (see `/rank`).");
    }
    out
}

/// 🥇🥈🥉, then `#4`.
pub fn medal(rank: i32) -> String {
    match rank {
        1 => "🥇".into(),
        2 => "🥈".into(),
        3 => "🥉".into(),
        n => format!("**#{n}**"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Standing;

    fn end(standings: usize, role: Option<&str>, reset: bool) -> SeasonEnd {
        SeasonEnd {
            season: seasons::Model {
                id: 3,
                guild_id: "1".into(),
                name: "Winter".into(),
                started_at: DateTime::<Utc>::MIN_UTC,
                ends_at: None,
                ended_at: None,
                top_n: 12,
                role_id: role.map(String::from),
                reset_xp: reset,
                started_by: "9".into(),
                announce_channel: None,
            },
            standings: (1..=standings)
                .map(|i| Standing {
                    rank: i as i32,
                    user_id: (100 + i).to_string(),
                    xp: 1000 - i as i64,
                })
                .collect(),
            role_leaves: vec!["55".into()],
            reset_members: 0,
        }
    }

    #[test]
    fn the_announcement_shows_the_podium_and_points_to_the_rest() {
        let text = announcement(&end(12, Some("77"), true));
        assert!(text.contains("🥇 <@101> · 999 XP"), "{text}");
        assert!(text.contains("**#10** <@110>"), "{text}");
        assert!(!text.contains("<@111>"), "{text}");
        assert!(text.contains("…and 2 more"), "{text}");
        assert!(text.contains("<@&77>"), "{text}");
        assert!(text.contains("lifetime XP is kept"), "{text}");
        let quiet = announcement(&end(0, None, false));
        assert!(quiet.contains("Nobody gained XP"), "{quiet}");
        assert!(!quiet.contains("lifetime"), "{quiet}");
    }

    #[test]
    fn the_role_moves_from_last_seasons_top_to_this_ones() {
        let fx = EndEffects {
            guild: 1,
            channel: Some(5),
            notice_ttl: None,
            now: Utc::now(),
        };
        let effects = fx.effects(&end(2, Some("77"), false));
        let removed: Vec<u64> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::RoleRemove { user, role: 77, .. } => Some(*user),
                _ => None,
            })
            .collect();
        let added: Vec<u64> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::RoleAdd { user, role: 77, .. } => Some(*user),
                _ => None,
            })
            .collect();
        assert_eq!(removed, vec![55]);
        assert_eq!(added, vec![101, 102]);
        assert!(matches!(
            effects.last(),
            Some(Effect::Announcement { channel: 5, .. })
        ));
        // Without a role nothing but the announcement.
        assert_eq!(fx.effects(&end(2, None, false)).len(), 1);
    }
}
