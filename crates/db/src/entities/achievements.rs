//! `achievements`: achievement definitions per guild.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "achievements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub guild_id: String,
    pub name: String,
    pub description: String,
    /// Open set (level, messages, voice, plugin-defined...): checked by plugins, not the schema.
    pub requirement_type: String,
    pub requirement_value: i64,
    pub reward_xp: i64,
    pub badge_url: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user_achievements::Entity")]
    UserAchievements,
}

impl Related<super::user_achievements::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserAchievements.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
