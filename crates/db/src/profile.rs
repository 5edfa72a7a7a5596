//! Rank-card settings and level roles.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use super::Db;
use super::entities::{cards, roles};
use super::error::DbError;

/// A member's rank-card customisation; `None` fields use the guild/style default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSettings {
    pub background_url: Option<String>,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub border_color: Option<String>,
    pub text_color: Option<String>,
    pub card_style: Option<String>,
}

impl CardSettings {
    fn validate(&self) -> Result<(), DbError> {
        for (field, color) in [
            ("primary_color", &self.primary_color),
            ("secondary_color", &self.secondary_color),
            ("border_color", &self.border_color),
            ("text_color", &self.text_color),
        ] {
            if let Some(c) = color {
                let hex = c.strip_prefix('#').unwrap_or(c);
                if !(hex.len() == 6 || hex.len() == 8)
                    || !hex.chars().all(|ch| ch.is_ascii_hexdigit())
                {
                    return Err(DbError::invalid(
                        field,
                        format!("`{c}` is not a hex colour like #5865F2"),
                    ));
                }
            }
        }
        if let Some(url) = &self.background_url
            && (!(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2_000)
        {
            return Err(DbError::invalid(
                "background_url",
                "must be an http(s) URL of at most 2000 characters",
            ));
        }
        if self
            .card_style
            .as_ref()
            .is_some_and(|s| s.is_empty() || s.len() > 64)
        {
            return Err(DbError::invalid("card_style", "must be 1 to 64 characters"));
        }
        Ok(())
    }
}

impl Db {
    /// The member's card settings, `None` when never customised.
    pub async fn get_card_settings(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Option<CardSettings>, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        let row = self
            .retry("get_card_settings", || async {
                Ok::<_, DbError>(
                    cards::Entity::find_by_id((guild_id.to_string(), user_id.to_string()))
                        .one(self.conn())
                        .await?,
                )
            })
            .await?;
        Ok(row.map(|m| CardSettings {
            background_url: m.background_url,
            primary_color: m.primary_color,
            secondary_color: m.secondary_color,
            border_color: m.border_color,
            text_color: m.text_color,
            card_style: m.card_style,
        }))
    }

    /// Replaces the member's card settings.
    pub async fn set_card_settings(
        &self,
        guild: u64,
        user: u64,
        settings: &CardSettings,
    ) -> Result<(), DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        settings.validate()?;
        self.retry("set_card_settings", || async {
            let model = cards::ActiveModel {
                guild_id: Set(guild_id.to_string()),
                user_id: Set(user_id.to_string()),
                background_url: Set(settings.background_url.clone()),
                primary_color: Set(settings.primary_color.clone()),
                secondary_color: Set(settings.secondary_color.clone()),
                border_color: Set(settings.border_color.clone()),
                text_color: Set(settings.text_color.clone()),
                card_style: Set(settings.card_style.clone()),
            };
            cards::Entity::insert(model)
                .on_conflict(
                    OnConflict::columns([cards::Column::GuildId, cards::Column::UserId])
                        .update_columns([
                            cards::Column::BackgroundUrl,
                            cards::Column::PrimaryColor,
                            cards::Column::SecondaryColor,
                            cards::Column::BorderColor,
                            cards::Column::TextColor,
                            cards::Column::CardStyle,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(self.conn())
                .await?;
            Ok::<_, DbError>(())
        })
        .await
    }

    /// Back to defaults. Returns whether there was anything to reset.
    pub async fn reset_card_settings(&self, guild: u64, user: u64) -> Result<bool, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        self.retry("reset_card_settings", || async {
            let res = cards::Entity::delete_by_id((guild_id.to_string(), user_id.to_string()))
                .exec(self.conn())
                .await?;
            Ok::<_, DbError>(res.rows_affected > 0)
        })
        .await
    }

    /// Makes `role` the reward for reaching `level` (replacing its previous level).
    pub async fn add_level_role(
        &self,
        guild: u64,
        role: u64,
        level: i32,
        is_stacked: bool,
    ) -> Result<(), DbError> {
        let guild_id: &str = &guild.to_string();
        let role_id: &str = &role.to_string();
        if level < 0 {
            return Err(DbError::invalid("level", "cannot be negative"));
        }
        let added = self
            .retry("add_level_role", || async {
                let model = roles::ActiveModel {
                    id: NotSet,
                    guild_id: Set(guild_id.to_string()),
                    role_id: Set(role_id.to_string()),
                    level: Set(level),
                    is_stacked: Set(is_stacked),
                };
                roles::Entity::insert(model)
                    .on_conflict(
                        OnConflict::columns([roles::Column::GuildId, roles::Column::RoleId])
                            .update_columns([roles::Column::Level, roles::Column::IsStacked])
                            .to_owned(),
                    )
                    .exec_without_returning(self.conn())
                    .await?;
                Ok::<_, DbError>(())
            })
            .await;
        self.caches().definitions_changed(guild_id);
        added
    }

    /// Removes a level role. Returns whether it existed.
    pub async fn remove_level_role(&self, guild: u64, role: u64) -> Result<bool, DbError> {
        let guild_id: &str = &guild.to_string();
        let role_id: &str = &role.to_string();
        let removed = self
            .retry("remove_level_role", || async {
                let res = roles::Entity::delete_many()
                    .filter(roles::Column::GuildId.eq(guild_id))
                    .filter(roles::Column::RoleId.eq(role_id))
                    .exec(self.conn())
                    .await?;
                Ok::<_, DbError>(res.rows_affected > 0)
            })
            .await;
        self.caches().definitions_changed(guild_id);
        removed
    }

    /// The guild's level roles, lowest level first.
    pub async fn list_level_roles(&self, guild: u64) -> Result<Vec<roles::Model>, DbError> {
        let guild_id: &str = &guild.to_string();
        self.cached_list(
            &self.caches().level_roles,
            guild_id,
            "list_level_roles",
            || async {
                Ok(roles::Entity::find()
                    .filter(roles::Column::GuildId.eq(guild_id))
                    .order_by_asc(roles::Column::Level)
                    .order_by_asc(roles::Column::RoleId)
                    .all(self.conn())
                    .await?)
            },
        )
        .await
    }
}
