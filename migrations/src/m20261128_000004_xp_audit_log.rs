//! `xp_audit_log`: every manual XP change (admin commands, imports), so moderators can answer
//! "who gave whom how much, and why". Automatic activity XP is not logged here (volume).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum XpAuditLog {
    Table,
    Id,
    GuildId,
    ActorId,
    TargetId,
    Delta,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(XpAuditLog::Table)
                    .col(
                        ColumnDef::new(XpAuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(XpAuditLog::GuildId).text().not_null())
                    .col(ColumnDef::new(XpAuditLog::ActorId).text().not_null())
                    .col(ColumnDef::new(XpAuditLog::TargetId).text().not_null())
                    .col(ColumnDef::new(XpAuditLog::Delta).big_integer().not_null())
                    .col(
                        ColumnDef::new(XpAuditLog::Reason)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(XpAuditLog::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_xp_audit_log_guild_created")
                    .table(XpAuditLog::Table)
                    .col(XpAuditLog::GuildId)
                    .col(XpAuditLog::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(XpAuditLog::Table)
                    .if_exists()
                    .to_owned()
                    .to_owned(),
            )
            .await
    }
}
