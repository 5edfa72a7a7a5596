//! Room for in-place updates in the two tables every batch rewrites (PostgreSQL only).
//!
//! A batch rewrites one `levels` row per active member and one `user_quests` row per quest
//! that moved. PostgreSQL writes each update as a new row version; when the old version's
//! page has room and no indexed column changed, the new one stays on that page as a
//! heap-only tuple (HOT) and no index is touched. With the default fillfactor of 100 the
//! pages are full, so every update moves the row and adds an entry to each of the table's
//! indexes (three on each table). Quest progress never changes an indexed column, so with
//! a fifth of each page kept free most of its updates become HOT; `levels` keeps a tenth
//! free for the updates that leave XP alone (counters only).
//!
//! The setting applies to pages written from now on; existing pages fill as rows move.
//! SQLite has no such setting (it updates rows in place): there this migration does nothing.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, fillfactor)`: trusted constants, never input.
const FILLFACTORS: [(&str, u8); 2] = [("user_quests", 80), ("levels", 90)];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, fillfactor) in FILLFACTORS {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} SET (fillfactor = {fillfactor})"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, _) in FILLFACTORS {
            manager
                .get_connection()
                .execute_unprepared(&format!("ALTER TABLE {table} RESET (fillfactor)"))
                .await?;
        }
        Ok(())
    }
}
