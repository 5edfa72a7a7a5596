//! Slash commands on Discord: definitions → registration payloads, interactions →
//! [`Request`]s, [`Reply`]s → interaction responses (with the PNG or JSON attachment as a
//! multipart file). The commands themselves live in [`crate::commands`].

use std::collections::HashMap;

use chrono::Utc;
use serenity::all::{
    AttachmentId, CommandDataOption, CommandDataOptionValue, CommandInteraction, CommandOptionType,
    Context, CreateAllowedMentions, CreateAttachment, CreateAutocompleteResponse, CreateCommand,
    CreateCommandOption, CreateEmbed, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, GuildId, Permissions,
};
use serenity::http::Http;

use super::events::FrontState;
use crate::commands::{
    CommandDef, Embed, FileRef, OptionDef, OptionKind, OptionValue, Reply, Request,
};
use crate::engine::{Activity, ActivityKind};

fn option_type(kind: OptionKind) -> CommandOptionType {
    match kind {
        OptionKind::SubCommand => CommandOptionType::SubCommand,
        OptionKind::String => CommandOptionType::String,
        OptionKind::Integer => CommandOptionType::Integer,
        OptionKind::Number => CommandOptionType::Number,
        OptionKind::Boolean => CommandOptionType::Boolean,
        OptionKind::User => CommandOptionType::User,
        OptionKind::Channel => CommandOptionType::Channel,
        OptionKind::Role => CommandOptionType::Role,
        OptionKind::Attachment => CommandOptionType::Attachment,
    }
}

fn create_option(o: &OptionDef) -> CreateCommandOption {
    let mut b = CreateCommandOption::new(option_type(o.kind), &o.name, &o.description);
    if o.kind != OptionKind::SubCommand {
        b = b.required(o.required);
    }
    match o.kind {
        OptionKind::Integer => {
            if let Some(min) = o.min.filter(|m| *m >= 0.0) {
                b = b.min_int_value(min as u64);
            }
            if let Some(max) = o.max.filter(|m| *m >= 0.0) {
                b = b.max_int_value(max as u64);
            }
        }
        OptionKind::Number => {
            if let Some(min) = o.min {
                b = b.min_number_value(min);
            }
            if let Some(max) = o.max {
                b = b.max_number_value(max);
            }
        }
        _ => {}
    }
    for c in &o.choices {
        b = b.add_string_choice(c, c);
    }
    if o.autocomplete {
        b = b.set_autocomplete(true);
    }
    for sub in &o.options {
        b = b.add_sub_option(create_option(sub));
    }
    b
}

/// The registration payload of one command. Admin commands are hidden from members without
/// Manage Server by default; the check that counts still runs on every use.
pub fn create_command(def: &CommandDef) -> CreateCommand {
    let mut b = CreateCommand::new(&def.name)
        .description(&def.description)
        .dm_permission(false);
    if def.admin {
        b = b.default_member_permissions(Permissions::MANAGE_GUILD);
    }
    for o in &def.options {
        b = b.add_option(create_option(o));
    }
    b
}

/// Replaces the registered commands: globally, or in one guild (for development: guild
/// commands update at once, global ones can take a while to reach every client).
pub async fn register(
    http: &Http,
    defs: &[CommandDef],
    dev_guild: Option<u64>,
) -> Result<usize, serenity::Error> {
    let payload: Vec<CreateCommand> = defs.iter().map(create_command).collect();
    let registered = match dev_guild {
        Some(g) => {
            http.create_guild_commands(GuildId::new(g), &payload)
                .await?
        }
        None => http.create_global_commands(&payload).await?,
    };
    Ok(registered.len())
}

