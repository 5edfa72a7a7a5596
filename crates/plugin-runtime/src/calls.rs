//! The typed calls of each plugin kind, blocking and async. Every result is checked against
//! output caps before it is returned: a plugin cannot hand the host a result of the wrong
//! length or an unbounded string (the memory limit bounds what it can build; these caps bound
//! what the host accepts).

use super::bindings::{achievement_check, quest_type, types, xp_formula};
use super::error::PluginError;
use super::host::PluginHost;
use super::invoke;
use super::kind::{PluginInfo, PluginKind};
use super::state::CallContext;

/// Most entries accepted in a list a plugin returns that is not sized by its input.
pub const MAX_LIST_ITEMS: usize = 1_000;
/// Longest short text accepted from a plugin (names, descriptions, messages), in bytes.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;
/// Largest SVG document accepted from a card style, in bytes.
pub const MAX_SVG_BYTES: usize = 2 * 1024 * 1024;
/// Most intents one command run may return.
pub const MAX_INTENTS: usize = 10;

fn same_len(got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("returned {got} results for {want} inputs"))
    }
}

fn bounded_list(len: usize, max: usize, what: &str) -> Result<(), String> {
    if len > max {
        Err(format!("returned {len} {what}; at most {max} are accepted"))
    } else {
        Ok(())
    }
}

fn text(s: &str, max: usize, what: &str) -> Result<(), String> {
    if s.len() > max {
        Err(format!(
            "{what} is {} bytes; at most {max} are accepted",
            s.len()
        ))
    } else {
        Ok(())
    }
}

fn texts<'a>(items: impl IntoIterator<Item = &'a String>, what: &str) -> Result<(), String> {
    items
        .into_iter()
        .try_for_each(|s| text(s, MAX_TEXT_BYTES, what))
}

fn check_quest_templates(list: &[types::QuestTemplate]) -> Result<(), String> {
    bounded_list(list.len(), MAX_LIST_ITEMS, "quest templates")?;
    list.iter().try_for_each(|t| {
        texts(
            [&t.name, &t.description, &t.requirement_type],
            "a quest template text",
        )
    })
}

fn check_achievement_templates(list: &[types::AchievementTemplate]) -> Result<(), String> {
    bounded_list(list.len(), MAX_LIST_ITEMS, "achievement templates")?;
    list.iter().try_for_each(|t| {
        texts(
            [&t.name, &t.description, &t.requirement_type],
            "an achievement template text",
        )
    })
}

fn check_names(list: &[String], what: &str) -> Result<(), String> {
    bounded_list(list.len(), MAX_LIST_ITEMS, what)?;
    texts(list, what)
}

fn check_specs(list: &[types::CommandSpec]) -> Result<(), String> {
    bounded_list(list.len(), 100, "command specs")?;
    list.iter().try_for_each(|s| {
        bounded_list(s.options.len(), 25, "options of one command")?;
        texts([&s.name, &s.description], "a command spec text")?;
        s.options
            .iter()
            .try_for_each(|o| texts([&o.name, &o.description], "a command option text"))
    })
}

fn check_intents(result: &Result<Vec<types::Intent>, String>) -> Result<(), String> {
    match result {
        Err(message) => text(message, MAX_TEXT_BYTES, "the error message"),
        Ok(intents) => {
            bounded_list(intents.len(), MAX_INTENTS, "intents")?;
            intents.iter().try_for_each(|intent| match intent {
                types::Intent::Reply(reply) => {
                    text(&reply.content, MAX_TEXT_BYTES, "a reply")?;
                    if let Some(embed) = &reply.embed {
                        bounded_list(embed.fields.len(), 25, "embed fields")?;
                        texts(
                            embed.title.iter().chain(&embed.description),
                            "an embed text",
                        )?;
                        embed
                            .fields
                            .iter()
                            .try_for_each(|f| texts([&f.name, &f.value], "an embed field"))?;
                    }
                    Ok(())
                }
                types::Intent::GrantXp(grant) => {
                    text(&grant.reason, MAX_TEXT_BYTES, "a grant reason")
                }
            })
        }
    }
}

