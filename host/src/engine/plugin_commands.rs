//! Slash commands that plugins add: which plugin serves which command, running one inside
//! its plugin, and carrying out what it asks for (its *intents*).
//!
//! Every front (the Discord gateway, the console) goes through here, so a plugin command
//! behaves the same everywhere. Plugins never act themselves: a `reply` intent is handed back
//! for the front to show, and a `grant-xp` intent is applied by the host, capped at
//! [`MAX_PLUGIN_GRANT`] per grant and written to the audit log as `plugin:NAME`, so a buggy
//! or hostile plugin cannot hand out unbounded XP or do it unseen.

use std::collections::BTreeMap;

use super::error::EngineError;
use super::manual_xp::XpAdjusted;
use super::pipeline::Pipeline;
use super::wit::{ms, stats};
use crate::db::ManualXp;
use crate::plugins::{
    CommandInvocation, CommandSpec, Intent, OptionValue, PluginError, PluginKind, Reply,
};

/// The most XP one `grant-xp` intent can give (larger grants are cut to this).
pub const MAX_PLUGIN_GRANT: i64 = 10_000;

/// A command and the plugin that serves it.
#[derive(Debug, Clone)]
pub struct PluginCommand {
    pub plugin: String,
    pub spec: CommandSpec,
}

/// Who ran a command, where, and with what.
#[derive(Debug, Clone)]
pub struct CommandCall {
    pub guild: u64,
    pub channel: u64,
    pub user: u64,
    pub roles: Vec<u64>,
    /// Whether the member may run admin-only commands (Manage Guild or Administrator).
    pub is_admin: bool,
    pub name: String,
    pub options: Vec<(String, OptionValue)>,
}

/// What running a plugin command produced.
#[derive(Debug, Clone)]
pub enum CommandOutcome {
    /// The plugin answered; its replies, and the grants the host applied.
    Done {
        plugin: String,
        replies: Vec<Reply>,
        grants: Vec<XpAdjusted>,
    },
    /// The member sees this (ephemerally): the plugin's own error message, a refusal, or
    /// what went wrong in the runtime, in plain words.
    Refused(String),
}

impl Pipeline {
    /// Every loaded plugin's commands by name. Two plugins claiming one name: the first by
    /// plugin name keeps it (the other is logged), so registration is deterministic.
    pub async fn plugin_commands(&self) -> BTreeMap<String, PluginCommand> {
        let mut out: BTreeMap<String, PluginCommand> = BTreeMap::new();
        let now = ms(self.clock.now());
        for plugin in self.plugins.plugins_with_kind(PluginKind::Commands) {
            let ctx = match self.cache.context(0, &plugin, now, 0).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(plugin = %plugin, error = %e, "plugin commands unavailable");
                    continue;
                }
            };
            match self.plugins.command_specs(&plugin, &ctx).await {
                Ok(specs) => {
                    for spec in specs {
                        if let Some(owner) = out.get(&spec.name) {
                            tracing::warn!(command = %spec.name, kept = %owner.plugin, ignored = %plugin, "two plugins define the same command");
                            continue;
                        }
                        out.insert(
                            spec.name.clone(),
                            PluginCommand {
                                plugin: plugin.clone(),
                                spec,
                            },
                        );
                    }
                }
                Err(e) => {
                    tracing::warn!(plugin = %plugin, error = %e, "plugin commands unavailable")
                }
            }
        }
        out
    }

    /// Runs a plugin command (see the module docs). `Ok(None)`: no plugin has that command.
    pub async fn run_plugin_command(
        &self,
        call: CommandCall,
    ) -> Result<Option<CommandOutcome>, EngineError> {
        let commands = self.plugin_commands().await;
        let Some(cmd) = commands.get(&call.name) else {
            return Ok(None);
        };
        if cmd.spec.admin_only && !call.is_admin {
            return Ok(Some(CommandOutcome::Refused(format!(
                "/{} is for server managers only (it needs the Manage Server permission).",
                call.name
            ))));
        }
        let settings = self.cache.settings(call.guild, &cmd.plugin).await?;
        if !settings.enabled {
            return Ok(Some(CommandOutcome::Refused(format!(
                "/{} is switched off on this server (plugin `{}`); an admin can enable it with /plugins enable.",
                call.name, cmd.plugin
            ))));
        }
        let now = self.clock.now();
        let row = self.db.get_user_level(call.guild, call.user).await?;
        let ctx = self
            .cache
            .context(call.guild, &cmd.plugin, ms(now), self.seed ^ call.user)
            .await?;
        let invocation = CommandInvocation {
            name: call.name.clone(),
            options: call.options.clone(),
            guild: call.guild,
            channel: call.channel,
            user: call.user,
            roles: call.roles.clone(),
            at: ms(now),
            stats: stats(row.as_ref()),
        };
        let intents = match self
            .plugins
            .command_run(&cmd.plugin, &ctx, invocation)
            .await
        {
            Ok(Ok(intents)) => intents,
            Ok(Err(message)) => return Ok(Some(CommandOutcome::Refused(message))),
            Err(e) => {
                tracing::warn!(plugin = %cmd.plugin, command = %call.name, error = %e, "plugin command failed");
                return Ok(Some(CommandOutcome::Refused(refusal(&cmd.plugin, &e))));
            }
        };
        let mut replies = Vec::new();
        let mut grants = Vec::new();
        for intent in intents {
            match intent {
                Intent::Reply(r) => replies.push(r),
                Intent::GrantXp(g) if g.amount > 0 => {
                    let amount = g.amount.min(MAX_PLUGIN_GRANT);
                    if amount < g.amount {
                        tracing::warn!(plugin = %cmd.plugin, asked = g.amount, given = amount, "plugin XP grant capped");
                    }
                    grants.push(
                        self.apply_manual(
                            call.guild,
                            g.user,
                            ManualXp::Delta(amount),
                            format!("plugin:{}", cmd.plugin),
                            Some(g.reason),
                        )
                        .await?,
                    );
                }
                Intent::GrantXp(g) => {
                    tracing::warn!(plugin = %cmd.plugin, amount = g.amount, "plugin asked to grant a non-positive amount; ignored");
                }
            }
        }
        Ok(Some(CommandOutcome::Done {
            plugin: cmd.plugin.clone(),
            replies,
            grants,
        }))
    }
}

/// What the member is told when the runtime, not the plugin, failed.
fn refusal(plugin: &str, e: &PluginError) -> String {
    format!(
        "The `{plugin}` plugin could not answer this command ({e}). Nothing was changed; please try again later or tell a server admin."
    )
}
