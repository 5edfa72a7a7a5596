//! The one `bindgen!` site for the `questline:plugin` contract. The world-level struct is never
//! used to instantiate (it would require every kind to be exported); the host links the
//! imports through `Plugin::add_to_linker` and reaches each exported interface through its own
//! `GuestIndices`, so a component may export any subset of kinds.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
    // The engine compares plugin answers (tests, replays), so the data types get PartialEq.
    additional_derives: [PartialEq],
});

pub(crate) use self::exports::questline::plugin::{
    achievement_check, card_style, commands, metadata, quest_type, xp_formula,
};
pub(crate) use self::questline::plugin::{clock, config, kv, log, random, types};

impl Default for types::MemberStats {
    /// A member with no activity yet (what the engine sends for a member never seen).
    fn default() -> Self {
        types::MemberStats {
            xp: 0,
            level: 0,
            messages: 0,
            voice_time_seconds: 0,
            total_messages: 0,
            total_reactions: 0,
            commands_used: 0,
            last_message_time: None,
        }
    }
}
