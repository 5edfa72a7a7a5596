//! Commands that plugins add: their specs become [`CommandDef`]s, a run goes into the plugin
//! (with its limits: time, memory, breaker), and the intents it returns become a reply and
//! XP grants. A plugin that fails answers with an ephemeral error saying what went wrong.

use std::fmt::Write as _;

use super::Commands;
use super::defs::{check_definitions, valid_name};
use super::types::{
    CommandDef, CommandError, CommandSource, OptionDef, OptionKind, OptionValue, Reply, Request,
    fit_to,
};
use crate::plugins::{self as p, CallContext, PluginHost, PluginKind};

/// Most XP one plugin command may grant one member per run.
pub const MAX_PLUGIN_GRANT: i64 = 10_000;

fn option_def(o: &p::CommandOption) -> OptionDef {
    let kind = match o.kind {
        p::OptionKind::String => OptionKind::String,
        p::OptionKind::Integer => OptionKind::Integer,
        p::OptionKind::Number => OptionKind::Number,
        p::OptionKind::Boolean => OptionKind::Boolean,
        p::OptionKind::User => OptionKind::User,
        p::OptionKind::Channel => OptionKind::Channel,
        p::OptionKind::Role => OptionKind::Role,
    };
    let mut def = OptionDef::new(&o.name, &o.description, kind);
    def.required = o.required;
    def.min = o.min_value.filter(|v| v.is_finite());
    def.max = o.max_value.filter(|v| v.is_finite());
    def
}

fn spec_def(plugin: &str, s: &p::CommandSpec) -> CommandDef {
    CommandDef {
        name: s.name.clone(),
        description: s.description.clone(),
        options: s.options.iter().map(option_def).collect(),
        admin: s.admin_only,
        source: CommandSource::Plugin(plugin.to_string()),
    }
}

/// Every plugin's commands (plugins in name order), minus those that clash with a command
/// already taken or break Discord's rules (logged).
pub async fn plugin_commands(host: &PluginHost, taken: &[CommandDef]) -> Vec<CommandDef> {
    let mut out: Vec<CommandDef> = Vec::new();
    for plugin in host.plugins_with_kind(PluginKind::Commands) {
        let ctx = CallContext::new(0, chrono::Utc::now().timestamp_millis(), 0);
        let specs = match host.command_specs(&plugin, &ctx).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%plugin, error = %e, "plugin did not list its commands; none registered");
                continue;
            }
        };
        for s in &specs {
            let def = spec_def(&plugin, s);
            if taken.iter().chain(&out).any(|d| d.name == def.name) {
                tracing::warn!(%plugin, command = %def.name, "command name already taken; skipped");
                continue;
            }
            if !valid_name(&def.name) {
                tracing::warn!(%plugin, command = %def.name, "invalid command name; skipped");
                continue;
            }
            if let Err(e) = check_definitions(std::slice::from_ref(&def)) {
                tracing::warn!(%plugin, command = %def.name, error = %e, "invalid command; skipped");
                continue;
            }
            out.push(def);
        }
    }
    out
}

/// The plugin serving command `name`, with its spec.
async fn find(host: &PluginHost, name: &str, ctx: &CallContext) -> Option<(String, CommandDef)> {
    for plugin in host.plugins_with_kind(PluginKind::Commands) {
        if let Ok(specs) = host.command_specs(&plugin, ctx).await
            && let Some(s) = specs.iter().find(|s| s.name == name)
        {
            return Some((plugin.clone(), spec_def(&plugin, s)));
        }
    }
    None
}

fn wit_value(v: &OptionValue) -> p::OptionValue {
    match v {
        OptionValue::String(s) => p::OptionValue::String(s.clone()),
        OptionValue::Integer(i) => p::OptionValue::Integer(*i),
        OptionValue::Number(f) => p::OptionValue::Number(*f),
        OptionValue::Boolean(b) => p::OptionValue::Boolean(*b),
        OptionValue::User(u) => p::OptionValue::User(*u),
        OptionValue::Channel(c) => p::OptionValue::Channel(*c),
        OptionValue::Role(r) => p::OptionValue::Role(*r),
    }
}

