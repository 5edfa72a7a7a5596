//! `xp_boosts`: XP boost events (`/boost start`): a multiplier on a guild's XP between two
//! times, for everyone or for one role or one channel. The engine multiplies the guild's
//! rate by the highest boost that matches an activity, so xp-formula plugins see the
//! effective rate. `end_announced` marks boosts whose end was announced (each once, even
//! with several processes).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum XpBoosts {
    Table,
    Id,
    GuildId,
    Multiplier,
    RoleId,
    ChannelId,
    StartsAt,
    EndsAt,
    CreatedBy,
    AnnounceChannel,
    EndAnnounced,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(XpBoosts::Table)
                    .col(
                        ColumnDef::new(XpBoosts::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(XpBoosts::GuildId).text().not_null())
                    .col(ColumnDef::new(XpBoosts::Multiplier).double().not_null())
                    .col(ColumnDef::new(XpBoosts::RoleId).text().null())
                    .col(ColumnDef::new(XpBoosts::ChannelId).text().null())
                    .col(
                        ColumnDef::new(XpBoosts::StartsAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(XpBoosts::EndsAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(XpBoosts::CreatedBy).text().not_null())
                    .col(ColumnDef::new(XpBoosts::AnnounceChannel).text().null())
                    .col(
                        ColumnDef::new(XpBoosts::EndAnnounced)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .check(Expr::col(XpBoosts::Multiplier).gt(0))
                    .check(Expr::col(XpBoosts::EndsAt).gt(Expr::col(XpBoosts::StartsAt)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_xp_boosts_guild_ends")
                    .table(XpBoosts::Table)
                    .col(XpBoosts::GuildId)
                    .col(XpBoosts::EndsAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_xp_boosts_end_announced")
                    .table(XpBoosts::Table)
                    .col(XpBoosts::EndAnnounced)
                    .col(XpBoosts::EndsAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(XpBoosts::Table).to_owned())
            .await
    }
}
