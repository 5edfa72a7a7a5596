//! Commands that plugins add, on the transport-free side: their specs become [`CommandDef`]s,
//! and a run goes through the engine's one plugin-command path
//! ([`crate::engine::plugin_commands`]: inside the plugin with its limits, XP grants capped
//! and audited as `plugin:NAME`), whose outcome becomes a reply. A plugin that fails answers
//! with an ephemeral error saying what went wrong.

use std::fmt::Write as _;

use super::defs::{check_definitions, valid_name};
use super::types::{
    CommandDef, CommandError, CommandSource, OptionDef, OptionKind, OptionValue, Reply, Request,
    fit_to,
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

/// A plugin's `reply` intent as a [`Reply`].
fn reply_of(r: &p::Reply) -> Reply {
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
    if r.ephemeral {
        Reply::private(content)
    } else {
        Reply::public(content)
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