/// An embed as text (Discord's embed limits are then the content limit).
fn embed_text(e: &p::Embed) -> String {
    let mut out = String::new();
    if let Some(t) = &e.title {
        let _ = writeln!(out, "**{}**", fit_to(t.clone(), 256));
    }
    if let Some(d) = &e.description {
        let _ = writeln!(out, "{}", fit_to(d.clone(), 1_000));
    }
    for f in e.fields.iter().take(25) {
        let _ = writeln!(
            out,
            "**{}**: {}",
            fit_to(f.name.clone(), 256),
            fit_to(f.value.clone(), 1_024)
        );
    }
    out
}

/// Runs a plugin's command.
pub async fn run(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let ctx = CallContext::new(req.guild, req.at.timestamp_millis(), 0);
    let Some((plugin, def)) = find(&c.plugins, &req.name, &ctx).await else {
        return Err(CommandError::NotFound(format!(
            "/{} is not available any more (its plugin was unloaded); the command list updates shortly",
            req.name
        )));
    };
    if def.admin && !super::is_admin(req.permissions) {
        return Err(CommandError::Forbidden(format!(
            "/{} is for admins: you need the Manage Server permission on this server",
            req.name
        )));
    }
    let row =
        c.db.get_user_level(&req.guild.to_string(), &req.user.to_string())
            .await?;
    let invocation = p::CommandInvocation {
        name: req.name.clone(),
        options: req
            .options
            .iter()
            .map(|(n, v)| (n.clone(), wit_value(v)))
            .collect(),
        guild: req.guild,
        channel: req.channel,
        user: req.user,
        roles: req.roles.clone(),
        at: req.at.timestamp_millis(),
        stats: crate::engine::wit::stats(row.as_ref()),
    };
    let intents = match c.plugins.command_run(&plugin, &ctx, invocation).await {
        Ok(Ok(intents)) => intents,
        Ok(Err(message)) => {
            return Err(CommandError::Plugin(format!(
                "/{}: {}",
                req.name,
                fit_to(message, 1_500)
            )));
        }
        Err(e) => {
            tracing::warn!(%plugin, command = %req.name, error = %e, "plugin command failed");
            return Err(CommandError::Plugin(format!(
                "/{} failed inside plugin `{plugin}`: {}. An admin can check `/plugins list`",
                req.name,
                fit_to(e.to_string(), 1_000)
            )));
        }
    };
    let mut reply: Option<Reply> = None;
    let mut notes = String::new();
    for intent in intents {
        match intent {
            p::Intent::Reply(r) => {
                if reply.is_some() {
                    continue;
                }
                let mut content = r.content.clone();
                if let Some(e) = &r.embed {
                    if !content.is_empty() {
                        content.push('\n');
                    }
                    content.push_str(&embed_text(e));
                }
                if content.trim().is_empty() {
                    content = "✅".to_string();
                }
                reply = Some(if r.ephemeral {
                    Reply::private(content)
                } else {
                    Reply::public(content)
                });
            }
            p::Intent::GrantXp(g) => {
                let amount = g.amount.clamp(0, MAX_PLUGIN_GRANT);
                if amount == 0 {
                    continue;
                }
                let reason = Some(fit_to(
                    format!("/{} ({plugin}): {}", req.name, g.reason),
                    500,
                ));
                if let Err(e) = super::xp::adjust(
                    c,
                    req.guild,
                    g.user,
                    super::xp::XpChange::Add(amount),
                    req.user,
                    reason,
                )
                .await
                {
                    tracing::warn!(%plugin, error = %e, "plugin XP grant failed");
                    let _ = writeln!(notes, "(an XP grant failed: {e})");
                }
            }
        }
    }
    let mut reply = reply.unwrap_or_else(|| Reply::private("✅ Done."));
    if !notes.is_empty() {
        reply.content = super::types::fit(format!("{}\n{notes}", reply.content));
    }
    Ok(reply)
}
