//! `plugin_kv`: the key-value store each plugin gets per guild (WIT `kv` interface).
//!
//! Keys are at most 128 bytes and values at most 64 KiB; the repository enforces both (with a
//! typed error a plugin can report) and a per (guild, plugin) key quota, and the CHECKs here
//! are the backstop so no other writer can bypass them.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PluginKv {
    Table,
    GuildId,
    Plugin,
    Key,
    Value,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PluginKv::Table)
                    .col(ColumnDef::new(PluginKv::GuildId).text().not_null())
                    .col(ColumnDef::new(PluginKv::Plugin).text().not_null())
                    .col(ColumnDef::new(PluginKv::Key).text().not_null())
                    .col(ColumnDef::new(PluginKv::Value).blob().not_null())
                    .col(
                        ColumnDef::new(PluginKv::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PluginKv::GuildId)
                            .col(PluginKv::Plugin)
                            .col(PluginKv::Key),
                    )
                    .check(Expr::cust("length(key) <= 128"))
                    .check(Expr::cust("length(value) <= 65536"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PluginKv::Table).if_exists().to_owned())
            .await
    }
}
