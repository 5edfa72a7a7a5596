//! The member's own page, `/g/{guild}/me`: their rank card, quests and achievements, the
//! privacy switch, and their data (download and erasure).
//!
//! Nothing here has logic of its own: every read and write is the slash command that does
//! the same on Discord (`/rank`, `/quests`, `/achievements`, `/privacy`, `/gdpr`), run
//! through [`Commands::handle`] as the logged-in member, so the rules, limits, audit and
//! messages are the same by construction.

use std::collections::HashMap;

use chrono::Utc;
use maud::{Markup, html};

use crate::commands::types::{OptionValue, Reply, Request};
use crate::commands::{Commands, MANAGE_GUILD};
use crate::db::WebSession;

use super::board::GuildInfo;

/// The slash command `name` (with a subcommand and options) as the session's member.
pub fn request(
    session: &WebSession,
    guild: &GuildInfo,
    name: &str,
    subcommand: Option<&str>,
    options: Vec<(&str, OptionValue)>,
) -> Request {
    let (_, manager) = session.standing(guild.id);
    Request {
        guild: guild.id,
        guild_name: Some(guild.name.clone()),
        channel: 0,
        user: session.user_id,
        user_name: session.user_name.clone(),
        permissions: if manager { MANAGE_GUILD } else { 0 },
        roles: Vec::new(),
        name: name.to_string(),
        subcommand: subcommand.map(str::to_string),
        options: options
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        names: HashMap::from([(session.user_id, session.user_name.clone())]),
        at: Utc::now(),
    }
}

/// Runs a command as the member.
pub async fn run(
    commands: &Commands,
    session: &WebSession,
    guild: &GuildInfo,
    name: &str,
    subcommand: Option<&str>,
    options: Vec<(&str, OptionValue)>,
) -> Reply {
    commands
        .handle(&request(session, guild, name, subcommand, options))
        .await
}

/// A command's answer, written for Discord, as HTML: `**bold**` becomes `<strong>`, line
/// breaks stay (everything else is escaped text).
pub fn reply_text(text: &str) -> Markup {
    html! {
        div.reply {
            @for (i, line) in text.lines().enumerate() {
                @if i > 0 { br; }
                @for (j, part) in line.split("**").enumerate() {
                    @if j % 2 == 1 { strong { (part) } } @else { (part.replace('`', "")) }
                }
            }
        }
    }
}

/// What the member page shows.
pub struct MemberView<'a> {
    pub guild: &'a GuildInfo,
    pub session: &'a WebSession,
    /// `/rank`'s summary, and whether it drew a card.
    pub rank: &'a Reply,
    pub quests: &'a Reply,
    pub achievements: &'a Reply,
    /// The answer to a form just sent, if any.
    pub notice: Option<&'a Reply>,
    /// Whether the member hides from the leaderboard now.
    pub hidden: bool,
}

/// The page's body (the frame is the caller's).
pub fn page(v: &MemberView<'_>) -> Markup {
    let base = format!("/g/{}/me", v.guild.id);
    html! {
        div.heading {
            h1 { "You on " (v.guild.name) }
            p.lede { a href={"/g/" (v.guild.id)} { "← Back to the leaderboard" } }
        }
        @if let Some(n) = v.notice {
            div.flash role="status" { (reply_text(&n.content)) }
        }
        div.columns {
            div.stack {
                section.panel aria-labelledby="rank-title" {
                    h2 #rank-title { "Rank" }
                    @if v.rank.attachment.is_some() {
                        img.card src={(base) "/card.png"} alt={"Rank card: " (v.rank.content.replace("**", ""))} width="934" height="282";
                    }
                    (reply_text(&v.rank.content))
                }
                section.panel aria-labelledby="quests-title" {
                    h2 #quests-title { "Quests" }
                    (reply_text(&v.quests.content))
                }
                section.panel aria-labelledby="achievements-title" {
                    h2 #achievements-title { "Achievements" }
                    (reply_text(&v.achievements.content))
                }
            }
            aside.stack {
                section.panel aria-labelledby="privacy-title" {
                    h2 #privacy-title { "Privacy" }
                    p {
                        @if v.hidden { "You are hidden from the leaderboard and from /rank. You still earn XP." }
                        @else { "You are listed on the leaderboard." }
                    }
                    form method="post" action={(base) "/privacy"} {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        input type="hidden" name="show" value=(if v.hidden { "on" } else { "off" });
                        button type="submit" { @if v.hidden { "List me again" } @else { "Hide me from the leaderboard" } }
                    }
                }
                section.panel aria-labelledby="data-title" {
                    h2 #data-title { "Your data" }
                    p { a href={(base) "/data.json"} download { "Download everything stored about you here" } " (JSON)" }
                    form method="post" action={(base) "/erase"} {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        p {
                            input #confirm type="checkbox" name="confirm" value="true" required;
                            " "
                            label for="confirm" { "I understand this erases my XP, level, quest progress, achievements and card on this server for good" }
                        }
                        button.danger type="submit" { "Erase my data" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_bold_becomes_strong_and_the_rest_is_escaped() {
        let html = reply_text("**alice** · rank #1\n<b>x</b> `code`").into_string();
        assert_eq!(
            html,
            "<div class=\"reply\"><strong>alice</strong> · rank #1<br>&lt;b&gt;x&lt;/b&gt; code</div>"
        );
    }
}
