//! The friendly traits a plugin implements, one per kind, and the adapters that connect them
//! to the generated bindings.
//!
//! Every trait method is an associated function (no `self`): a plugin is a stateless type,
//! and state lives in the host's key-value store. The WIT exports are batch-shaped to
//! amortise the cost of a call; the traits let you write one item at a time and map over the
//! batch by default (override the batch method if you can do better).

use std::marker::PhantomData;

use crate::bindings;
use crate::types::*;

/// Metadata every plugin provides.
pub trait Plugin {
    /// Unique name: lowercase letters, digits and `-`.
    const NAME: &'static str;
    /// One line saying what the plugin does.
    const DESCRIPTION: &'static str;
    /// The plugin's semver; `None` uses the crate's `CARGO_PKG_VERSION`.
    const VERSION: Option<&'static str> = None;
    /// The host interfaces the plugin uses, each with why (one line, shown to operators).
    ///
    /// Declare every one the plugin's code reaches: [`config()`](crate::config()) needs
    /// `Config` (and `Log`, which it warns through when a server's settings do not parse),
    /// [`kv`](crate::kv) needs `Kv`, [`now()`](crate::now) needs `Clock`, the random
    /// functions need `Random`, and the log macros need `Log`. The host refuses a component
    /// that imports one it did not declare, naming it, so a missing entry shows at the first
    /// `questline plugin check`.
    const CAPABILITIES: &'static [(Capability, &'static str)] = &[];

    /// The JSON Schema of the plugin's settings, if it takes any: usually
    /// `Some(settings_schema::<MySettings>())` with `#[derive(JsonSchema)]` on the settings
    /// type. The host then refuses settings that do not fit it (naming the key), fills in
    /// their defaults, and shows admins the keys. `None`: any JSON object is accepted.
    fn settings_schema() -> Option<String> {
        None
    }
}

/// An XP formula: XP per activity and the level curve.
pub trait XpFormula {
    /// XP for one activity (0 = none; cooldowns are the formula's business).
    fn xp_for_activity(ctx: &XpContext) -> i64;

    /// XP for each activity of a batch, in order.
    fn xp_for_activities(items: Vec<XpContext>) -> Vec<i64> {
        items.iter().map(Self::xp_for_activity).collect()
    }

    /// Total XP needed to reach `level`: 0 for level 0, strictly increasing.
    fn total_xp_for_level(level: u32) -> i64;
}

/// A quest type: templates and progress rules.
pub trait QuestType {
    /// The `requirement_type` values this plugin understands.
    fn requirement_types() -> Vec<String>;

    /// Templates for `cycle`, optionally only of `difficulty`. Default: none.
    fn templates(cycle: RefreshCycle, difficulty: Option<Difficulty>) -> Vec<QuestTemplate> {
        let _ = (cycle, difficulty);
        Vec::new()
    }

    /// New progress after one activity; `None` = unchanged.
    fn progress_one(input: &ProgressInput) -> Option<QuestProgress>;

    /// For each member's run, for each of `quests`, the progress after the run; `None` =
    /// unchanged. The default folds [`progress_one`](Self::progress_one) over each run (see
    /// [`fold_run`]); override it to do per-member work once per run instead of once per
    /// activity (`streak-quests` reads and writes a member's streak once).
    fn progress(quests: Vec<QuestDef>, runs: Vec<MemberRun>) -> Vec<Vec<Option<ProgressOutcome>>> {
        runs.iter()
            .map(|run| fold_run(&quests, run, Self::progress_one))
            .collect()
    }
}

/// Folds `step` over one member's run: activity by activity, in order, and for each activity
/// every quest not yet completed, each seeing the progress the previous activity left. Returns
/// one entry per quest: its final progress and the activity that completed it, or `None` when
/// `step` never answered for it.
pub fn fold_run(
    quests: &[QuestDef],
    run: &MemberRun,
    mut step: impl FnMut(&ProgressInput) -> Option<QuestProgress>,
) -> Vec<Option<ProgressOutcome>> {
    let mut current: Vec<QuestProgress> = (0..quests.len())
        .map(|i| run.current.get(i).copied().unwrap_or_default())
        .collect();
    let mut out: Vec<Option<ProgressOutcome>> = vec![None; quests.len()];
    for (at, s) in run.steps.iter().enumerate() {
        for (i, quest) in quests.iter().enumerate() {
            if current[i].completed {
                continue;
            }
            let input = ProgressInput {
                quest,
                current: current[i],
                activity: &s.activity,
                stats: &s.stats,
            };
            if let Some(next) = step(&input) {
                current[i] = next;
                out[i] = Some(ProgressOutcome {
                    progress: next,
                    completed_at: next
                        .completed
                        .then(|| u32::try_from(at).unwrap_or(u32::MAX)),
                });
            }
        }
    }
    out
}

/// Achievement rules.
pub trait AchievementCheck {
    /// The `requirement_type` values this plugin understands.
    fn requirement_types() -> Vec<String>;

    /// Achievements a guild gets by default. Default: none.
    fn defaults() -> Vec<AchievementTemplate> {
        Vec::new()
    }

    /// Whether `user` with `stats` now qualifies for `achievement`.
    fn qualifies(user: Snowflake, stats: &MemberStats, achievement: &AchievementDef) -> bool;

