//! Moderators' manual XP changes (`/xp add|remove|set|reset`, the console's `:xp`).
//!
//! They go through the same curve and role rules as earned XP, but not through the activity
//! queue: a moderator expects the answer to say what happened, and the change is applied and
//! audited in one transaction by the repository ([`crate::db::Db::apply_manual_xp`]). Role changes
//! are stored in the outbox in that transaction when the sink sends from it (Discord), else
//! released to the effect sink after the commit, like every other effect. Reaching a higher
//! level grants the reward roles; losing levels removes them only when the guild enabled
//! `demote_on_xp_loss`, which is the behaviour MEE6 users know.

use chrono::{DateTime, Utc};

use super::announce::{RoleAtLevel, role_changes, role_effects};
use super::effects::Effect;
use super::error::EngineError;
use super::pipeline::Pipeline;
use super::plugin_cache::TableCurve;
use super::wit::ms;
use crate::db::entities::{roles, server_config};
use crate::db::{BatchOutcome, ManualXp, NewAuditEntry, NewOutboxEntry, OutcomeEffects, XpOutcome};

/// The largest amount one change may add, remove or set: far above any real member (level
/// 100 on MEE6's curve is ~1.9 M XP) and far below `i64` overflow when summed.
pub const MAX_MANUAL_XP: i64 = 1_000_000_000;

/// What a moderator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XpChange {
    Add(i64),
    Remove(i64),
    Set(i64),
    /// Back to 0 XP (counters and history are kept).
    Reset,
}

impl XpChange {
    /// Checks the amount: 1..=[`MAX_MANUAL_XP`] for add/remove, 0..= for set.
    pub fn validate(self) -> Result<ManualXp, EngineError> {
        let bad = |what: &str, v: i64| {
            EngineError::InvalidInput(format!(
                "{what} {v} XP is not allowed: give a whole number from {} to {MAX_MANUAL_XP}",
                if what == "set to" { 0 } else { 1 }
            ))
        };
        Ok(match self {
            Self::Add(v) if (1..=MAX_MANUAL_XP).contains(&v) => ManualXp::Delta(v),
            Self::Add(v) => return Err(bad("adding", v)),
            Self::Remove(v) if (1..=MAX_MANUAL_XP).contains(&v) => ManualXp::Delta(-v),
            Self::Remove(v) => return Err(bad("removing", v)),
            Self::Set(v) if (0..=MAX_MANUAL_XP).contains(&v) => ManualXp::Set(v),
            Self::Set(v) => return Err(bad("set to", v)),
            Self::Reset => ManualXp::Set(0),
        })
    }
}

/// What a manual change did.
#[derive(Debug, Clone, PartialEq)]
pub struct XpAdjusted {
    pub outcome: XpOutcome,
    /// Reward roles given and taken away (also released to the effect sink).
    pub roles_added: Vec<u64>,
    pub roles_removed: Vec<u64>,
}

impl Pipeline {
    /// The xp-formula plugin a guild uses ([`super::plugin_cache::xp_formula_for`]).
    pub(crate) fn xp_plugin_for(&self, guild: u64, cfg: &server_config::Model) -> String {
        super::plugin_cache::xp_formula_for(
            &self.plugins,
            guild,
            cfg.xp_formula_plugin.as_deref(),
            &self.config.default_xp_plugin,
        )
    }

    /// The guild's level table under its configured xp-formula (cached): what `/rank`
    /// and the web pages show progress on.
    pub async fn guild_level_table(
        &self,
        guild: u64,
    ) -> Result<std::sync::Arc<super::curve::LevelTable>, EngineError> {
        let cfg = self.db.get_server_config(guild).await?;
        let plugin = self.xp_plugin_for(guild, &cfg);
        self.cache
            .level_table(guild, &plugin, self.now().timestamp_millis())
            .await
    }

    /// Applies and audits a manual XP change; see the module docs.
    pub async fn adjust_xp(
        &self,
        guild: u64,
        user: u64,
        change: XpChange,
        actor: u64,
        reason: Option<String>,
    ) -> Result<XpAdjusted, EngineError> {
        let manual = change.validate()?;
        let adjusted = self
            .apply_manual(guild, user, manual, actor.to_string(), reason)
            .await?;
        tracing::info!(
            guild,
            user,
            actor,
            ?change,
            old_xp = adjusted.outcome.old_xp,
            new_xp = adjusted.outcome.new_xp,
            "manual XP change"
        );
        Ok(adjusted)
    }

