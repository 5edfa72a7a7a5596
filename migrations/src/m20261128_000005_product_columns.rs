//! Product columns beyond the eight core tables, kept apart from them so the core mapping in
//! the first migration stays one-to-one:
//! - `server_config.xp_formula_plugin` (text, null): which plugin's XP curve the guild uses;
//!   null means the bundled default.
//! - `server_config.card_style` (text, null): the guild's default rank-card style plugin.
//! - `server_config.demote_on_xp_loss` (bool, default false): whether removing XP may lower a
//!   member's level (and take level roles away), or levels only ever go up.
//! - `levels.hidden` (bool, default false): privacy opt-out; hidden members are left out of
//!   leaderboards and have no public rank.
//!
//! SQLite cannot drop columns inside one multi-column ALTER, so each column is its own
//! statement in both directions.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ServerConfig {
    Table,
    XpFormulaPlugin,
    CardStyle,
    DemoteOnXpLoss,
}

#[derive(DeriveIden, Clone, Copy)]
enum Levels {
    Table,
    Hidden,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(ServerConfig::XpFormulaPlugin)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(ServerConfig::CardStyle)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(ServerConfig::DemoteOnXpLoss)
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
                        .to_owned()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Levels::Table)
                    .add_column(
                        ColumnDef::new(Levels::Hidden)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Levels::Table)
                    .drop_column(Levels::Hidden)
                    .to_owned()
                    .to_owned(),
            )
            .await?;
        for col in [
            ServerConfig::DemoteOnXpLoss,
            ServerConfig::CardStyle,
            ServerConfig::XpFormulaPlugin,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ServerConfig::Table)
                        .drop_column(col)
                        .to_owned()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
