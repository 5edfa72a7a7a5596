//! The server dashboard, `/g/{guild}/admin`, for members who manage the server: every
//! server setting with its current value and a form to change it.
//!
//! A change is `/config set <setting> <value>` run as the logged-in manager through
//! [`crate::commands::Commands::handle`]: the same validation (channels checked against
//! the server, formulas and styles against the loaded plugins) and the same answer as on
//! Discord. Before it runs, Discord is asked whether the visitor manages the server *now*
//! ([`super::server::ManagerCheck`]); what their login said is only used to show the page.

use maud::{Markup, html};

use crate::commands::types::Reply;
use crate::db::LeaderboardVisibility;
use crate::db::WebSession;
use crate::db::entities::server_config;

use super::board::GuildInfo;
use super::member::reply_text;

/// How a setting is edited.
enum Input {
    Text,
    Number,
    /// One of these values.
    Choice(&'static [&'static str]),
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
            input: Input::Text,
            help: "channel id for level-up messages; empty: where the member spoke",
        },
        Row {
            name: "quest_channel",
            value: text(&cfg.quest_channel),
            input: Input::Text,
            help: "channel id for quest notices; empty: where the member was active",
        },
        Row {
            name: "achievement_channel",
            value: text(&cfg.achievement_channel),
            input: Input::Text,
            help: "channel id for achievement notices; empty: where the member was active",
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
            name: "cooldowns",
            value: cfg
                .cooldowns
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            input: Input::Text,
            help: "a JSON object kept with the settings",
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
            input: Input::Text,
            help: "voice channel id where time earns nothing",
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

/// The dashboard's body.
pub fn page(
    guild: &GuildInfo,
    session: &WebSession,
    cfg: &server_config::Model,
    notice: Option<&Reply>,
) -> Markup {
    let action = format!("/g/{}/admin/config", guild.id);
    html! {
        div.heading {
            h1 { "Settings of " (guild.name) }
            p.lede { a href={"/g/" (guild.id)} { "← Back to the leaderboard" } }
        }
        @if let Some(n) = notice {
            div.flash role="status" { (reply_text(&n.content)) }
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
                                    }
                                    button type="submit" { "Save" span.visually-hidden { " " (row.name) } }
                                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_offers_every_setting_config_set_takes() {
        assert_eq!(setting_names(), crate::db::ServerSetting::NAMES.to_vec());
    }
}
