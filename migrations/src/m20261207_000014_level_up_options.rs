//! Level-up message options on `server_config`: where they go (`level_up_destination`:
//! `channel`, `dm` or `off`), whether they ping (`level_up_ping`), the message when a reward
//! role is given (`role_reward_message`) and messages for particular levels
//! (`level_messages`, a JSON object of level → template; JSONB on PostgreSQL, text on
//! SQLite). Kept on the cached config row, so a level-up reads nothing more.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ServerConfig {
    Table,
    LevelUpDestination,
    LevelUpPing,
    RoleRewardMessage,
    LevelMessages,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut messages = ColumnDef::new(ServerConfig::LevelMessages);
        match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => messages.json_binary(),
            _ => messages.text(),
        };
        let columns = [
            ColumnDef::new(ServerConfig::LevelUpDestination)
                .text()
                .not_null()
                .default("channel")
                .to_owned(),
            ColumnDef::new(ServerConfig::LevelUpPing)
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
            ColumnDef::new(ServerConfig::RoleRewardMessage)
                .text()
                .null()
                .to_owned(),
            messages.null().to_owned(),
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
            ServerConfig::LevelMessages,
            ServerConfig::RoleRewardMessage,
            ServerConfig::LevelUpPing,
            ServerConfig::LevelUpDestination,
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
        Ok(())
    }
}
