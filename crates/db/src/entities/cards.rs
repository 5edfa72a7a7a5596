//! `cards`: a member's rank-card customisation; the member is the key.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub guild_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    pub background_url: Option<String>,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub border_color: Option<String>,
    pub text_color: Option<String>,
    pub card_style: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
