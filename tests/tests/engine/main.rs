//! The engine on both backends (`both_backends!`) with the real bundled plugins: XP, quests,
//! achievements, commits and moderators' flows, plus the throughput benchmark's correctness
//! and the observability endpoint over a running engine. One test binary; run a part with e.g.
//! `cargo test -p questline-tests --test engine quests::`.

/// The plugin tests' helpers, for the observability endpoint's plugin calls.
#[path = "../plugins/support.rs"]
mod plugin_support;
mod support;

mod achievements;
mod admin;
mod bench;
mod commit;
mod disk_full;
mod guards;
mod observe;
mod quests;
mod xp;
