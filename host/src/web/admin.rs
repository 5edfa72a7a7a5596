//! The server dashboard, `/g/{guild}/admin`, for members who manage the server: every
//! server setting with its current value and a form to change it.
//!
//! A change is `/config set <setting> <value>` run as the logged-in manager through
//! [`crate::commands::Commands::handle`]: the same validation (channels checked against
//! the server, formulas and styles against the loaded plugins) and the same answer as on
//! Discord. Before it runs, Discord is asked whether the visitor manages the server *now*
//! ([`super::server::ManagerCheck`]); what their login said is only used to show the page.

use std::sync::Arc;

use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use maud::{Markup, html};
use serde::Deserialize;

use crate::commands::files::MAX_IMPORT_BYTES;
use crate::commands::requirements::{self, For, Offer};
use crate::commands::types::Reply;
use crate::commands::types::{FileRef, OptionValue};
use crate::commands::{AttachmentSource, ChannelKind};
use crate::db::LeaderboardVisibility;
use crate::db::WebSession;
use crate::db::entities::{roles, server_config, xp_audit_log};
use crate::plugins::SettingKey;

use super::auth;
use super::board::GuildInfo;
use super::labels::GuildLabels;
use super::member::reply_text;
use super::member::{Visit, file_download};
use super::pages;
use super::server::{Refusal, Shared, WebSources, here, refusal_page};

/// How a setting is edited.
enum Input {
    Text,
    Number,
    /// One of these values.
    Choice(&'static [&'static str]),
    /// One of the guild's channels of this kind, or none (shown as the text given).
    Channel(ChannelKind, &'static str),
}

/// One setting's line on the dashboard.
struct Row {
    name: &'static str,
    value: String,
    input: Input,
    help: &'static str,
}

const ON_OFF: &[&str] = &["on", "off"];

fn on_off(v: bool) -> String {
    if v { "on" } else { "off" }.to_string()
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// Every setting `/config set` takes, in its order, with the stored value.
fn rows(cfg: &server_config::Model) -> Vec<Row> {
    vec![
        Row {
            name: "xp_rate",
            value: cfg.xp_rate.to_string(),
            input: Input::Number,
            help: "XP multiplier for everyone (1 = normal, 0 = no XP)",
        },
        Row {
            name: "level_up_message",
            value: text(&cfg.level_up_message),
            input: Input::Text,
            help: "level-up message template; empty for the default",
        },
        Row {
            name: "level_up_channel",
            value: text(&cfg.level_up_channel),
            input: Input::Channel(ChannelKind::Text, "where the member spoke"),
            help: "where level-up messages go",
        },
        Row {
            name: "level_up_destination",
            value: crate::db::LevelUpDestination::of(cfg).as_str().to_string(),
            input: Input::Choice(&["channel", "dm", "off"]),
            help: "where level-up messages go: the level-up channel (or where the member spoke), a DM, or nowhere",
        },
        Row {
            name: "level_up_ping",
            value: on_off(cfg.level_up_ping),
            input: Input::Choice(ON_OFF),
            help: "whether level-up messages ping the member",
        },
        Row {
            name: "role_reward_message",
            value: text(&cfg.role_reward_message),
            input: Input::Text,
            help: "added to a level-up that gives a reward role ({role} names it); empty for none",
        },
        Row {
            name: "quest_channel",
            value: text(&cfg.quest_channel),
            input: Input::Channel(ChannelKind::Text, "where the member was active"),
            help: "where quest notices go",
        },
        Row {
            name: "achievement_channel",
            value: text(&cfg.achievement_channel),
            input: Input::Channel(ChannelKind::Text, "where the member was active"),
            help: "where achievement notices go",
        },
        Row {
            name: "quest_reset_hour",
            value: cfg.quest_reset_hour.to_string(),
            input: Input::Number,
            help: "hour of the day quests reset, 0–23 UTC",
        },
        Row {
            name: "quest_reset_day",
            value: cfg.quest_reset_day.to_string(),
            input: Input::Number,
            help: "weekday weekly quests reset, 0 = Monday … 6 = Sunday",
        },
        Row {
            name: "xp_formula_plugin",
            value: text(&cfg.xp_formula_plugin),
            input: Input::Text,
            help: "the XP formula plugin; empty for the bot's default",
        },
        Row {
            name: "card_style",
            value: text(&cfg.card_style),
            input: Input::Text,
            help: "the server's default rank-card style; empty for the default",
        },
        Row {
            name: "demote_on_xp_loss",
            value: on_off(cfg.demote_on_xp_loss),
            input: Input::Choice(ON_OFF),
            help: "whether removing XP may lower levels and take level roles away",
        },
        Row {
            name: "afk_channel",
            value: text(&cfg.afk_channel),
            input: Input::Channel(ChannelKind::Voice, "none"),
            help: "the voice channel where time earns nothing",
        },
        Row {
            name: "reset_on_leave",
            value: on_off(cfg.reset_on_leave),
            input: Input::Choice(ON_OFF),
            help: "erase a member's data when they leave (needs the bot's members intent)",
        },
        Row {
            name: "leaderboard_visibility",
            value: LeaderboardVisibility::of(cfg).to_string(),
            input: Input::Choice(&["public", "members", "managers", "off"]),
            help: "who sees the web leaderboard",
        },
        Row {
            name: "leaderboard_indexable",
            value: on_off(cfg.leaderboard_indexable),
            input: Input::Choice(ON_OFF),
            help: "whether search engines may index a public leaderboard",
        },
    ]
}

/// What the dashboard shows besides the settings.
pub struct AdminView<'a> {
    pub guild: &'a GuildInfo,
    pub session: &'a WebSession,
    pub cfg: &'a server_config::Model,
    pub rewards: &'a [roles::Model],
    /// `/plugins list`'s answer.
    pub plugins: &'a Reply,
    /// `/quest list`'s and `/achievement list`'s answers.
    pub quests: &'a Reply,
    pub achievements: &'a Reply,
    /// The plugins a guild can switch (names).
    pub plugin_names: &'a [String],
    /// The settings each plugin with a settings schema takes (plugin name, its keys).
    pub plugin_settings: &'a [(String, Vec<SettingKey>)],
    /// The newest XP changes made by moderators.
    pub audit: &'a [xp_audit_log::Model],
    pub notice: Option<&'a Reply>,
    /// Names for the guild's channels and roles.
    pub labels: &'a GuildLabels,
    /// What quests and achievements may count (the loaded plugins' requirement types).
    pub quest_offers: &'a [Offer],
    pub achievement_offers: &'a [Offer],
}

