//! # Writing Questline plugins
//!
//! Every policy of Questline — how much XP a message is worth, the level curve, quests,
//! achievements, rank cards, extra slash commands — is a WebAssembly component built against
//! the `questline:plugin@0.2.0` contract. This crate lets you write one in plain Rust: you
//! implement a trait per kind and call [`export_plugin!`] once. You never see the generated
//! bindings.
//!
//! ## Quickstart
//!
//! `questline plugin new my-formula --kind xp-formula` scaffolds this; or by hand, a crate
//! with `crate-type = ["cdylib", "rlib"]` depending on `questline-plugin-sdk`:
//!
//! ```
//! use questline_plugin_sdk::*;
//!
//! /// 20 XP per message, at most one award a minute; 100 XP per level.
//! struct Steady;
//!
//! impl Plugin for Steady {
//!     const NAME: &'static str = "steady";
//!     const DESCRIPTION: &'static str = "A flat 20 XP per message, 100 XP per level.";
//! }
//!
//! impl XpFormula for Steady {
//!     fn xp_for_activity(ctx: &XpContext) -> i64 {
//!         let cooled = ctx.seconds_since_last_award.is_none_or(|s| s >= 60);
//!         let is_message = matches!(ctx.activity.kind, ActivityKind::Message(_));
//!         if is_message && cooled { (20.0 * ctx.xp_rate).floor() as i64 } else { 0 }
//!     }
//!
//!     fn total_xp_for_level(level: u32) -> i64 {
//!         100 * i64::from(level)
//!     }
//! }
//!
//! export_plugin!(Steady, kinds: [xp_formula]);
//! # fn main() {
//! # let info = plugin_info::<Steady>();
//! # assert_eq!(info.name, "steady");
//! # assert_eq!(info.contract, CONTRACT_VERSION);
//! # }
//! ```
//!
//! Build it and drop the file into the host's plugin directory (default `./data/plugins`);
//! the host hot-reloads it:
//!
//! ```text
//! cargo build --target wasm32-wasip2 --release
//! cp target/wasm32-wasip2/release/my_formula.wasm ./data/plugins/
//! questline plugin check ./data/plugins/my_formula.wasm
//! ```
//!
//! ## Kinds
//!
//! A component implements any subset of kinds; list them in [`export_plugin!`] and implement
//! the matching traits: [`XpFormula`], [`QuestType`], [`AchievementCheck`], [`CardStyle`],
//! [`Commands`]. The component exports exactly those interfaces (plus metadata), which is how
//! the host discovers what the plugin does. The contract's calls are batch-shaped to keep
//! call overhead low; the traits let you handle one item at a time and batch for you.
//!
//! A quest type gets, once per batch, the guild's quests of its requirement types and each
//! active member's run (their activities in order, with their progress on each quest). You
//! write [`QuestType::progress_one`] for one activity and one quest; the default
//! [`QuestType::progress`] folds it over each run with [`fold_run`] (each activity sees the
//! progress the one before left, and a completed quest stops changing) and tells the host
//! which activity completed a quest. Override `progress` when a member has state of your own,
//! to read and write it once per run (`streak-quests` does this with its streak).
//!
//! ## Talking to the host
//!
//! A plugin sees no network, files or database; the host gives it:
//! - its guild's configuration: [`config::<T>()`](config()) parses the JSON into your type
//!   (cached; invalid JSON logs a warning and yields `T::default()`);
//! - a key-value store per plugin and guild: [`kv::get_json`], [`kv::set_json`], ...;
//! - the host's clock: [`now()`] (event time in simulations — never use the system clock);
//! - seeded randomness: [`random_range`], [`random_f64`];
//! - logging: [`info!`], [`warn!`], ... (tagged with the plugin and guild by the host).
//!
//! ```
//! use questline_plugin_sdk::*;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! #[serde(default)]
//! struct Settings { min_xp: i64, max_xp: i64 }
//! impl Default for Settings { fn default() -> Self { Settings { min_xp: 15, max_xp: 25 } } }
//!
//! fn roll() -> i64 {
//!     let s = config::<Settings>();
//!     random_range(s.min_xp..=s.max_xp)
//! }
//! # testing::reset();
//! # testing::set_config(r#"{"min_xp": 3, "max_xp": 3}"#);
//! # assert_eq!(roll(), 3);
//! ```
//!
//! ## Testing
//!
//! Keep plugin logic in plain functions and test it with `cargo test`. Natively, the host
//! calls above go to the in-process [`testing`] host, which you can set up per test
//! (config, clock, seed, store) and inspect (store, logs).
//!
//! ## Contract version
//!
//! Built against [`CONTRACT_VERSION`]; the host refuses components built against an
//! incompatible contract and says so in `questline plugin check`.
#![deny(missing_docs)]

extern crate self as questline_plugin_sdk;

#[doc(hidden)]
pub mod bindings;
mod config;
mod export;
mod host;
pub mod ids;
mod intents;
mod kinds;
pub mod kv;
pub mod log;
mod random;
pub mod svg;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
mod time;
mod types;

pub use config::{config, config_from_str};
pub use kinds::{
    AchievementCheck, CardStyle, Commands, Plugin, QuestType, XpFormula, fold_run, plugin_info,
};
pub use kv::StoreError;
pub use random::{chance, next_u64, random_f64, random_range};
pub use time::{DAY_MS, format_duration, next_utc_midnight, now, utc_day};
pub use types::*;

/// Derive it on a settings type to give the plugin a [`settings_schema`].
pub use schemars::{self, JsonSchema};

/// The contract version this SDK builds against (`questline:plugin@0.2.0`). Hosts load any
/// plugin built against `0.2.x`.
pub const CONTRACT_VERSION: &str = "0.2.0";

/// The JSON Schema (draft 2020-12) of a settings type, for [`Plugin::settings_schema`].
///
/// Derive [`JsonSchema`] next to `Deserialize`: doc comments become the descriptions admins
/// see, `#[serde(default)]` with a `Default` impl (and `Serialize`) gives every key its
/// default, and `#[schemars(deny_unknown_fields)]` makes the host refuse a mistyped key
/// while the plugin itself still parses leniently.
///
/// ```
/// use questline_plugin_sdk::*;
/// use serde::{Deserialize, Serialize};
///
/// /// Settings of the plugin.
/// #[derive(Deserialize, Serialize, JsonSchema)]
/// #[serde(default)]
/// #[schemars(deny_unknown_fields)]
/// struct Settings {
///     /// XP per message.
///     #[schemars(range(min = 0, max = 1000))]
///     per_message: i64,
/// }
/// impl Default for Settings { fn default() -> Self { Settings { per_message: 10 } } }
///
/// let schema: serde_json::Value = serde_json::from_str(&settings_schema::<Settings>()).unwrap();
/// assert_eq!(schema["properties"]["per_message"]["default"], 10);
/// assert_eq!(schema["additionalProperties"], false);
/// ```
pub fn settings_schema<T: JsonSchema>() -> String {
    schemars::schema_for!(T).to_value().to_string()
}

/// Not public API: used by the macros.
#[doc(hidden)]
pub mod __private {
    pub use crate::kinds::{
        AchievementCheckAdapter, CardStyleAdapter, CommandsAdapter, ExportedKinds, MetadataAdapter,
        QuestTypeAdapter, XpFormulaAdapter,
    };
    pub use wit_bindgen;
}
