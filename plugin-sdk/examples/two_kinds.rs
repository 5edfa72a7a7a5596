//! A plugin with two kinds: an achievement and a `/ping` command.
//!
//! Build it as a component and look at its exports:
//!
//! ```text
//! cargo build --target wasm32-wasip2 --profile wasm -p questline-plugin-sdk --example two_kinds
//! wasm-tools component wit target/wasm32-wasip2/wasm/examples/two_kinds.wasm
//! ```
//!
//! It exports `metadata`, `achievement-check` and `commands`, and nothing else.

use questline_plugin_sdk::*;

/// The plugin.
pub struct Pinger;

impl Plugin for Pinger {
    const NAME: &'static str = "pinger";
    const DESCRIPTION: &'static str = "Answers /ping and rewards members who ping a lot.";
    const CAPABILITIES: &'static [(Capability, &'static str)] =
        &[(Capability::Log, "logs each ping")];
}

impl Commands for Pinger {
    fn specs() -> Vec<CommandSpec> {
        vec![CommandSpec::new("ping", "Check that the bot is alive.")]
    }

    fn run(invocation: CommandInvocation) -> Result<Vec<Intent>, String> {
        info!("ping from {}", invocation.user);
        Ok(vec![Intent::ephemeral("pong")])
    }
}

impl AchievementCheck for Pinger {
    fn requirement_types() -> Vec<String> {
        vec!["commands_used".into()]
    }

    fn qualifies(_user: Snowflake, stats: &MemberStats, achievement: &AchievementDef) -> bool {
        stats.commands_used >= achievement.requirement_value
    }
}

export_plugin!(Pinger, kinds: [achievement_check, commands]);