/// A setting's type, default and description after its name: `(integer, default 15): Least XP`.
fn key_note(key: &SettingKey) -> String {
    let full = key.to_string();
    full.strip_prefix(key.name.as_str())
        .unwrap_or(&full)
        .trim_start()
        .to_owned()
}

/// The hidden CSRF field and the action name of a dashboard form.
fn action_fields(session: &WebSession, action: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(session.csrf);
        input type="hidden" name="action" value=(action);
    }
}

/// A channel setting: a list of the guild's channels of `kind` when their names are known
/// (the stored one kept even if Discord no longer lists it), else the id as text.
fn channel_input(row: &Row, kind: ChannelKind, none: &str, labels: &GuildLabels) -> Markup {
    let id = format!("set-{}", row.name);
    let help = format!("help-{}", row.name);
    let Some(channels) = labels.channels_of(kind) else {
        return html! {
            input id=(id) name="value" type="text" inputmode="numeric" value=(row.value) aria-describedby=(help) placeholder={"channel id; empty: " (none)};
        };
    };
    let listed = row.value.is_empty() || channels.iter().any(|c| c.id.to_string() == row.value);
    html! {
        select id=(id) name="value" aria-describedby=(help) {
            option value="" selected[row.value.is_empty()] { "(" (none) ")" }
            @if !listed { option value=(row.value) selected { "channel " (row.value) " (not on the server any more)" } }
            @for c in channels {
                option value=(c.id) selected[c.id.to_string() == row.value] { "#" (c.name) }
            }
        }
    }
}