/// A quest answer has one entry per run and per quest, and names a completing activity only
/// within its own run.
fn check_progress(
    answer: &[Vec<Option<quest_type::ProgressOutcome>>],
    quests: usize,
    runs: &[quest_type::MemberRun],
) -> Result<(), String> {
    same_len(answer.len(), runs.len())?;
    answer.iter().zip(runs).try_for_each(|(outcomes, run)| {
        same_len(outcomes.len(), quests)?;
        outcomes
            .iter()
            .flatten()
            .filter_map(|o| o.completed_at)
            .try_for_each(|at| {
                if usize::try_from(at).is_ok_and(|at| at < run.steps.len()) {
                    Ok(())
                } else {
                    Err(format!(
                        "named activity {at} as completing a quest in a run of {} activities",
                        run.steps.len()
                    ))
                }
            })
    })
}

impl PluginHost {
    fn run<R>(
        &self,
        plugin: &str,
        kind: Option<PluginKind>,
        ctx: &CallContext,
        f: impl FnOnce(
            &mut wasmtime::Store<super::state::HostState>,
            &super::pool::Exports,
        ) -> wasmtime::Result<R>,
        check: impl FnOnce(&R) -> Result<(), String>,
    ) -> Result<R, PluginError> {
        self.run_items(plugin, kind, ctx, 0, f, check)
    }

    /// [`Self::run`] for a batch-shaped call with `items` inputs (its deadline grows with it).
    fn run_items<R>(
        &self,
        plugin: &str,
        kind: Option<PluginKind>,
        ctx: &CallContext,
        items: usize,
        f: impl FnOnce(
            &mut wasmtime::Store<super::state::HostState>,
            &super::pool::Exports,
        ) -> wasmtime::Result<R>,
        check: impl FnOnce(&R) -> Result<(), String>,
    ) -> Result<R, PluginError> {
        let loaded = self.plugin(plugin)?;
        invoke::call(&self.inner.rt, &loaded, kind, ctx, items, f, check)
    }

    /// Calls the plugin's `metadata.info` (the cheapest call: a health check, and the
    /// benchmark's no-op).
    pub fn metadata_blocking(&self, plugin: &str) -> Result<PluginInfo, PluginError> {
        let info = self.run(
            plugin,
            None,
            &CallContext::default(),
            |store, e| e.metadata.call_info(store),
            |i| texts([&i.name, &i.version, &i.description], "metadata"),
        )?;
        Ok(PluginInfo {
            name: info.name,
            version: info.version,
            description: info.description,
            kinds: info.kinds.into_iter().map(PluginKind::from).collect(),
            contract: info.contract,
            capabilities: info
                .capabilities
                .into_iter()
                .map(|c| super::capability::CapabilityUse {
                    capability: c.capability.into(),
                    why: c.why,
                })
                .collect(),
            settings_schema: info.settings_schema,
        })
    }

    /// Instantiates a fresh instance of the plugin from its `InstancePre` and drops it
    /// (for benchmarks and health checks; calls reuse pooled instances instead).
    pub fn instantiate_fresh(&self, plugin: &str) -> Result<(), PluginError> {
        let loaded = self.plugin(plugin)?;
        let rt = &self.inner.rt;
        super::pool::instantiate(
            &loaded.pre,
            &loaded.indices,
            rt.new_state(loaded.name.clone()),
            rt.cfg.call_timeout_ms,
        )
        .map(drop)
        .map_err(|e| PluginError::Instantiate {
            plugin: plugin.to_owned(),
            message: super::error::describe(&e),
        })
    }

    // ---- xp-formula ----

