//! The export macro: the one line that turns a type into a plugin component.

/// Exports `$ty` as a Questline plugin implementing exactly the listed kinds.
///
/// `$ty` must implement [`Plugin`](crate::Plugin) and the trait of each kind listed:
///
/// | kind | trait |
/// |---|---|
/// | `xp_formula` | [`XpFormula`](crate::XpFormula) |
/// | `quest_type` | [`QuestType`](crate::QuestType) |
/// | `achievement_check` | [`AchievementCheck`](crate::AchievementCheck) |
/// | `card_style` | [`CardStyle`](crate::CardStyle) |
/// | `commands` | [`Commands`](crate::Commands) |
///
/// The component exports `questline:plugin/metadata` plus one interface per listed kind and
/// nothing else; its metadata lists the same kinds. Use it once per plugin crate.
///
/// ```
/// use questline_plugin_sdk::*;
/// struct Flat;
/// impl Plugin for Flat {
///     const NAME: &'static str = "flat";
///     const DESCRIPTION: &'static str = "10 XP per activity, 100 XP per level.";
/// }
/// impl XpFormula for Flat {
///     fn xp_for_activity(_: &XpContext) -> i64 { 10 }
///     fn total_xp_for_level(level: u32) -> i64 { 100 * level as i64 }
/// }
/// export_plugin!(Flat, kinds: [xp_formula]);
/// # fn main() {
/// let info = plugin_info::<Flat>();
/// assert_eq!(info.kinds, vec![PluginKind::XpFormula]);
/// # }
/// ```
///
/// An unknown kind is a compile error that lists the valid ones:
///
/// ```compile_fail
/// use questline_plugin_sdk::*;
/// struct Flat;
/// impl Plugin for Flat {
///     const NAME: &'static str = "flat";
///     const DESCRIPTION: &'static str = "";
/// }
/// export_plugin!(Flat, kinds: [xp_formulas]);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($ty:ty, kinds: [$($kind:ident),* $(,)?] $(,)?) => {
        impl $crate::__private::ExportedKinds for $ty {
            const KINDS: &'static [$crate::PluginKind] = &[$($crate::__kind_enum!($kind)),*];
            const CRATE_VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
        }
        // Native builds (unit tests) skip the exports: their symbol names (`pkg:iface#func`)
        // are not valid in a native linker's version script, and only a component needs them.
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __QuestlineMetadata = $crate::__private::MetadataAdapter<$ty>;
            $crate::bindings::base::export_base!(
                __QuestlineMetadata with_types_in $crate::bindings::base
            );
        };
        $( $crate::__export_kind!($ty, $kind); )*
    };
}

/// Maps a kind identifier to its `PluginKind`.
#[doc(hidden)]
#[macro_export]
macro_rules! __kind_enum {
    (xp_formula) => {
        $crate::PluginKind::XpFormula
    };
    (quest_type) => {
        $crate::PluginKind::QuestType
    };
    (achievement_check) => {
        $crate::PluginKind::AchievementCheck
    };
    (card_style) => {
        $crate::PluginKind::CardStyle
    };
    (commands) => {
        $crate::PluginKind::Commands
    };
    ($other:ident) => {
        ::core::compile_error!(::core::concat!(
            "unknown plugin kind `",
            ::core::stringify!($other),
            "`: expected xp_formula, quest_type, achievement_check, card_style or commands"
        ))
    };
}

/// Exports one kind interface through its adapter.
///
/// WHY a type alias: wit-bindgen's export macros take an identifier, and the adapter is a
/// generic type; a local alias gives it a name.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_kind {
    ($ty:ty, xp_formula) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __QuestlineXpFormula = $crate::__private::XpFormulaAdapter<$ty>;
            $crate::bindings::xp_formula::export_xp_formula!(
                __QuestlineXpFormula with_types_in $crate::bindings::xp_formula
            );
        };
    };
    ($ty:ty, quest_type) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __QuestlineQuestType = $crate::__private::QuestTypeAdapter<$ty>;
            $crate::bindings::quest_type::export_quest_type!(
                __QuestlineQuestType with_types_in $crate::bindings::quest_type
            );
        };
    };
    ($ty:ty, achievement_check) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __QuestlineAchievementCheck = $crate::__private::AchievementCheckAdapter<$ty>;
            $crate::bindings::achievement_check::export_achievement_check!(
                __QuestlineAchievementCheck with_types_in $crate::bindings::achievement_check
            );
        };
    };
    ($ty:ty, card_style) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __QuestlineCardStyle = $crate::__private::CardStyleAdapter<$ty>;
            $crate::bindings::card_style::export_card_style!(
                __QuestlineCardStyle with_types_in $crate::bindings::card_style
            );
        };
    };
    ($ty:ty, commands) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __QuestlineCommands = $crate::__private::CommandsAdapter<$ty>;
            $crate::bindings::commands::export_commands!(
                __QuestlineCommands with_types_in $crate::bindings::commands
            );
        };
    };
    ($ty:ty, $other:ident) => {};
}