/// What quests and achievements are both made of, as the create forms ask it (ids
/// `{prefix}-name`, `-requirement`, `-target`, `-reward`): a name, one of the requirement
/// types the loaded plugins count, a target and an XP reward.
fn goal_fields(prefix: &str, offers: &[Offer], target_label: &str) -> Markup {
    html! {
        label for={(prefix) "-name"} { "Name" }
        input id={(prefix) "-name"} name="name" type="text" required maxlength="100";
        label for={(prefix) "-requirement"} { "What counts" }
        select id={(prefix) "-requirement"} name="requirement" required {
            @for o in offers { option value=(o.value) { (o.label) } }
        }
        label for={(prefix) "-target"} { (target_label) }
        input id={(prefix) "-target"} name="target" type="text" inputmode="numeric" required;
        label for={(prefix) "-reward"} { "XP reward" }
        input id={(prefix) "-reward"} name="reward" type="text" inputmode="numeric" required;
    }
}

/// The text members see with a quest or an achievement (id `{prefix}-description`).
fn description_field(prefix: &str) -> Markup {
    html! {
        label for={(prefix) "-description"} { "What members see" }
        input id={(prefix) "-description"} name="description" type="text" maxlength="500";
    }
}

/// A reward's role: its name when known, with the id for reference.
fn role_cell(role_id: &str, labels: &GuildLabels) -> Markup {
    let name = role_id.parse().ok().and_then(|id| labels.role(id));
    html! {
        @match name {
            Some(n) => { span.role { "@" (n) } " " span.sub { code { (role_id) } } }
            None => { code { (role_id) } @if labels.roles.is_some() { " " span.sub { "(deleted?)" } } }
        }
    }
}

/// The role of a new reward: the roles the bot can give, or an id field.
fn role_input(labels: &GuildLabels) -> Markup {
    match labels.assignable_roles() {
        Some(roles) => html! {
            label for="reward-role" { "Role" }
            select #reward-role name="role" required {
                @for r in roles { option value=(r.id) { "@" (r.name) } }
            }
        },
        None => html! {
            label for="reward-role" { "Role id" }
            input #reward-role name="role" type="text" inputmode="numeric" required;
        },
    }
}

