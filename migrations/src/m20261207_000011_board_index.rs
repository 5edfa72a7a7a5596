//! The leaderboard's index: `ix_levels_guild_visible_xp` on (`guild_id`, `hidden`,
//! `xp DESC`, `user_id`) replaces `ix_levels_guild_xp` on (`guild_id`, `xp DESC`).
//!
//! Every ranking read asks for the visible members of one guild in XP order (ties by id):
//! the web pages, `/leaderboard`, `/rank`'s position and the counts behind them. With
//! `hidden` and `user_id` in the index, a page is a walk of the index in its own order
//! (no sort), and "how many visible members have more XP" and "how many are visible" are
//! counted from the index alone instead of visiting every row of the guild. It still has
//! one entry per row, so an XP change costs what it cost before.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Levels {
    Table,
    GuildId,
    Hidden,
    Xp,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_levels_guild_visible_xp")
                    .table(Levels::Table)
                    .col(Levels::GuildId)
                    .col(Levels::Hidden)
                    .col((Levels::Xp, IndexOrder::Desc))
                    .col(Levels::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_levels_guild_xp")
                    .table(Levels::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_levels_guild_xp")
                    .table(Levels::Table)
                    .col(Levels::GuildId)
                    .col((Levels::Xp, IndexOrder::Desc))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_levels_guild_visible_xp")
                    .table(Levels::Table)
                    .to_owned(),
            )
            .await
    }
}
