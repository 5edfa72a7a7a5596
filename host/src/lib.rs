//! Questline host: the `questline` binary's library.
//!
//! The layers below it are crates of their own (see `ARCHITECTURE.md` for the whole map),
//! re-exported here under the names the host uses:
//! - [`db`] (`questline-db`): the only place SQL is issued (SeaORM repository, caches,
//!   retries).
//! - [`plugins`] (`questline-plugin-runtime`): the wasmtime component runtime and hot
//!   reload; [`bundled`] holds the plugins compiled into the binary.
//! - [`cards`] (`questline-cards`): rank cards (plugin SVG to PNG, image fetching, limits).
//!
//! The host's own modules:
//! - [`config`]: the typed configuration, loaded once and passed down; [`problem`] is what
//!   every section reports when a value is wrong.
//! - [`engine`]: the leveling engine (batches, XP, quests, achievements, effects).
//! - [`import`]: importing other bots' leaderboards and Questline exports.
//! - [`observe`]: logs, `/healthz` and `/metrics`.
//! - [`backup`]: backups and restores, and the bot's scheduled housekeeping.
//! - [`bench`](mod@bench): the throughput benchmark (`questline bench`, `cargo bench --bench pipeline`).
//! - [`discord`]: the Discord front (serenity gateway, effects over REST);
//! - [`commands`]: slash commands, independent of the transport;
//! - [`console`]: the local console front;
//! - [`cli`]: the command-line front end (`questline ...`).

pub use questline_cards as cards;
pub use questline_db as db;
pub use questline_plugin_runtime as plugins;

pub mod backup;
pub mod bench;
pub mod bundled;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod discord;
pub mod engine;
pub mod import;
pub mod observe;
pub mod problem;
pub mod serve;
pub mod web;
