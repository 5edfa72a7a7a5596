//! Plugins compiled into the binary that embeds this runtime (the `questline` binary embeds
//! `plugins/`, see its `bundled` module), so a fresh install has working XP formulas,
//! quests, achievements, cards and commands with no files to copy. An operator's file with
//! the same plugin name overrides one of these.

/// One bundled plugin component.
#[derive(Debug, Clone, Copy)]
pub struct BundledPlugin {
    /// The crate (and plugin) name, e.g. `mee6-xp`.
    pub name: &'static str,
    /// The component's bytes.
    pub wasm: &'static [u8],
}
