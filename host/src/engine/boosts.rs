//! XP boost events (`/boost`): the host multiplies a guild's XP rate by the highest boost
//! that applies to an activity (its time, the member's roles, its channel), on top of any
//! formula: xp-formula plugins get the effective rate, so a boost works with every
//! formula. Boosts do not stack (a double-XP weekend and a booster-role boost give the
//! larger of the two). Their ends are announced by the scheduler tick, once.

use super::effects::Effect;
use super::pipeline::Pipeline;
use super::wit::Event;
use crate::db::entities::xp_boosts;

/// The factor boosts give `e` (1.0 when none applies).
pub fn boost_factor(boosts: &[xp_boosts::Model], e: &Event) -> f64 {
    boosts
        .iter()
        .filter(|b| b.applies(e.at, &e.roles, e.channel, e.parent_channel))
        .map(|b| b.multiplier)
        .fold(1.0, f64::max)
}

/// `2× XP for everyone`, `1.5× XP for <@&role>`, `3× XP in <#channel>`.
pub fn describe(b: &xp_boosts::Model) -> String {
    let who = match (&b.role_id, &b.channel_id) {
        (Some(r), Some(c)) => format!("for <@&{r}> in <#{c}>"),
        (Some(r), None) => format!("for <@&{r}>"),
        (None, Some(c)) => format!("in <#{c}>"),
        (None, None) => "for everyone".to_string(),
    };
    format!("**{}× XP** {who}", b.multiplier)
}

impl Pipeline {
    /// Announces boosts that ended (claimed once across processes) in the channel they
    /// were started in, or the level-up channel.
    pub(crate) async fn announce_ended_boosts(&self) {
        let now = self.clock.now();
        let ended = match self.db.claim_ended_boosts(now).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "ended XP boosts not announced; retried on the next tick");
                return;
            }
        };
        let mut effects = Vec::new();
        for b in ended {
            let Ok(guild) = b.guild_id.parse::<u64>() else {
                continue;
            };
            let level_up_channel = self
                .db
                .get_server_config(guild)
                .await
                .ok()
                .and_then(|c| c.level_up_channel);
            let channel = b
                .announce_channel
                .as_deref()
                .or(level_up_channel.as_deref())
                .and_then(|c| c.parse::<u64>().ok());
            let Some(channel) = channel else {
                continue;
            };
            effects.push(Effect::Announcement {
                guild,
                channel,
                message: format!(
                    "⏱️ The {} boost has ended. Thanks for joining in!",
                    describe(&b)
                ),
            });
        }
        if let Err(e) = self.queue_effects(effects).await {
            tracing::warn!(error = %e, "the end of an XP boost could not be announced");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::wit::Work;
    use chrono::{TimeZone, Utc};

    fn boost(
        m: f64,
        role: Option<u64>,
        channel: Option<u64>,
        from: i64,
        to: i64,
    ) -> xp_boosts::Model {
        xp_boosts::Model {
            id: 1,
            guild_id: "1".into(),
            multiplier: m,
            role_id: role.map(|r| r.to_string()),
            channel_id: channel.map(|c| c.to_string()),
            starts_at: Utc.timestamp_opt(from, 0).unwrap(),
            ends_at: Utc.timestamp_opt(to, 0).unwrap(),
            created_by: "9".into(),
            announce_channel: None,
            end_announced: false,
        }
    }

    fn event(at: i64, roles: Vec<u64>, channel: u64, parent: Option<u64>) -> Event {
        Event {
            guild: 1,
            channel,
            parent_channel: parent,
            user: 5,
            roles,
            at: Utc.timestamp_opt(at, 0).unwrap(),
            work: Work::Message { id: 1, length: 0 },
            user_name: None,
            guild_name: None,
            seq: 0,
        }
    }

    #[test]
    fn the_highest_boost_in_its_window_and_scope_applies() {
        let boosts = [
            boost(2.0, None, None, 100, 200),
            boost(3.0, Some(7), None, 100, 200),
            boost(5.0, None, Some(40), 150, 300),
        ];
        assert_eq!(
            boost_factor(&boosts, &event(99, vec![], 1, None)),
            1.0,
            "before"
        );
        assert_eq!(
            boost_factor(&boosts, &event(100, vec![], 1, None)),
            2.0,
            "everyone"
        );
        assert_eq!(
            boost_factor(&boosts, &event(120, vec![7], 1, None)),
            3.0,
            "the role's, not stacked"
        );
        assert_eq!(
            boost_factor(&boosts, &event(160, vec![], 41, Some(40))),
            5.0,
            "a channel under it"
        );
        assert_eq!(
            boost_factor(&boosts, &event(200, vec![7], 1, None)),
            1.0,
            "ended"
        );
        assert_eq!(describe(&boosts[1]), "**3× XP** for <@&7>");
    }
}