    /// The ids of the candidates one member qualifies for; `achievements` are the call's
    /// definitions by id (a candidate id not among them is skipped).
    fn check_one(
        achievements: &std::collections::HashMap<i64, &AchievementDef>,
        input: &CheckInput,
    ) -> Vec<i64> {
        input
            .candidates
            .iter()
            .filter(|id| {
                achievements
                    .get(id)
                    .is_some_and(|a| Self::qualifies(input.user, &input.stats, a))
            })
            .copied()
            .collect()
    }

    /// [`check_one`](Self::check_one) for each input of a batch, in order. The definitions
    /// come once per call; each input names its candidates by id.
    fn check(achievements: Vec<AchievementDef>, items: Vec<CheckInput>) -> Vec<Vec<i64>> {
        let by_id = achievements.iter().map(|a| (a.id, a)).collect();
        items
            .iter()
            .map(|item| Self::check_one(&by_id, item))
            .collect()
    }
}

/// Rank-card styles.
pub trait CardStyle {
    /// Style names this plugin draws.
    fn styles() -> Vec<String>;

    /// Renders `data` in `style` to an SVG document; an error says what is wrong.
    fn render(style: &str, data: &CardData) -> Result<String, String>;
}

/// Slash commands.
pub trait Commands {
    /// The commands this plugin adds.
    fn specs() -> Vec<CommandSpec>;

    /// Runs one; an error is shown to the member as an ephemeral message.
    fn run(invocation: CommandInvocation) -> Result<Vec<Intent>, String>;
}

/// The metadata a plugin reports, as the host sees it.
///
/// `kinds` and `crate_version` come from [`export_plugin!`](crate::export_plugin); tests can
/// call [`plugin_info`](crate::plugin_info) on the plugin type.
#[doc(hidden)]
pub trait ExportedKinds {
    const KINDS: &'static [PluginKind];
    const CRATE_VERSION: &'static str;
}

/// The `plugin-info` a plugin exported with [`export_plugin!`](crate::export_plugin) reports.
pub fn plugin_info<T: Plugin + ExportedKinds>() -> PluginInfo {
    PluginInfo {
        name: T::NAME.to_string(),
        version: T::VERSION.unwrap_or(T::CRATE_VERSION).to_string(),
        description: T::DESCRIPTION.to_string(),
        kinds: T::KINDS.to_vec(),
        contract: crate::CONTRACT_VERSION.to_string(),
        capabilities: T::CAPABILITIES
            .iter()
            .map(|(capability, why)| CapabilityUse {
                capability: *capability,
                why: (*why).to_string(),
            })
            .collect(),
        settings_schema: T::settings_schema(),
    }
}

macro_rules! adapter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[doc(hidden)]
        pub struct $name<T>(PhantomData<T>);
    };
}

adapter!(MetadataAdapter);
adapter!(XpFormulaAdapter);
adapter!(QuestTypeAdapter);
adapter!(AchievementCheckAdapter);
adapter!(CardStyleAdapter);
adapter!(CommandsAdapter);

impl<T: Plugin + ExportedKinds> bindings::base::exports::questline::plugin::metadata::Guest
    for MetadataAdapter<T>
{
    fn info() -> PluginInfo {
        plugin_info::<T>()
    }
}

impl<T: XpFormula> bindings::xp_formula::exports::questline::plugin::xp_formula::Guest
    for XpFormulaAdapter<T>
{
    fn xp_for_activities(items: Vec<XpContext>) -> Vec<i64> {
        T::xp_for_activities(items)
    }
    fn total_xp_for_level(level: u32) -> i64 {
        T::total_xp_for_level(level)
    }
}

impl<T: QuestType> bindings::quest_type::exports::questline::plugin::quest_type::Guest
    for QuestTypeAdapter<T>
{
    fn requirement_types() -> Vec<String> {
        T::requirement_types()
    }
    fn templates(cycle: RefreshCycle, difficulty: Option<Difficulty>) -> Vec<QuestTemplate> {
        T::templates(cycle, difficulty)
    }
    fn progress(quests: Vec<QuestDef>, runs: Vec<MemberRun>) -> Vec<Vec<Option<ProgressOutcome>>> {
        T::progress(quests, runs)
    }
}

impl<T: AchievementCheck>
    bindings::achievement_check::exports::questline::plugin::achievement_check::Guest
    for AchievementCheckAdapter<T>
{
    fn requirement_types() -> Vec<String> {
        T::requirement_types()
    }
    fn defaults() -> Vec<AchievementTemplate> {
        T::defaults()
    }
    fn check(achievements: Vec<AchievementDef>, items: Vec<CheckInput>) -> Vec<Vec<i64>> {
        T::check(achievements, items)
    }
}

impl<T: CardStyle> bindings::card_style::exports::questline::plugin::card_style::Guest
    for CardStyleAdapter<T>
{
    fn styles() -> Vec<String> {
        T::styles()
    }
    fn render(style: String, data: CardData) -> Result<String, String> {
        T::render(&style, &data)
    }
}

impl<T: Commands> bindings::commands::exports::questline::plugin::commands::Guest
    for CommandsAdapter<T>
{
    fn specs() -> Vec<CommandSpec> {
        T::specs()
    }
    fn run(invocation: CommandInvocation) -> Result<Vec<Intent>, String> {
        T::run(invocation)
    }
}
