//! Questline host: the `questline` binary's library.
//!
//! Layout (see `ARCHITECTURE.md` for the whole map):
//! - [`config`]: the typed configuration, loaded once and passed down.
//! - [`db`]: the only place SQL is issued (SeaORM repository, caches, retries).
//! - [`plugins`]: the wasmtime component runtime, bundled plugins and hot reload.
//! - [`cards`]: rank cards (plugin SVG to PNG, image fetching, limits).
//! - [`import`]: importing other bots' leaderboards and Questline exports.
//! - [`observe`]: logs, `/healthz` and `/metrics`.
//! - [`backup`]: backups and restores, and the bot's scheduled housekeeping.
//! - [`bench`]: the throughput benchmark (`questline bench`, `cargo bench --bench pipeline`).
//! - [`discord`]: the Discord front (serenity gateway, effects over REST);
//! - [`commands`]: slash commands, independent of the transport;
//! - [`cli`]: the command-line front end (`questline ...`).

pub mod backup;
pub mod bench;
pub mod cards;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod db;
pub mod discord;
pub mod engine;
pub mod import;
pub mod observe;
pub mod plugins;