/// The dashboard's body.
pub fn page(v: &AdminView<'_>) -> Markup {
    let (guild, session, cfg, notice) = (v.guild, v.session, v.cfg, v.notice);
    let action = format!("/g/{}/admin/config", guild.id);
    let run = format!("/g/{}/admin/action", guild.id);
    html! {
        div.heading {
            h1 { "Settings of " (guild.name) }
            p.lede { a href={"/g/" (guild.id)} { "← Back to the leaderboard" } }
        }
        @if let Some(n) = notice {
            div.flash role="status" { (reply_text(&n.text(), v.labels)) }
        }
        section.panel aria-labelledby="settings-title" {
            h2 #settings-title { "Server settings" }
            p.sub { "Each change is the same as " code { "/config set" } " on Discord, checked the same way. Discord is asked that you still manage this server before it is saved." }
            table.settings {
                thead { tr { th scope="col" { "Setting" } th scope="col" { "Value" } } }
                tbody {
                    @for row in rows(cfg) {
                        tr {
                            th scope="row" {
                                label for={"set-" (row.name)} { code { (row.name) } }
                                div.sub id={"help-" (row.name)} { (row.help) }
                            }
                            td {
                                form.setting method="post" action=(action) {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    input type="hidden" name="setting" value=(row.name);
                                    @match row.input {
                                        Input::Choice(options) => {
                                            select id={"set-" (row.name)} name="value" aria-describedby={"help-" (row.name)} {
                                                @for o in options {
                                                    option value=(o) selected[*o == row.value] { (o) }
                                                }
                                            }
                                        }
                                        Input::Number => {
                                            input id={"set-" (row.name)} name="value" type="text" inputmode="decimal" value=(row.value) aria-describedby={"help-" (row.name)};
                                        }
                                        Input::Text => {
                                            input id={"set-" (row.name)} name="value" type="text" value=(row.value) aria-describedby={"help-" (row.name)};
                                        }
                                        Input::Channel(kind, none) => {
                                            (channel_input(&row, kind, none, v.labels))
                                        }
                                    }
                                    button type="submit" { "Save" span.visually-hidden { " " (row.name) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        div.columns {
            section.panel aria-labelledby="rewards-title" {
                h2 #rewards-title { "Level rewards" }
                @if v.rewards.is_empty() {
                    p.sub { "No role is given for a level yet." }
                } @else {
                    table {
                        thead { tr { th scope="col" { "Level" } th scope="col" { "Role" } th scope="col" { "Kept" } th scope="col" { span.visually-hidden { "Remove" } } } }
                        tbody {
                            @for r in v.rewards {
                                tr {
                                    td { (r.level) }
                                    td { (role_cell(&r.role_id, v.labels)) }
                                    td { @if r.is_stacked { "yes" } @else { "no (replaced by the next)" } }
                                    td {
                                        form.inline method="post" action=(run) {
                                            (action_fields(session, "level-roles remove"))
                                            input type="hidden" name="role" value=(r.role_id);
                                            button type="submit" { "Remove" span.visually-hidden { " the reward at level " (r.level) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.stacked method="post" action=(run) {
                    (action_fields(session, "level-roles add"))
                    h3 { "Add a reward" }
                    (role_input(v.labels))
                    label for="reward-level" { "Level" }
                    input #reward-level name="level" type="text" inputmode="numeric" required;
                    p { input #reward-stacked type="checkbox" name="stacked" value="true"; " " label for="reward-stacked" { "Keep it when a higher reward comes" } }
                    button type="submit" { "Add the reward" }
                }
            }
            aside.stack {
                section.panel aria-labelledby="plugins-title" {
                    h2 #plugins-title { "Plugins" }
                    (reply_text(&v.plugins.content, v.labels))
                    form.stacked method="post" action=(run) {
                        (action_fields(session, "plugins"))
                        label for="plugin-name" { "Plugin" }
                        select #plugin-name name="name" {
                            @for n in v.plugin_names { option value=(n) { (n) } }
                        }
                        label for="plugin-switch" { "Switch" }
                        select #plugin-switch name="switch" {
                            option value="enable" { "enable on this server" }
                            option value="disable" { "disable on this server" }
                        }
                        button type="submit" { "Apply" }
                    }
                    form.stacked method="post" action=(run) {
                        (action_fields(session, "plugins config"))
                        h3 { "A plugin's settings on this server" }
                        label for="plugin-config-name" { "Plugin" }
                        select #plugin-config-name name="name" {
                            @for n in v.plugin_names { option value=(n) { (n) } }
                        }
                        label for="plugin-config-json" { "Settings as a JSON object (leave empty to see the current ones)" }
                        textarea #plugin-config-json name="json" rows="4" {}
                        button type="submit" { "Show or save the settings" }
                    }
                    @if !v.plugin_settings.is_empty() {
                        h3 { "The settings each plugin takes" }
                        p { "Settings that do not fit are refused with the key and the reason; unset keys take the default." }
                        @for (name, keys) in v.plugin_settings {
                            details {
                                summary { (name) }
                                @if keys.is_empty() {
                                    p { "It takes no settings." }
                                } @else {
                                    ul {
                                        @for key in keys { li { code { (key.name) } " " (key_note(key)) } }
                                    }
                                }
                            }
                        }
                    }
                }
                section.panel aria-labelledby="import-title" {
                    h2 #import-title { "Import" }
                    form.stacked method="post" action={"/g/" (guild.id) "/admin/import"} enctype="multipart/form-data" {
                        input type="hidden" name="csrf" value=(session.csrf);
                        label for="import-format" { "From" }
                        select #import-format name="format" {
                            option value="mee6" { "MEE6" }
                            option value="polaris" { "Polaris" }
                            option value="experienced" { "Experienced" }
                            option value="questline" { "Questline (an export)" }
                        }
                        label for="import-mode" { "When members already have XP" }
                        select #import-mode name="mode" {
                            option value="" { "refuse (import into an empty server only)" }
                            option value="overwrite" { "the file's XP replaces theirs" }
                            option value="add" { "the file's XP is added to theirs" }
                        }
                        label for="import-file" { "File (up to 25 MB)" }
                        input #import-file type="file" name="file" required accept=".json,.csv,application/json,text/csv";
                        button type="submit" { "Import" }
                    }
                }
                section.panel aria-labelledby="export-title" {
                    h2 #export-title { "Export" }
                    p { a href={"/g/" (guild.id) "/admin/export.json"} download { "Download this server's data" } " (members, quests, achievements, rewards and settings, as " code { "questline import" } " and " code { "/import" } " read it)" }
                }
            }
        }
        div.columns {
            section.panel aria-labelledby="quests-title" {
                h2 #quests-title { "Quests" }
                (reply_text(&v.quests.content, v.labels))
                form.stacked method="post" action=(run) {
                    (action_fields(session, "quest create"))
                    h3 { "Create a quest" }
                    (goal_fields("quest", v.quest_offers, "How many"))
                    label for="quest-cycle" { "Resets" }
                    select #quest-cycle name="cycle" {
                        option value="once" { "never (once)" }
                        option value="daily" { "daily" }
                        option value="weekly" { "weekly" }
                        option value="monthly" { "monthly" }
                    }
                    (description_field("quest"))
                    button type="submit" { "Create the quest" }
                }
                form.stacked method="post" action=(run) {
                    (action_fields(session, "quest deactivate"))
                    label for="quest-end-id" { "End a quest now (its id from the list)" }
                    input #quest-end-id name="id" type="text" inputmode="numeric" required;
                    button type="submit" { "End the quest" }
                }
                form.stacked method="post" action=(run) {
                    (action_fields(session, "quest reset-now"))
                    label for="quest-reset-cycle" { "Start a new quest period now" }
                    select #quest-reset-cycle name="cycle" {
                        option value="" { "every cycle" }
                        option value="daily" { "daily" }
                        option value="weekly" { "weekly" }
                        option value="monthly" { "monthly" }
                    }
                    button type="submit" { "Reset now" }
                }
            }
            section.panel aria-labelledby="achievements-title" {
                h2 #achievements-title { "Achievements" }
                (reply_text(&v.achievements.content, v.labels))
                form.stacked method="post" action=(run) {
                    (action_fields(session, "achievement create"))
                    h3 { "Create an achievement" }
                    (goal_fields("ach", v.achievement_offers, "Threshold"))
                    (description_field("ach"))
                    button type="submit" { "Create the achievement" }
                }
                form.stacked method="post" action=(run) {
                    (action_fields(session, "achievement delete"))
                    label for="ach-delete-id" { "Delete an achievement (its id from the list) and members' records of it" }
                    input #ach-delete-id name="id" type="text" inputmode="numeric" required;
                    button type="submit" { "Delete the achievement" }
                }
            }
        }
        section.panel aria-labelledby="audit-title" {
            h2 #audit-title { "XP changes by moderators" }
            @if v.audit.is_empty() {
                p.sub { "None yet. Changes made with /xp appear here." }
            } @else {
                table {
                    thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "Moderator" } th scope="col" { "Member" } th scope="col" class="num" { "XP" } th scope="col" { "Reason" } } }
                    tbody {
                        @for e in v.audit {
                            tr {
                                td { (e.created_at.format("%Y-%m-%d %H:%M")) }
                                td { code { (e.actor_id) } }
                                td { code { (e.target_id) } }
                                td.num { @if e.delta > 0 { "+" } (e.delta) }
                                td { (e.reason) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The settings' names, for the tests and the form handler.
pub fn setting_names() -> Vec<&'static str> {
    rows(&server_config::Model::defaults("0"))
        .into_iter()
        .map(|r| r.name)
        .collect()
}

/// The dashboard's routes.
pub(super) fn routes() -> axum::Router<Shared> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/g/{guild}/admin", get(admin_page))
        .route("/g/{guild}/admin/config", post(admin_config))
        .route("/g/{guild}/admin/action", post(admin_action))
        .route("/g/{guild}/admin/export.json", get(admin_export))
        .route(
            "/g/{guild}/admin/import",
            post(admin_import).layer(axum::extract::DefaultBodyLimit::max(
                MAX_IMPORT_BYTES as usize + 64 * 1024,
            )),
        )
}

/// The dashboard's preconditions: a logged-in visitor whose login says they manage the
/// guild (changes check Discord again, [`confirm_change`]).
async fn admin_context(
    s: &WebSources,
    headers: &HeaderMap,
    guild: &str,
) -> Result<Visit, (Option<WebSession>, Refusal)> {
    if s.managers.is_none() {
        return Err((s.session(headers).await, Refusal::NotFound));
    }
    let v = super::member::member_context(s, headers, guild).await?;
    if !v.session.standing(v.guild.id).1 {
        return Err((Some(v.session), Refusal::NotManager));
    }
    Ok(v)
}

/// Before a change (or the export): the form's CSRF token when it has one, then Discord
/// asked whether the visitor manages the server now. Err is the refusal page.
async fn confirm_change(s: &WebSources, v: &Visit, csrf: Option<&str>) -> Result<(), Response> {
    let page = format!("/g/{}/admin", v.guild.id);
    if let Some(csrf) = csrf
        && !auth::same_token(&v.session.csrf, csrf)
    {
        return Err(refusal_page(s, Some(&v.session), &page, &Refusal::BadForm));
    }
    check_manager(s, &v.session, &v.guild)
        .await
        .map_err(|r| refusal_page(s, Some(&v.session), &page, &r))
}

/// [`admin_context`] and [`confirm_change`]: the visit a change may be made in, or the
/// refusal page.
async fn manager_visit(
    s: &WebSources,
    headers: &HeaderMap,
    guild: &str,
    csrf: Option<&str>,
) -> Result<Visit, Response> {
    let v = admin_context(s, headers, guild)
        .await
        .map_err(|(session, r)| {
            refusal_page(s, session.as_ref(), &format!("/g/{guild}/admin"), &r)
        })?;
    confirm_change(s, &v, csrf).await?;
    Ok(v)
}

async fn render_admin(s: &WebSources, v: &Visit, notice: Option<&Reply>) -> Response {
    let (session, info) = (&v.session, &v.guild);
    let here = format!("/g/{}/admin", info.id);
    let read = async {
        let cfg = s.db.get_server_config(info.id).await?;
        let rewards = s.db.list_level_roles(info.id).await?;
        let audit = s.db.list_audit(info.id, 20, None).await?;
        Ok::<_, crate::db::DbError>((cfg, rewards, audit))
    };
    let (cfg, rewards, audit) = match read.await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "dashboard: settings unreadable");
            return refusal_page(s, Some(session), &here, &Refusal::Unavailable);
        }
    };
    let labels = GuildLabels::load(Some(&v.commands), info.id).await;
    let offers = |target| async move {
        requirements::offered(&v.commands, target)
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "dashboard: no requirement types"))
            .unwrap_or_default()
    };
    let quest_offers = offers(For::Quest).await;
    let achievement_offers = offers(For::Achievement).await;
    let plugins = v.run("plugins", Some("list"), Vec::new()).await;
    let quests = v.run("quest", Some("list"), Vec::new()).await;
    let achievements = v.run("achievement", Some("list"), Vec::new()).await;
    let plugin_names: Vec<String> = v
        .commands
        .plugins
        .list()
        .into_iter()
        .map(|p| p.name)
        .collect();
    let plugin_settings: Vec<(String, Vec<SettingKey>)> = plugin_names
        .iter()
        .filter_map(|name| {
            let schema = v.commands.plugins.settings_schema(name)?;
            Some((name.clone(), schema.keys().to_vec()))
        })
        .collect();
    let title = format!("Settings of {}", info.name);
    let frame = s.frame(&title, Some(&info.name), s.account(Some(session), &here));
    let view = AdminView {
        guild: info,
        session,
        cfg: &cfg,
        rewards: &rewards,
        plugins: &plugins,
        quests: &quests,
        achievements: &achievements,
        plugin_names: &plugin_names,
        plugin_settings: &plugin_settings,
        audit: &audit,
        notice,
        labels: &labels,
        quest_offers: &quest_offers,
        achievement_offers: &achievement_offers,
    };
    pages::layout(&frame, page(&view)).into_response()
}

/// Asks Discord whether the session's member manages the guild now; the refusal if not.
async fn check_manager(
    s: &WebSources,
    session: &WebSession,
    info: &GuildInfo,
) -> Result<(), Refusal> {
    let Some(managers) = &s.managers else {
        return Err(Refusal::NotFound);
    };
    match managers.is_manager(info.id, session.user_id).await {
        Ok(true) => Ok(()),
        Ok(false) => {
            tracing::info!(
                guild = info.id,
                user = session.user_id,
                "dashboard change refused: not a manager on Discord"
            );
            Err(Refusal::NotManager)
        }
        Err(e) => {
            tracing::warn!(guild = info.id, error = %e, "dashboard change not checked");
            Err(Refusal::Unavailable)
        }
    }
}

async fn admin_page(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match admin_context(&s, &headers, &guild).await {
        Ok(v) => render_admin(&s, &v, None).await,
        Err((session, r)) => refusal_page(&s, session.as_ref(), &here(&uri), &r),
    }
}

#[derive(Deserialize)]
struct SettingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    setting: String,
    #[serde(default)]
    value: String,
}

/// One setting changed: `/config set` as the manager, after Discord confirmed they manage
/// the server now.
async fn admin_config(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SettingForm>,
) -> Response {
    let v = match manager_visit(&s, &headers, &guild, Some(&form.csrf)).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let options = vec![
        ("setting", OptionValue::String(form.setting)),
        ("value", OptionValue::String(form.value)),
    ];
    let reply = v.run("config", Some("set"), options).await;
    render_admin(&s, &v, Some(&reply)).await
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    role: Option<String>,
    level: Option<String>,
    stacked: Option<String>,
    name: Option<String>,
    switch: Option<String>,
    requirement: Option<String>,
    target: Option<String>,
    reward: Option<String>,
    cycle: Option<String>,
    description: Option<String>,
    id: Option<String>,
    json: Option<String>,
}

/// A slash command with its subcommand and options.
type CommandCall = (&'static str, &'static str, Vec<(&'static str, OptionValue)>);

/// A form's text field as a command's string option.
fn text_option(v: Option<String>) -> OptionValue {
    OptionValue::String(v.unwrap_or_default().trim().to_string())
}

/// A form's field as a whole number, or what to type instead.
fn whole(what: &str, v: Option<String>) -> Result<i64, String> {
    let raw = v.unwrap_or_default();
    raw.trim().parse::<i64>().map_err(|_| {
        format!(
            "`{}` is not a whole number: give the {what} as digits",
            raw.chars().take(20).collect::<String>()
        )
    })
}

/// The slash command a dashboard form stands for, or what is wrong with the form.
fn form_command(form: ActionForm) -> Result<CommandCall, String> {
    let role = |raw: Option<String>| {
        let raw = raw.unwrap_or_default();
        raw.trim()
            .parse::<u64>()
            .ok()
            .filter(|r| *r > 0)
            .map(OptionValue::Role)
            .ok_or_else(|| format!("`{}` is not a role id: copy it from Server Settings → Roles (developer mode on)", raw.chars().take(40).collect::<String>()))
    };
    match form.action.as_str() {
        "level-roles add" => {
            let level = form.level.unwrap_or_default();
            let level = level.trim().parse::<i64>().map_err(|_| {
                format!(
                    "`{}` is not a level: give a whole number",
                    level.chars().take(20).collect::<String>()
                )
            })?;
            Ok((
                "level-roles",
                "add",
                vec![
                    ("role", role(form.role)?),
                    ("level", OptionValue::Integer(level)),
                    (
                        "stacked",
                        OptionValue::Boolean(form.stacked.as_deref() == Some("true")),
                    ),
                ],
            ))
        }
        "level-roles remove" => Ok(("level-roles", "remove", vec![("role", role(form.role)?)])),
        "plugins config" => {
            let mut options = vec![("name", text_option(form.name))];
            if let Some(j) = form.json.filter(|j| !j.trim().is_empty()) {
                options.push(("json", OptionValue::String(j)));
            }
            Ok(("plugins", "config", options))
        }
        "quest create" | "achievement create" => {
            let quest = form.action == "quest create";
            let mut options = vec![
                ("name", text_option(form.name)),
                ("requirement", text_option(form.requirement)),
                (
                    "target",
                    OptionValue::Integer(whole("target", form.target)?),
                ),
                (
                    "reward",
                    OptionValue::Integer(whole("XP reward", form.reward)?),
                ),
            ];
            if let Some(d) = form.description.filter(|d| !d.trim().is_empty()) {
                options.push(("description", OptionValue::String(d)));
            }
            if quest {
                if let Some(c) = form.cycle.filter(|c| !c.is_empty()) {
                    options.push(("cycle", OptionValue::String(c)));
                }
                Ok(("quest", "create", options))
            } else {
                Ok(("achievement", "create", options))
            }
        }
        "quest deactivate" => Ok((
            "quest",
            "deactivate",
            vec![("id", OptionValue::Integer(whole("quest id", form.id)?))],
        )),
        "quest reset-now" => Ok((
            "quest",
            "reset-now",
            form.cycle
                .filter(|c| !c.is_empty())
                .map(|c| vec![("cycle", OptionValue::String(c))])
                .unwrap_or_default(),
        )),
        "achievement delete" => Ok((
            "achievement",
            "delete",
            vec![(
                "id",
                OptionValue::Integer(whole("achievement id", form.id)?),
            )],
        )),
        "plugins" => {
            let sub = match form.switch.as_deref() {
                Some("enable") => "enable",
                Some("disable") => "disable",
                _ => return Err("choose enable or disable".into()),
            };
            Ok((
                "plugins",
                sub,
                vec![("name", OptionValue::String(form.name.unwrap_or_default()))],
            ))
        }
        _ => Err("that is not something the dashboard does; reload the page".into()),
    }
}

/// A dashboard form other than a setting (level rewards, plugins): the slash command it
/// stands for, run as the manager after Discord confirmed they manage the server now.
async fn admin_action(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    let v = match manager_visit(&s, &headers, &guild, Some(&form.csrf)).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let reply = match form_command(form) {
        Ok((name, sub, options)) => v.run(name, Some(sub), options).await,
        Err(why) => Reply::error(why),
    };
    render_admin(&s, &v, Some(&reply)).await
}

/// The guild's export (`/export`), checked with Discord like a change: it holds every
/// member's data.
async fn admin_export(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
) -> Response {
    let v = match manager_visit(&s, &headers, &guild, None).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let reply = v.run("export", None, Vec::new()).await;
    match reply.attachment {
        Some(a) => file_download(a),
        None => render_admin(&s, &v, Some(&reply)).await,
    }
}

/// A file uploaded with the dashboard's import form, handed to `/import` as its attachment.
struct Uploaded(Vec<u8>);

impl AttachmentSource for Uploaded {
    fn fetch<'a>(
        &'a self,
        _file: &'a FileRef,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        Box::pin(async move {
            if self.0.len() as u64 > max_bytes {
                return Err(format!("the file is larger than {max_bytes} bytes"));
            }
            Ok(self.0.clone())
        })
    }
}

/// The import form's fields.
#[derive(Default)]
struct ImportForm {
    csrf: String,
    format: String,
    mode: String,
    filename: String,
    file: Vec<u8>,
}

async fn read_import_form(mut multipart: Multipart) -> Result<ImportForm, String> {
    let mut form = ImportForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("the upload was cut short ({e}); try again"))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            form.filename = field.file_name().unwrap_or("upload").to_string();
            form.file = field
                .bytes()
                .await
                .map_err(|e| format!("the file could not be read ({e}); try again"))?
                .to_vec();
            continue;
        }
        let value = field
            .text()
            .await
            .map_err(|e| format!("the form could not be read ({e}); try again"))?;
        match name.as_str() {
            "csrf" => form.csrf = value,
            "format" => form.format = value,
            "mode" => form.mode = value,
            _ => {}
        }
    }
    Ok(form)
}

/// An import uploaded on the dashboard: `/import` run as the manager with the uploaded file
/// as its attachment (the same format checks, size limit, mode rules and one transaction),
/// after Discord confirmed they manage the server now.
async fn admin_import(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    // The login's claim is checked before the upload is read, Discord after.
    let v = match admin_context(&s, &headers, &guild).await {
        Ok(v) => v,
        Err((session, r)) => {
            return refusal_page(&s, session.as_ref(), &format!("/g/{guild}/admin"), &r);
        }
    };
    let form = match read_import_form(multipart).await {
        Ok(f) => f,
        Err(why) => return render_admin(&s, &v, Some(&Reply::error(why))).await,
    };
    if let Err(refused) = confirm_change(&s, &v, Some(&form.csrf)).await {
        return refused;
    }
    let file = FileRef {
        filename: form.filename,
        url: "upload:".to_string(),
        size: form.file.len() as u64,
    };
    let mut options = vec![
        ("format", OptionValue::String(form.format)),
        ("file", OptionValue::Attachment(file)),
    ];
    if !form.mode.is_empty() {
        options.push(("mode", OptionValue::String(form.mode)));
    }
    let mut with_upload = v.commands.clone();
    with_upload.attachments = Some(Arc::new(Uploaded(form.file)));
    let reply =
        super::member::run(&with_upload, &v.session, &v.guild, "import", None, options).await;
    render_admin(&s, &v, Some(&reply)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_offers_every_setting_config_set_takes() {
        assert_eq!(setting_names(), crate::db::ServerSetting::NAMES.to_vec());
    }
}
