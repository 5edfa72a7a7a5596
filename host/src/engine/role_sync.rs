//! `/sync`: a member's reward roles on Discord brought back in line with their stored level,
//! after someone changed them by hand, a role was given while the bot was away, or the
//! guild's rewards changed.
//!
//! The rule is the one level-ups follow ([`roles_for_level`]): every stacked reward reached
//! and the highest reward reached. A reward above the member's level is taken away only when
//! the guild demotes on XP loss (`demote_on_xp_loss`), as a level change would. Roles that
//! are not rewards are never touched. The changes go out like every other role change:
//! through the outbox, durable, within Discord's rate limits.

use super::announce::{RoleAtLevel, role_effects, roles_for_level};
use super::effects::Effect;
use super::error::EngineError;
use super::pipeline::Pipeline;
use crate::db::entities::roles;

/// What to give and what to take away so a member holding `held` matches `level`:
/// `(added, removed)`, each `(role, level it is given at)`.
pub fn role_fixes(
    rewards: &[roles::Model],
    level: i32,
    held: &[u64],
    demote: bool,
) -> (Vec<RoleAtLevel>, Vec<RoleAtLevel>) {
    let expected = roles_for_level(rewards, level);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for r in rewards {
        let Ok(id) = r.role_id.parse::<u64>() else {
            continue;
        };
        let should = expected.contains(&id);
        let has = held.contains(&id);
        if should && !has && !added.iter().any(|(a, _)| *a == id) {
            added.push((id, r.level));
        }
        // Replaced by a higher reward, or above the level when the guild demotes.
        let unearned = r.level > level;
        if has && !should && (!unearned || demote) && !removed.iter().any(|(a, _)| *a == id) {
            removed.push((id, r.level));
        }
    }
    (added, removed)
}

impl Pipeline {
    /// The role changes that bring `user` (holding `held` on Discord) in line with their
    /// stored level in `guild`.
    pub async fn role_fixes(
        &self,
        guild: u64,
        user: u64,
        held: &[u64],
    ) -> Result<Vec<Effect>, EngineError> {
        let rewards = self.db.list_level_roles(guild).await?;
        if rewards.is_empty() {
            return Ok(Vec::new());
        }
        let cfg = self.db.get_server_config(guild).await?;
        let level = self
            .db
            .get_user_level(guild, user)
            .await?
            .map_or(0, |r| r.level);
        let (added, removed) = role_fixes(&rewards, level, held, cfg.demote_on_xp_loss);
        Ok(role_effects(guild, user, added, removed))
    }

    /// Sends `effects` the way a batch's are sent: stored in the outbox first when the sink
    /// sends from it (so a restart loses none), then the sender is woken.
    pub async fn queue_effects(&self, effects: Vec<Effect>) -> Result<(), EngineError> {
        if effects.is_empty() {
            return Ok(());
        }
        match self.sink.outbox() {
            Some(ttl) => {
                let now = self.clock.now();
                let entries: Vec<_> = effects
                    .iter()
                    .filter_map(|e| e.outbox_entry(now, ttl))
                    .collect();
                self.db.enqueue_effects(&entries).await?;
                self.sink.release(Vec::new());
            }
            None => self.sink.release(effects),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reward(id: u64, level: i32, is_stacked: bool) -> roles::Model {
        roles::Model {
            id: id as i64,
            guild_id: "1".into(),
            role_id: id.to_string(),
            level,
            is_stacked,
        }
    }

    #[test]
    fn a_member_gets_what_their_level_earns_and_loses_what_was_replaced() {
        // 10 stacked at level 1; 30 replaced at 3 by 50 at 5; 70 at level 7.
        let rewards = [
            reward(10, 1, true),
            reward(30, 3, false),
            reward(50, 5, false),
            reward(70, 7, false),
        ];
        // Level 5 holding 30 (replaced) and 70 (given by hand, above the level) and 99 (not a reward).
        let (added, removed) = role_fixes(&rewards, 5, &[30, 70, 99], false);
        assert_eq!(added, vec![(10, 1), (50, 5)]);
        assert_eq!(
            removed,
            vec![(30, 3)],
            "70 stays: the guild does not demote"
        );
        let (_, removed) = role_fixes(&rewards, 5, &[30, 70, 99], true);
        assert_eq!(
            removed,
            vec![(30, 3), (70, 7)],
            "with demotion, 70 goes too"
        );
        // In line already: nothing.
        assert_eq!(role_fixes(&rewards, 5, &[10, 50], true), (vec![], vec![]));
    }
}