fn value(
    v: &CommandDataOptionValue,
    files: &HashMap<AttachmentId, serenity::all::Attachment>,
) -> Option<OptionValue> {
    Some(match v {
        CommandDataOptionValue::String(s) => OptionValue::String(s.clone()),
        CommandDataOptionValue::Integer(i) => OptionValue::Integer(*i),
        CommandDataOptionValue::Number(n) => OptionValue::Number(*n),
        CommandDataOptionValue::Boolean(b) => OptionValue::Boolean(*b),
        CommandDataOptionValue::User(u) => OptionValue::User(u.get()),
        CommandDataOptionValue::Channel(c) => OptionValue::Channel(c.get()),
        CommandDataOptionValue::Role(r) => OptionValue::Role(r.get()),
        CommandDataOptionValue::Attachment(id) => {
            let a = files.get(id)?;
            OptionValue::Attachment(FileRef {
                filename: a.filename.clone(),
                url: a.url.clone(),
                size: u64::from(a.size),
            })
        }
        _ => return None,
    })
}

fn flat(
    options: &[CommandDataOption],
    files: &HashMap<AttachmentId, serenity::all::Attachment>,
) -> Vec<(String, OptionValue)> {
    options
        .iter()
        .filter_map(|o| value(&o.value, files).map(|v| (o.name.clone(), v)))
        .collect()
}

/// The transport-free request for an interaction in a guild.
pub fn to_request(cmd: &CommandInteraction, guild: u64, guild_name: Option<String>) -> Request {
    let files = &cmd.data.resolved.attachments;
    let (subcommand, options) = match cmd.data.options.first() {
        Some(CommandDataOption {
            name,
            value: CommandDataOptionValue::SubCommand(inner),
            ..
        }) => (Some(name.clone()), flat(inner, files)),
        _ => (None, flat(&cmd.data.options, files)),
    };
    let mut names: HashMap<u64, String> = HashMap::new();
    for (id, user) in &cmd.data.resolved.users {
        names.insert(
            id.get(),
            user.global_name
                .clone()
                .unwrap_or_else(|| user.name.clone()),
        );
    }
    for (id, member) in &cmd.data.resolved.members {
        if let Some(nick) = &member.nick {
            names.insert(id.get(), nick.clone());
        }
    }
    let member = cmd.member.as_deref();
    Request {
        guild,
        guild_name,
        channel: cmd.channel_id.get(),
        user: cmd.user.id.get(),
        user_name: member
            .map(|m| m.display_name().to_string())
            .unwrap_or_else(|| cmd.user.display_name().to_string()),
        permissions: member.and_then(|m| m.permissions).map_or(0, |p| p.bits()),
        roles: member
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
        name: cmd.data.name.clone(),
        subcommand,
        options,
        names,
        at: Utc::now(),
    }
}

fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

/// A reply's embed as Discord's (already cut to Discord's limits by [`Reply::with_embed`]).
fn embed(e: &Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new();
    if let Some(t) = &e.title {
        out = out.title(t.clone());
    }
    if let Some(d) = &e.description {
        out = out.description(d.clone());
    }
    if let Some(c) = e.color {
        out = out.colour(c);
    }
    out.fields(
        e.fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone(), f.inline)),
    )
}

fn response_message(reply: &Reply) -> CreateInteractionResponseMessage {
    let mut m = CreateInteractionResponseMessage::new()
        .content(reply.content.clone())
        .ephemeral(reply.ephemeral)
        .allowed_mentions(no_pings());
    if let Some(e) = &reply.embed {
        m = m.embed(embed(e));
    }
    if let Some(a) = &reply.attachment {
        m = m.add_file(CreateAttachment::bytes(a.bytes.clone(), a.filename.clone()));
    }
    m
}

async fn respond(ctx: &Context, cmd: &CommandInteraction, reply: &Reply) {
    let response = CreateInteractionResponse::Message(response_message(reply));
    if let Err(e) = cmd.create_response(&ctx.http, response).await {
        tracing::warn!(command = %cmd.data.name, error = %e, "interaction response failed");
    }
}

