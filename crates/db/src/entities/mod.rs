//! SeaORM entities, one per table. Column names are the data model's (`docs/schema.md`);
//! 64-bit widenings and product columns are explained in the migrations crate.
pub mod achievements;
pub mod cards;
pub mod levels;
pub mod plugin_kv;
pub mod plugin_settings;
pub mod quests;
pub mod roles;
pub mod seasons;
pub mod server_config;
pub mod user_achievements;
pub mod user_quests;
pub mod xp_audit_log;
pub mod xp_boosts;
