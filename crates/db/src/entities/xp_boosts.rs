//! `xp_boosts`: XP boost events (a multiplier between two times, for everyone, a role or a
//! channel).
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "xp_boosts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub guild_id: String,
    /// > 0; 2.0 = double XP.
    pub multiplier: f64,
    /// Only members with this role (none: everyone).
    pub role_id: Option<String>,
    /// Only activity in this channel or a channel under it (none: everywhere).
    pub channel_id: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// Who started it (a user id).
    pub created_by: String,
    /// Where its end is announced (the channel it was started in).
    pub announce_channel: Option<String>,
    pub end_announced: bool,
}

impl Model {
    /// Whether it boosts activity at `at` by a member holding `roles` in `channel` (or a
    /// channel under `parent`).
    pub fn applies(
        &self,
        at: DateTimeUtc,
        roles: &[u64],
        channel: u64,
        parent: Option<u64>,
    ) -> bool {
        let id = |s: &Option<String>| s.as_deref().and_then(|v| v.parse::<u64>().ok());
        self.starts_at <= at
            && at < self.ends_at
            && id(&self.role_id).is_none_or(|r| roles.contains(&r))
            && id(&self.channel_id).is_none_or(|c| c == channel || Some(c) == parent)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
