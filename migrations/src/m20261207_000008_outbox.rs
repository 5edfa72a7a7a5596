//! `outbox`: what the bot still has to do on Discord (reward role changes, level-up and quest
//! notices), written in the same transaction as the change that caused it and deleted once
//! Discord accepted it (or refused it for good). A crash or a rate limit between the commit
//! and the request therefore delays a role change instead of losing it: the next start sends
//! what is left.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    GuildId,
    UserId,
    Kind,
    Payload,
    CreatedAt,
    NotBefore,
    ExpiresAt,
    Attempts,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(
                        ColumnDef::new(Outbox::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Outbox::GuildId).text().not_null())
                    .col(ColumnDef::new(Outbox::UserId).text().not_null())
                    // `role_add`, `role_remove` or `notice`.
                    .col(ColumnDef::new(Outbox::Kind).text().not_null())
                    // The effect as JSON (what to send, where).
                    .col(ColumnDef::new(Outbox::Payload).text().not_null())
                    .col(
                        ColumnDef::new(Outbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // Not sent before this time (a rate limit's reset, a retry's backoff), in
                    // milliseconds since the Unix epoch: compared the same way on both
                    // backends, where SQLite would compare timestamps as text.
                    .col(ColumnDef::new(Outbox::NotBefore).big_integer().not_null())
                    // Notices only: dropped unsent after this time (stale news), in ms.
                    .col(ColumnDef::new(Outbox::ExpiresAt).big_integer())
                    .col(
                        ColumnDef::new(Outbox::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Outbox::LastError).text())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_not_before")
                    .table(Outbox::Table)
                    .col(Outbox::NotBefore)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).if_exists().to_owned())
            .await
    }
}
