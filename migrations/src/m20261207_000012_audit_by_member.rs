//! `ix_xp_audit_log_guild_target` on (`guild_id`, `target_id`, `id`): `/audit member` reads
//! one member's changes newest first, and `/gdpr` finds a member's entries, without walking
//! the guild's whole log.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum XpAuditLog {
    Table,
    Id,
    GuildId,
    TargetId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_xp_audit_log_guild_target")
                    .table(XpAuditLog::Table)
                    .col(XpAuditLog::GuildId)
                    .col(XpAuditLog::TargetId)
                    .col(XpAuditLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_xp_audit_log_guild_target")
                    .table(XpAuditLog::Table)
                    .to_owned(),
            )
            .await
    }
}
