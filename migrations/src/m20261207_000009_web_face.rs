//! What the web pages need:
//! - `member_profiles`: the member directory. The other tables hold Discord ids only; a web
//!   page shows names and avatars, kept here from gateway events (display name in the guild,
//!   avatar hash). Erased with the member's other data by `/gdpr delete`.
//! - `server_config.leaderboard_visibility` (text, default `members`): who may see the
//!   guild's web leaderboard (`public`, `members`, `managers` or `off`).
//! - `server_config.leaderboard_indexable` (bool, default false): whether a public
//!   leaderboard lets search engines index it (otherwise it carries `noindex`).
//!
//! One column per statement (SQLite's ALTER TABLE limits).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum MemberProfiles {
    Table,
    GuildId,
    UserId,
    DisplayName,
    Avatar,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ServerConfig {
    Table,
    LeaderboardVisibility,
    LeaderboardIndexable,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MemberProfiles::Table)
                    .col(ColumnDef::new(MemberProfiles::GuildId).text().not_null())
                    .col(ColumnDef::new(MemberProfiles::UserId).text().not_null())
                    .col(
                        ColumnDef::new(MemberProfiles::DisplayName)
                            .text()
                            .not_null(),
                    )
                    // Discord's avatar hash (guild avatar if the member set one), or null.
                    .col(ColumnDef::new(MemberProfiles::Avatar).text())
                    .col(
                        ColumnDef::new(MemberProfiles::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(MemberProfiles::GuildId)
                            .col(MemberProfiles::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        let columns = [
            ColumnDef::new(ServerConfig::LeaderboardVisibility)
                .text()
                .not_null()
                .default("members")
                .to_owned(),
            ColumnDef::new(ServerConfig::LeaderboardIndexable)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ];
        for col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(ServerConfig::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            ServerConfig::LeaderboardIndexable,
            ServerConfig::LeaderboardVisibility,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ServerConfig::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(MemberProfiles::Table).to_owned())
            .await
    }
}