    /// XP for each activity, in order.
    pub fn xp_for_activities_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
        items: &[xp_formula::XpContext],
    ) -> Result<Vec<i64>, PluginError> {
        let want = items.len();
        self.run_items(
            plugin,
            Some(PluginKind::XpFormula),
            ctx,
            want,
            |store, e| kind(&e.xp_formula)?.call_xp_for_activities(store, items),
            |r: &Vec<i64>| same_len(r.len(), want),
        )
    }

    pub async fn xp_for_activities(
        &self,
        plugin: &str,
        ctx: &CallContext,
        items: Vec<xp_formula::XpContext>,
    ) -> Result<Vec<i64>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.xp_for_activities_blocking(&name, &ctx, &items)
        })
        .await
    }

    /// Total XP needed to reach `level`.
    pub fn total_xp_for_level_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
        level: u32,
    ) -> Result<i64, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::XpFormula),
            ctx,
            |store, e| kind(&e.xp_formula)?.call_total_xp_for_level(store, level),
            |xp: &i64| {
                if *xp < 0 || (level == 0 && *xp != 0) {
                    Err(format!("total XP for level {level} is {xp}; expected 0 for level 0 and a positive curve"))
                } else {
                    Ok(())
                }
            },
        )
    }

    pub async fn total_xp_for_level(
        &self,
        plugin: &str,
        ctx: &CallContext,
        level: u32,
    ) -> Result<i64, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.total_xp_for_level_blocking(&name, &ctx, level)
        })
        .await
    }

    // ---- quest-type ----

    pub fn quest_requirement_types_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<String>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::QuestType),
            ctx,
            |store, e| kind(&e.quest_type)?.call_requirement_types(store),
            |r: &Vec<String>| check_names(r, "requirement types"),
        )
    }

    pub async fn quest_requirement_types(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<String>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.quest_requirement_types_blocking(&name, &ctx)
        })
        .await
    }

    pub fn quest_templates_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
        cycle: types::RefreshCycle,
        difficulty: Option<types::Difficulty>,
    ) -> Result<Vec<types::QuestTemplate>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::QuestType),
            ctx,
            |store, e| kind(&e.quest_type)?.call_templates(store, cycle, difficulty),
            |r: &Vec<types::QuestTemplate>| check_quest_templates(r),
        )
    }

    pub async fn quest_templates(
        &self,
        plugin: &str,
        ctx: &CallContext,
        cycle: types::RefreshCycle,
        difficulty: Option<types::Difficulty>,
    ) -> Result<Vec<types::QuestTemplate>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.quest_templates_blocking(&name, &ctx, cycle, difficulty)
        })
        .await
    }

    /// For each member's run, for each quest, the progress after the run; `None` = unchanged.
    /// The answer must have one entry per run and per quest, and name a completing activity
    /// only within its run.
    pub fn quest_progress_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
        quests: &[types::QuestDef],
        runs: &[quest_type::MemberRun],
    ) -> Result<Vec<Vec<Option<quest_type::ProgressOutcome>>>, PluginError> {
        let work = runs
            .iter()
            .map(|r| r.steps.len().saturating_mul(quests.len().max(1)))
            .fold(0usize, usize::saturating_add);
        self.run_items(
            plugin,
            Some(PluginKind::QuestType),
            ctx,
            work,
            |store, e| kind(&e.quest_type)?.call_progress(store, quests, runs),
            |r: &Vec<Vec<Option<quest_type::ProgressOutcome>>>| {
                check_progress(r, quests.len(), runs)
            },
        )
    }

    pub async fn quest_progress(
        &self,
        plugin: &str,
        ctx: &CallContext,
        quests: Vec<types::QuestDef>,
        runs: Vec<quest_type::MemberRun>,
    ) -> Result<Vec<Vec<Option<quest_type::ProgressOutcome>>>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.quest_progress_blocking(&name, &ctx, &quests, &runs)
        })
        .await
    }

    // ---- achievement-check ----

    pub fn achievement_requirement_types_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<String>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::AchievementCheck),
            ctx,
            |store, e| kind(&e.achievement_check)?.call_requirement_types(store),
            |r: &Vec<String>| check_names(r, "requirement types"),
        )
    }

    pub async fn achievement_requirement_types(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<String>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.achievement_requirement_types_blocking(&name, &ctx)
        })
        .await
    }

    pub fn achievement_defaults_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<types::AchievementTemplate>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::AchievementCheck),
            ctx,
            |store, e| kind(&e.achievement_check)?.call_defaults(store),
            |r: &Vec<types::AchievementTemplate>| check_achievement_templates(r),
        )
    }

    pub async fn achievement_defaults(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<types::AchievementTemplate>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.achievement_defaults_blocking(&name, &ctx)
        })
        .await
    }

    /// For each input, the ids of candidates the member now qualifies for (each id is
    /// checked to be one of that input's candidates). `achievements` are the definitions the
    /// inputs' candidate ids name, sent once per call.
    pub fn achievement_check_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
        achievements: &[types::AchievementDef],
        items: &[achievement_check::CheckInput],
    ) -> Result<Vec<Vec<i64>>, PluginError> {
        self.run_items(
            plugin,
            Some(PluginKind::AchievementCheck),
            ctx,
            items.len(),
            |store, e| kind(&e.achievement_check)?.call_check(store, achievements, items),
            |r: &Vec<Vec<i64>>| {
                same_len(r.len(), items.len())?;
                for (ids, input) in r.iter().zip(items) {
                    if let Some(bad) = ids.iter().find(|id| !input.candidates.contains(id)) {
                        return Err(format!(
                            "returned achievement id {bad}, which was not a candidate"
                        ));
                    }
                }
                Ok(())
            },
        )
    }

    pub async fn achievement_check(
        &self,
        plugin: &str,
        ctx: &CallContext,
        achievements: Vec<types::AchievementDef>,
        items: Vec<achievement_check::CheckInput>,
    ) -> Result<Vec<Vec<i64>>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.achievement_check_blocking(&name, &ctx, &achievements, &items)
        })
        .await
    }

    // ---- card-style ----

    pub fn card_styles_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<String>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::CardStyle),
            ctx,
            |store, e| kind(&e.card_style)?.call_styles(store),
            |r: &Vec<String>| check_names(r, "styles"),
        )
    }

    /// Renders a card to SVG. The outer error is the runtime's; the inner one is the
    /// plugin's own refusal (e.g. an unknown style), to show as-is.
    pub fn card_render_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
        style: &str,
        data: &types::CardData,
    ) -> Result<Result<String, String>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::CardStyle),
            ctx,
            |store, e| kind(&e.card_style)?.call_render(store, style, data),
            |r: &Result<String, String>| match r {
                Ok(svg) => text(svg, MAX_SVG_BYTES, "the SVG document"),
                Err(message) => text(message, MAX_TEXT_BYTES, "the error message"),
            },
        )
    }

    // ---- commands ----

    pub fn command_specs_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<types::CommandSpec>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::Commands),
            ctx,
            |store, e| kind(&e.commands)?.call_specs(store),
            |r: &Vec<types::CommandSpec>| check_specs(r),
        )
    }

    pub async fn command_specs(
        &self,
        plugin: &str,
        ctx: &CallContext,
    ) -> Result<Vec<types::CommandSpec>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| h.command_specs_blocking(&name, &ctx))
            .await
    }

    /// Runs a command. The outer error is the runtime's; the inner one is the plugin's
    /// message for the member (shown ephemerally).
    pub fn command_run_blocking(
        &self,
        plugin: &str,
        ctx: &CallContext,
        invocation: &types::CommandInvocation,
    ) -> Result<Result<Vec<types::Intent>, String>, PluginError> {
        self.run(
            plugin,
            Some(PluginKind::Commands),
            ctx,
            |store, e| kind(&e.commands)?.call_run(store, invocation),
            check_intents,
        )
    }

    pub async fn command_run(
        &self,
        plugin: &str,
        ctx: &CallContext,
        invocation: types::CommandInvocation,
    ) -> Result<Result<Vec<types::Intent>, String>, PluginError> {
        let (name, ctx) = (plugin.to_owned(), ctx.clone());
        self.off_thread(plugin, move |h| {
            h.command_run_blocking(&name, &ctx, &invocation)
        })
        .await
    }
}

