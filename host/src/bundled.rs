//! The bundled plugins: `plugins/*` compiled for `wasm32-wasip2` by `host/build.rs` and
//! embedded in the binary, so a fresh install has working XP formulas, quests, achievements,
//! cards and commands with no files to copy. Load them with
//! `PluginHost::load_bundled(questline::bundled::BUNDLED)`.

use crate::plugins::bundled::BundledPlugin;

include!(concat!(env!("OUT_DIR"), "/bundled_plugins.rs"));
