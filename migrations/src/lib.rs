//! Questline's schema migrations (sea-orm-migration).
//!
//! Order matters and names are forever: a migration's name is recorded in `seaql_migrations`,
//! and the host refuses to start against a database that has applied a name it does not know
//! (a newer binary migrated it). Add new migrations at the end; never edit an applied one.
pub use sea_orm_migration::prelude::*;

mod m20261128_000001_core_tables;
mod m20261128_000002_plugin_kv;
mod m20261128_000003_plugin_settings;
mod m20261128_000004_xp_audit_log;
mod m20261128_000005_product_columns;
mod m20261129_000006_voice_and_leave;
mod m20261129_000007_hot_updates;
mod m20261207_000008_outbox;
mod m20261207_000009_web_face;
mod m20261207_000010_web_sessions;
mod m20261207_000011_board_index;
mod m20261207_000012_audit_by_member;
mod m20261207_000013_away;
mod m20261207_000014_level_up_options;
mod m20261207_000015_xp_boosts;
mod m20261207_000016_seasons;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_core_tables::Migration),
            Box::new(m20261128_000002_plugin_kv::Migration),
            Box::new(m20261128_000003_plugin_settings::Migration),
            Box::new(m20261128_000004_xp_audit_log::Migration),
            Box::new(m20261128_000005_product_columns::Migration),
            Box::new(m20261129_000006_voice_and_leave::Migration),
            Box::new(m20261129_000007_hot_updates::Migration),
            Box::new(m20261207_000008_outbox::Migration),
            Box::new(m20261207_000009_web_face::Migration),
            Box::new(m20261207_000010_web_sessions::Migration),
            Box::new(m20261207_000011_board_index::Migration),
            Box::new(m20261207_000012_audit_by_member::Migration),
            Box::new(m20261207_000013_away::Migration),
            Box::new(m20261207_000014_level_up_options::Migration),
            Box::new(m20261207_000015_xp_boosts::Migration),
            Box::new(m20261207_000016_seasons::Migration),
        ]
    }
}