/// Replaces a public deferral with an ephemeral follow-up carrying `reply`.
async fn answer_privately_after_public_defer(
    ctx: &Context,
    cmd: &CommandInteraction,
    reply: &Reply,
) {
    if let Err(e) = cmd.delete_response(&ctx.http).await {
        tracing::warn!(command = %cmd.data.name, error = %e, "could not remove the public \"thinking…\"");
    }
    let mut followup = CreateInteractionResponseFollowup::new()
        .content(reply.content.clone())
        .ephemeral(true)
        .allowed_mentions(no_pings());
    if let Some(e) = &reply.embed {
        followup = followup.embed(embed(e));
    }
    if let Some(a) = &reply.attachment {
        followup = followup.add_file(CreateAttachment::bytes(a.bytes.clone(), a.filename.clone()));
    }
    if let Err(e) = cmd.create_followup(&ctx.http, followup).await {
        tracing::warn!(command = %cmd.data.name, error = %e, "could not send the private answer");
    }
}

/// Answers Discord's autocomplete request for the option the member is typing in.
pub async fn autocomplete(state: &FrontState, ctx: &Context, ac: CommandInteraction) {
    let (Some(guild), Some(focused)) = (ac.guild_id.map(|g| g.get()), ac.data.autocomplete())
    else {
        return;
    };
    let req = to_request(&ac, guild, None);
    let mut response = CreateAutocompleteResponse::new();
    for (label, value) in state
        .commands
        .suggest(&req, focused.name, focused.value)
        .await
    {
        response = response.add_string_choice(label, value);
    }
    let response = CreateInteractionResponse::Autocomplete(response);
    if let Err(e) = ac.create_response(&ctx.http, response).await {
        tracing::warn!(command = %ac.data.name, error = %e, "autocomplete answer failed");
    }
}

/// Answers "shutting down" to a command that arrives during shutdown.
pub async fn refuse_shutting_down(ctx: &Context, cmd: &CommandInteraction) {
    respond(
        ctx,
        cmd,
        &Reply::error("the bot is restarting; try again in a minute"),
    )
    .await;
}

/// Runs one slash command and answers it.
pub async fn handle(state: &FrontState, ctx: &Context, cmd: CommandInteraction) {
    let Some(guild) = cmd.guild_id.map(|g| g.get()) else {
        respond(
            ctx,
            &cmd,
            &Reply::error("Questline's commands work in servers, not in direct messages"),
        )
        .await;
        return;
    };
    let req = to_request(&cmd, guild, state.guild_name(guild));
    // Using a command is activity (quests and achievements count it), except a privacy
    // request: erasing one's data must not record one again.
    if !cmd.user.bot && state.commands.counts_as_activity(&req.name) {
        let mut a = Activity::new(
            guild,
            req.channel,
            req.user,
            req.at,
            ActivityKind::Command {
                name: req.name.clone(),
            },
        )
        .with_roles(req.roles.clone())
        .named(req.user_name.clone());
        a.guild_name = req.guild_name.clone();
        state.submit(a).await;
    }
    if state.commands.defers(&req.name) {
        // Admin file commands and privacy answers are for the invoker only, so is their
        // "thinking…" (an edit cannot change that later).
        let private = state.commands.answers_privately(&req.name);
        let defer = CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(private),
        );
        if let Err(e) = cmd.create_response(&ctx.http, defer).await {
            tracing::warn!(command = %req.name, error = %e, "could not defer the reply");
            return;
        }
        let reply = state.commands.handle(&req).await;
        if reply.ephemeral && !private {
            // The "thinking…" everyone sees cannot turn private: remove it and answer the
            // invoker alone (a hidden member's `/rank`, an error).
            answer_privately_after_public_defer(ctx, &cmd, &reply).await;
            return;
        }
        let mut edit = EditInteractionResponse::new()
            .content(reply.content.clone())
            .allowed_mentions(no_pings());
        if let Some(e) = &reply.embed {
            edit = edit.embed(embed(e));
        }
        if let Some(a) = &reply.attachment {
            edit =
                edit.new_attachment(CreateAttachment::bytes(a.bytes.clone(), a.filename.clone()));
        }
        if let Err(e) = cmd.edit_response(&ctx.http, edit).await {
            tracing::warn!(command = %req.name, error = %e, "could not send the deferred reply");
        }
    } else {
        let reply = state.commands.handle(&req).await;
        respond(ctx, &cmd, &reply).await;
    }
}
