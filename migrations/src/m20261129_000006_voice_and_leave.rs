//! Two guild settings the Discord front needs:
//! - `server_config.afk_channel` (text, null): voice time in this channel earns nothing.
//! - `server_config.reset_on_leave` (bool, default false): forget a member's XP when they
//!   leave (only acted on when the bot runs with the privileged members intent).
//!
//! One column per statement in both directions (SQLite's ALTER TABLE limits).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ServerConfig {
    Table,
    AfkChannel,
    ResetOnLeave,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(ServerConfig::AfkChannel)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(ServerConfig::ResetOnLeave)
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
        for col in [ServerConfig::ResetOnLeave, ServerConfig::AfkChannel] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ServerConfig::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