    /// Applies an already validated change for `actor` (a user id, or `plugin:NAME`),
    /// audited, with role effects after the commit.
    pub(crate) async fn apply_manual(
        &self,
        guild: u64,
        user: u64,
        manual: ManualXp,
        actor: String,
        reason: Option<String>,
    ) -> Result<XpAdjusted, EngineError> {
        let now: DateTime<Utc> = self.clock.now();
        let cfg = self.db.get_server_config(guild).await?;
        let plugin = self.xp_plugin_for(guild, &cfg);
        let curve = TableCurve(self.cache.level_table(guild, &plugin, ms(now)).await?);
        let reason = reason.unwrap_or_default();
        let entry = NewAuditEntry {
            guild_id: guild,
            actor_id: actor,
            target_id: user,
            delta: 0,
            reason: reason.chars().take(500).collect(),
            created_at: now,
        };
        let roles = RoleEffects {
            guild,
            user,
            table: self.db.list_level_roles(guild).await?,
            demote: cfg.demote_on_xp_loss,
            notice_ttl: self.sink.outbox(),
        };
        let hook = roles.notice_ttl.map(|_| &roles as &dyn OutcomeEffects);
        let outcome = self
            .db
            .apply_manual_xp(manual, &entry, &curve, hook)
            .await?;
        let (added, removed) = roles.changes(&outcome);
        let effects = roles.effects(&outcome);
        if roles.notice_ttl.is_some() {
            // Stored with the change; this wakes the sender.
            self.sink.release(Vec::new());
        } else if !effects.is_empty() {
            self.sink.release(effects);
        }
        Ok(XpAdjusted {
            outcome,
            roles_added: added.into_iter().map(|(r, _)| r).collect(),
            roles_removed: removed.into_iter().map(|(r, _)| r).collect(),
        })
    }
}

/// The reward-role changes of a moderator's XP change.
struct RoleEffects {
    guild: u64,
    user: u64,
    table: Vec<roles::Model>,
    demote: bool,
    /// `Some` when the sink sends from the outbox.
    notice_ttl: Option<std::time::Duration>,
}

impl RoleEffects {
    /// (added, removed) reward roles for this outcome.
    fn changes(&self, o: &XpOutcome) -> (Vec<RoleAtLevel>, Vec<RoleAtLevel>) {
        if o.new_level > o.old_level || (self.demote && o.new_level < o.old_level) {
            role_changes(&self.table, o.old_level, o.new_level)
        } else {
            (Vec::new(), Vec::new())
        }
    }

    fn effects(&self, o: &XpOutcome) -> Vec<Effect> {
        let (added, removed) = self.changes(o);
        role_effects(self.guild, self.user, added, removed)
    }
}

impl OutcomeEffects for RoleEffects {
    fn outbox(&self, outcome: &BatchOutcome) -> Vec<NewOutboxEntry> {
        let now = Utc::now();
        let ttl = self.notice_ttl.unwrap_or_default();
        outcome
            .members
            .iter()
            .flat_map(|(_, _, o)| self.effects(o))
            .filter_map(|e| e.outbox_entry(now, ttl))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_bounded() {
        assert_eq!(XpChange::Add(5).validate().unwrap(), ManualXp::Delta(5));
        assert_eq!(XpChange::Remove(5).validate().unwrap(), ManualXp::Delta(-5));
        assert_eq!(XpChange::Set(0).validate().unwrap(), ManualXp::Set(0));
        assert_eq!(XpChange::Reset.validate().unwrap(), ManualXp::Set(0));
        for bad in [
            XpChange::Add(0),
            XpChange::Add(-3),
            XpChange::Add(MAX_MANUAL_XP + 1),
            XpChange::Remove(-1),
            XpChange::Remove(i64::MAX),
            XpChange::Set(-1),
            XpChange::Set(i64::MAX),
        ] {
            let err = bad.validate().unwrap_err().to_string();
            assert!(err.contains("whole number"), "{bad:?}: {err}");
        }
    }
}
