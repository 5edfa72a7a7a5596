//! `quests`: quest instances. A reset creates new rows; old rows go inactive.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "quests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub guild_id: String,
    pub name: String,
    pub description: String,
    /// daily, weekly, special, event or challenge.
    pub quest_type: String,
    /// total_messages, total_reactions, voice_time_seconds, commands_used or `plugin:<name>`.
    pub requirement_type: String,
    pub requirement_value: i64,
    pub reward_xp: i64,
    pub reward_multiplier: f64,
    pub active: bool,
    /// daily, weekly, monthly or once.
    pub refresh_cycle: String,
    /// easy, medium or hard.
    pub difficulty: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user_quests::Entity")]
    UserQuests,
}

impl Related<super::user_quests::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserQuests.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
