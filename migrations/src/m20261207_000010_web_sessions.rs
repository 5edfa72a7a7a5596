//! Discord login for the web pages:
//! - `web_logins`: a login in progress (the OAuth `state`, the PKCE verifier, where to go
//!   afterwards), deleted when the visitor comes back, so a `state` works once;
//! - `web_sessions`: a logged-in visitor, found by the SHA-256 of their session cookie (the
//!   cookie itself is never stored), with who they are on Discord and which servers they
//!   are in and manage, as Discord said at login.
//!
//! Both keep times as milliseconds since the Unix epoch (compared the same way on both
//! backends).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WebLogins {
    Table,
    StateHash,
    Verifier,
    NextPath,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebSessions {
    Table,
    IdHash,
    UserId,
    UserName,
    Avatar,
    Guilds,
    Csrf,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebLogins::Table)
                    .col(
                        ColumnDef::new(WebLogins::StateHash)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebLogins::Verifier).text().not_null())
                    .col(ColumnDef::new(WebLogins::NextPath).text().not_null())
                    .col(
                        ColumnDef::new(WebLogins::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebSessions::Table)
                    .col(
                        ColumnDef::new(WebSessions::IdHash)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebSessions::UserId).text().not_null())
                    .col(ColumnDef::new(WebSessions::UserName).text().not_null())
                    .col(ColumnDef::new(WebSessions::Avatar).text())
                    // JSON: [{"id": "<guild>", "manager": true|false}, ...]
                    .col(ColumnDef::new(WebSessions::Guilds).text().not_null())
                    .col(ColumnDef::new(WebSessions::Csrf).text().not_null())
                    .col(
                        ColumnDef::new(WebSessions::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebSessions::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_web_sessions_user")
                    .table(WebSessions::Table)
                    .col(WebSessions::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebSessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebLogins::Table).to_owned())
            .await
    }
}
