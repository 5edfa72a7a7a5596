//! `plugin_settings`: per-guild plugin switches and configuration.
//!
//! `config` is JSON stored as text on both backends: it is opaque to the host (each plugin
//! validates its own configuration) so there is nothing to gain from JSONB operators.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PluginSettings {
    Table,
    GuildId,
    Plugin,
    Enabled,
    Config,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PluginSettings::Table)
                    .col(ColumnDef::new(PluginSettings::GuildId).text().not_null())
                    .col(ColumnDef::new(PluginSettings::Plugin).text().not_null())
                    .col(
                        ColumnDef::new(PluginSettings::Enabled)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(PluginSettings::Config)
                            .text()
                            .not_null()
                            .default("{}"),
                    )
                    .col(
                        ColumnDef::new(PluginSettings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PluginSettings::GuildId)
                            .col(PluginSettings::Plugin),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(PluginSettings::Table)
                    .if_exists()
                    .to_owned()
                    .to_owned(),
            )
            .await
    }
}
