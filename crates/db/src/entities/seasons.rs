//! `seasons`: a guild's seasons (`/season start`); at most one runs at a time.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "seasons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub guild_id: String,
    pub name: String,
    pub started_at: DateTimeUtc,
    /// When the scheduler ends it by itself (none: when an admin runs `/season end`).
    pub ends_at: Option<DateTimeUtc>,
    /// Set when it ended; none while it runs.
    pub ended_at: Option<DateTimeUtc>,
    /// How many of its top members are archived (and given `role_id`), 1..=100.
    pub top_n: i32,
    /// Given to the top members when it ends (taken from the previous season's top members
    /// who hold it and did not place again).
    pub role_id: Option<String>,
    /// Whether its end resets everyone's level XP (kept as lifetime XP).
    pub reset_xp: bool,
    /// Who started it (a user id).
    pub started_by: String,
    /// Where its end is announced (the channel it was started in).
    pub announce_channel: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
