//! Commands that plugins add, on the transport-free side: their specs become [`CommandDef`]s,
//! and a run goes through the engine's one plugin-command path
//! ([`crate::engine::plugin_commands`]: inside the plugin with its limits, XP grants capped
//! and audited as `plugin:NAME`), whose outcome becomes a reply. A plugin that fails answers
//! with an ephemeral error saying what went wrong.

use super::defs::{check_definitions, valid_name};
use super::types::{
    CommandDef, CommandError, CommandSource, Embed, EmbedField, OptionDef, OptionKind, OptionValue,
    Reply, Request, fit_to,
};
use super::{Commands, SharedEngine};
use crate::engine::{CommandCall, CommandOutcome};
use crate::plugins as p;

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

/// Every plugin's commands (the engine's lookup, so registration and running agree on who
/// serves which name), minus those that clash with a command already taken or break
/// Discord's rules (logged). Empty once the engine has shut down.
pub async fn plugin_commands(engine: &SharedEngine, taken: &[CommandDef]) -> Vec<CommandDef> {
    let found = {
        let guard = engine.get().await;
        match guard.as_ref() {
            Some(e) => e.pipeline().plugin_commands().await,
            None => return Vec::new(),
        }
    };
    let mut out: Vec<CommandDef> = Vec::new();
    for cmd in found.values() {
        let def = spec_def(&cmd.plugin, &cmd.spec);
        let plugin = &cmd.plugin;
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
    out
}

/// An option value in the plugin contract's terms; `None` for files, which plugins cannot
/// declare (so a member cannot send one to a plugin command).
fn wit_value(v: &OptionValue) -> Option<p::OptionValue> {
    Some(match v {
        OptionValue::String(s) => p::OptionValue::String(s.clone()),
        OptionValue::Integer(i) => p::OptionValue::Integer(*i),
        OptionValue::Number(f) => p::OptionValue::Number(*f),
        OptionValue::Boolean(b) => p::OptionValue::Boolean(*b),
        OptionValue::User(u) => p::OptionValue::User(*u),
        OptionValue::Channel(c) => p::OptionValue::Channel(*c),
        OptionValue::Role(r) => p::OptionValue::Role(*r),
        OptionValue::Attachment(_) => return None,
    })
}

/// A plugin's `reply` intent as a [`Reply`]: its embed sent as an embed (cut to Discord's
/// limits); a reply with neither text nor embed says "✅".
fn reply_of(r: &p::Reply) -> Reply {
    let embed = r.embed.as_ref().map(|e| Embed {
        title: e.title.clone(),
        description: e.description.clone(),
        color: e.color,
        fields: e
            .fields
            .iter()
            .map(|f| EmbedField {
                name: f.name.clone(),
                value: f.value.clone(),
                inline: f.inline,
            })
            .collect(),
    });
    let content = if r.content.trim().is_empty() && embed.is_none() {
        "✅".to_string()
    } else {
        r.content.clone()
    };
    let reply = if r.ephemeral {
        Reply::private(content)
    } else {
        Reply::public(content)
    };
    match embed {
        Some(e) => reply.with_embed(e),
        None => reply,
    }
}

/// Runs a plugin's command through [`Pipeline::run_plugin_command`], the one path every
/// front uses (admin-only and per-guild switch checked, grants capped and audited as
/// `plugin:NAME`), and turns its outcome into a reply.
///
/// [`Pipeline::run_plugin_command`]: crate::engine::Pipeline::run_plugin_command
pub async fn run(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let call = CommandCall {
        guild: req.guild,
        channel: req.channel,
        user: req.user,
        roles: req.roles.clone(),
        is_admin: super::is_admin(req.permissions),
        name: req.name.clone(),
        options: req
            .options
            .iter()
            .filter_map(|(n, v)| wit_value(v).map(|v| (n.clone(), v)))
            .collect(),
    };
    let outcome = {
        let engine = c.engine.get().await;
        let engine = engine.as_ref().ok_or(CommandError::Closed)?;
        engine.pipeline().run_plugin_command(call).await?
    };
    match outcome {
        None => Err(CommandError::NotFound(format!(
            "/{} is not available any more (its plugin was unloaded); the command list updates shortly",
            req.name
        ))),
        Some(CommandOutcome::Refused(message)) => Err(CommandError::Plugin(format!(
            "/{}: {}",
            req.name,
            fit_to(message, 1_500)
        ))),
        Some(CommandOutcome::Done { replies, .. }) => Ok(replies
            .first()
            .map(reply_of)
            .unwrap_or_else(|| Reply::private("✅ Done."))),
    }
}
