//! `levels.away`: why a member is off the leaderboards without having asked to be (`left`
//! the server, or `banned`); empty while they are on it. Not null: PostgreSQL walks an index
//! in order after equalities only, and `away IS NULL` is not one (it sorted the whole guild
//! instead). `ix_levels_guild_listed_xp` on
//! (`guild_id`, `hidden`, `away`, `xp DESC`, `user_id`) replaces `ix_levels_guild_visible_xp`,
//! so a page is still one walk of the index in its own order with both conditions as
//! equalities.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Levels {
    Table,
    GuildId,
    Hidden,
    Away,
    Xp,
    UserId,
}

/// The index pages walk before and after this migration.
const OLD: &str = "ix_levels_guild_visible_xp";
const NEW: &str = "ix_levels_guild_listed_xp";

/// Creates the board index `name` (with `away` or without), then drops `old`: a new name,
/// so the board always has an index to walk.
async fn swap_index(
    manager: &SchemaManager<'_>,
    name: &str,
    with_away: bool,
    old: &str,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index
        .name(name)
        .table(Levels::Table)
        .col(Levels::GuildId)
        .col(Levels::Hidden);
    if with_away {
        index.col(Levels::Away);
    }
    manager
        .create_index(
            index
                .col((Levels::Xp, IndexOrder::Desc))
                .col(Levels::UserId)
                .to_owned(),
        )
        .await?;
    manager
        .drop_index(Index::drop().name(old).table(Levels::Table).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Levels::Table)
                    .add_column(ColumnDef::new(Levels::Away).text().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        swap_index(manager, NEW, true, OLD).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        swap_index(manager, OLD, false, NEW).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Levels::Table)
                    .drop_column(Levels::Away)
                    .to_owned(),
            )
            .await
    }
}