/// The kind's exports; the kind was checked before the call, so absence is a host bug.
fn kind<T>(exports: &Option<T>) -> wasmtime::Result<&T> {
    exports
        .as_ref()
        .ok_or_else(|| wasmtime::format_err!("interface not exported (checked at load time)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: usize) -> quest_type::MemberRun {
        quest_type::MemberRun {
            current: Vec::new(),
            steps: (0..steps)
                .map(|_| quest_type::ProgressStep {
                    activity: types::Activity {
                        guild: 1,
                        channel: 2,
                        parent_channel: None,
                        user: 3,
                        roles: Vec::new(),
                        at: 0,
                        kind: types::ActivityKind::Voice(types::VoiceDetails { seconds: 1 }),
                    },
                    stats: types::MemberStats::default(),
                })
                .collect(),
        }
    }

    fn done(at: Option<u32>) -> Option<quest_type::ProgressOutcome> {
        Some(quest_type::ProgressOutcome {
            progress: types::QuestProgress {
                progress: 1,
                quest_specific_progress: 0,
                completed: at.is_some(),
            },
            completed_at: at,
        })
    }

    #[test]
    fn quest_answers_must_match_the_runs_and_stay_within_them() {
        let runs = [run(2), run(1)];
        assert_eq!(
            check_progress(
                &[vec![done(Some(1)), None], vec![None, done(Some(0))]],
                2,
                &runs
            ),
            Ok(())
        );
        let short = check_progress(&[vec![None, None]], 2, &runs).unwrap_err();
        assert!(short.contains("1 results for 2 inputs"), "{short}");
        let narrow = check_progress(&[vec![None], vec![None]], 2, &runs).unwrap_err();
        assert!(narrow.contains("1 results for 2 inputs"), "{narrow}");
        let outside =
            check_progress(&[vec![None, None], vec![done(Some(1)), None]], 2, &runs).unwrap_err();
        assert!(
            outside.contains("activity 1") && outside.contains("run of 1"),
            "{outside}"
        );
    }
}
