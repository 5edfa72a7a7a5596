//! Periodic leaderboards and seasons.
//!
//! - `period_xp`: XP each member gained per period (`week:2026-W49`, `month:2026-12`,
//!   `season:<id>`), added by the same transaction as the gain. A period's board page is a
//!   walk of `ix_period_xp_board` in its own order, each row joined to its `levels` row by
//!   key (which says whether the member is hidden or away: kept in one place, so a privacy
//!   change or a departure never leaves a period board behind).
//! - `seasons`: a guild's seasons; at most one running (`ended_at` null) per guild, kept by
//!   a partial unique index.
//! - `season_standings`: the top of each ended season, archived when it ends.
//! - `levels.carried_xp`: XP a season reset took off a member's level XP; lifetime XP is
//!   `xp + carried_xp`, so resets never lose what members earned.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PeriodXp {
    Table,
    GuildId,
    Period,
    UserId,
    Xp,
}

#[derive(DeriveIden, Clone, Copy)]
enum Seasons {
    Table,
    Id,
    GuildId,
    Name,
    StartedAt,
    EndsAt,
    EndedAt,
    TopN,
    RoleId,
    ResetXp,
    StartedBy,
    AnnounceChannel,
}

#[derive(DeriveIden, Clone, Copy)]
enum SeasonStandings {
    Table,
    SeasonId,
    UserId,
    Rank,
    Xp,
}

#[derive(DeriveIden, Clone, Copy)]
enum Levels {
    Table,
    CarriedXp,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PeriodXp::Table)
                    .col(ColumnDef::new(PeriodXp::GuildId).text().not_null())
                    .col(ColumnDef::new(PeriodXp::Period).text().not_null())
                    .col(ColumnDef::new(PeriodXp::UserId).text().not_null())
                    .col(
                        ColumnDef::new(PeriodXp::Xp)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .col(PeriodXp::GuildId)
                            .col(PeriodXp::Period)
                            .col(PeriodXp::UserId),
                    )
                    .check(Expr::col(PeriodXp::Xp).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_period_xp_board")
                    .table(PeriodXp::Table)
                    .col(PeriodXp::GuildId)
                    .col(PeriodXp::Period)
                    .col((PeriodXp::Xp, IndexOrder::Desc))
                    .col(PeriodXp::UserId)
                    .to_owned(),
            )
            .await?;
        // A member's rows (erasure, a moderator's removal) without walking the guild's.
        manager
            .create_index(
                Index::create()
                    .name("ix_period_xp_member")
                    .table(PeriodXp::Table)
                    .col(PeriodXp::GuildId)
                    .col(PeriodXp::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Seasons::Table)
                    .col(
                        ColumnDef::new(Seasons::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Seasons::GuildId).text().not_null())
                    .col(ColumnDef::new(Seasons::Name).text().not_null())
                    .col(
                        ColumnDef::new(Seasons::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Seasons::EndsAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Seasons::EndedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Seasons::TopN)
                            .integer()
                            .not_null()
                            .default(10),
                    )
                    .col(ColumnDef::new(Seasons::RoleId).text().null())
                    .col(
                        ColumnDef::new(Seasons::ResetXp)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(Seasons::StartedBy).text().not_null())
                    .col(ColumnDef::new(Seasons::AnnounceChannel).text().null())
                    .check(Expr::col(Seasons::TopN).between(1, 100))
                    .to_owned(),
            )
            .await?;
        // One running season per guild. Partial indexes read the same on both backends.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_seasons_running ON seasons (guild_id) WHERE ended_at IS NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_seasons_guild_started")
                    .table(Seasons::Table)
                    .col(Seasons::GuildId)
                    .col(Seasons::StartedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SeasonStandings::Table)
                    .col(
                        ColumnDef::new(SeasonStandings::SeasonId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SeasonStandings::UserId).text().not_null())
                    .col(ColumnDef::new(SeasonStandings::Rank).integer().not_null())
                    .col(ColumnDef::new(SeasonStandings::Xp).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(SeasonStandings::SeasonId)
                            .col(SeasonStandings::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_season_standings_season")
                            .from(SeasonStandings::Table, SeasonStandings::SeasonId)
                            .to(Seasons::Table, Seasons::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Levels::Table)
                    .add_column(
                        ColumnDef::new(Levels::CarriedXp)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Levels::Table)
                    .drop_column(Levels::CarriedXp)
                    .to_owned(),
            )
            .await?;
        for table in [
            SeasonStandings::Table.into_iden(),
            Seasons::Table.into_iden(),
            PeriodXp::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
