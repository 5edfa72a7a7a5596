//! `levels`: one row per member and guild: XP, level and activity counters.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "levels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub guild_id: String,
    pub user_id: String,
    /// Total XP, never below 0 (widened to 64-bit).
    pub xp: i64,
    pub level: i32,
    pub messages: i64,
    pub voice_time_seconds: i64,
    pub total_messages: i64,
    pub total_reactions: i64,
    pub commands_used: i64,
    pub last_message_time: Option<DateTimeUtc>,
    /// Privacy opt-out: left out of leaderboards and ranks.
    pub hidden: bool,
    /// Off the leaderboards without having asked: `left` the server (seen with the members
    /// intent) or `banned`; empty while on it (not null: the board index then walks in XP
    /// order with `away = ''` as an equality). See [`crate::Away`].
    pub away: String,
    /// XP season resets took off `xp` (see `crate::seasons`): lifetime XP is
    /// `xp + carried_xp`.
    pub carried_xp: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
