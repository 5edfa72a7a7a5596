//! The member's own page, `/g/{guild}/me`: their rank card, quests and achievements, the
//! privacy switch, and their data (download and erasure).
//!
//! Nothing here has logic of its own: every read and write is the slash command that does
//! the same on Discord (`/rank`, `/quests`, `/achievements`, `/privacy`, `/gdpr`), run
//! through [`Commands::handle`] as the logged-in member, so the rules, limits, audit and
//! messages are the same by construction.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use crate::cards::styles::{available_styles, style_names};
use crate::commands::types::{OptionValue, Reply, Request};
use crate::commands::{Commands, MANAGE_GUILD};
use crate::db::{CardSettings, WebSession};
use crate::plugins::CallContext;

use super::auth;
use super::board::GuildInfo;
use super::pages;
use super::server::{Refusal, Shared, WebSources, here, refusal_page};

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

/// Discord's mentions as words: `<@&1>` → `role 1`, `<#2>` → `channel 2`, `<@3>` →
/// `member 3` (a web page cannot show Discord's names for them).
fn plain_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let (word, skip) = if let Some(t) = tail.strip_prefix("<@&") {
            ("role ", t)
        } else if let Some(t) = tail.strip_prefix("<@!") {
            ("member ", t)
        } else if let Some(t) = tail.strip_prefix("<@") {
            ("member ", t)
        } else if let Some(t) = tail.strip_prefix("<#") {
            ("channel ", t)
        } else {
            ("", "")
        };
        match skip.find('>') {
            Some(end)
                if !word.is_empty()
                    && end > 0
                    && skip[..end].bytes().all(|b| b.is_ascii_digit()) =>
            {
                out.push_str(word);
                out.push_str(&skip[..end]);
                rest = &skip[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A command's answer, written for Discord, as HTML: `**bold**` becomes `<strong>`,
/// mentions become words, line breaks stay (everything else is escaped text).
pub fn reply_text(text: &str) -> Markup {
    let text = plain_mentions(text);
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
    /// The card styles the loaded plugins draw, and the member's card settings.
    pub styles: &'a [String],
    pub card: &'a CardSettings,
}

/// `#rrggbb` for a colour input (stored colours are `#rrggbb` already; anything else shows
/// the default).
fn color_value(v: &Option<String>) -> String {
    v.as_deref()
        .filter(|c| c.len() == 7 && c.starts_with('#'))
        .unwrap_or("#5865f2")
        .to_ascii_lowercase()
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
                section.panel aria-labelledby="card-title" {
                    h2 #card-title { "Your card" }
                    form.stacked method="post" action={(base) "/card"} {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        input type="hidden" name="action" value="style";
                        label for="card-style" { "Style" }
                        select #card-style name="style" {
                            @for st in v.styles {
                                option value=(st) selected[v.card.card_style.as_deref() == Some(st.as_str())] { (st) }
                            }
                        }
                        button type="submit" { "Use this style" }
                    }
                    form.stacked method="post" action={(base) "/card"} {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        input type="hidden" name="action" value="color";
                        label for="card-part" { "Colour of" }
                        select #card-part name="part" {
                            option value="primary" { "the bar and accents" }
                            option value="secondary" { "the background" }
                            option value="border" { "the border" }
                            option value="text" { "the text" }
                        }
                        label for="card-color" { "Colour" }
                        input #card-color type="color" name="color" value=(color_value(&v.card.primary_color));
                        button type="submit" { "Set the colour" }
                    }
                    form.stacked method="post" action={(base) "/card"} {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        input type="hidden" name="action" value="background";
                        label for="card-background" { "Background image (https URL)" }
                        input #card-background type="url" name="url" value=(v.card.background_url.clone().unwrap_or_default());
                        button type="submit" { "Set the background" }
                    }
                    form.stacked method="post" action={(base) "/card"} {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        input type="hidden" name="action" value="reset";
                        button type="submit" { "Back to the default card" }
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

/// The member page's routes.
pub(super) fn routes() -> axum::Router<Shared> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/g/{guild}/me", get(member_page))
        .route("/g/{guild}/me/card.png", get(member_card))
        .route("/g/{guild}/me/data.json", get(member_data))
        .route("/g/{guild}/me/privacy", post(member_privacy))
        .route("/g/{guild}/me/erase", post(member_erase))
        .route("/g/{guild}/me/card", post(member_card_settings))
}

/// The member page's preconditions: the commands, a logged-in visitor who is a member of a
/// guild this bot is in. Returns what the handlers need, or why not.
pub(super) async fn member_context(
    s: &WebSources,
    headers: &HeaderMap,
    guild: &str,
) -> Result<(Commands, WebSession, GuildInfo), (Option<WebSession>, Refusal)> {
    let session = s.session(headers).await;
    let (Some(commands), Some(info)) = (s.commands.clone(), s.guild(guild)) else {
        return Err((session, Refusal::NotFound));
    };
    let Some(session) = session else {
        return Err((None, Refusal::LoginRequired));
    };
    if !session.standing(info.id).0 {
        return Err((Some(session), Refusal::Denied));
    }
    Ok((commands, session, info))
}

pub(super) async fn render_member(
    s: &WebSources,
    commands: &Commands,
    session: &WebSession,
    info: &GuildInfo,
    notice: Option<&Reply>,
    here: &str,
) -> Response {
    let none = Vec::new;
    let rank = run(commands, session, info, "rank", None, none()).await;
    let quests = run(commands, session, info, "quests", None, none()).await;
    let achievements = run(commands, session, info, "achievements", None, none()).await;
    let hidden = match s.db.get_user_level(info.id, session.user_id).await {
        Ok(row) => row.is_some_and(|r| r.hidden),
        Err(e) => {
            tracing::warn!(error = %e, "member page: privacy state unreadable");
            return refusal_page(s, Some(session), here, &Refusal::Unavailable);
        }
    };
    let card = match s.db.get_card_settings(info.id, session.user_id).await {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, "member page: card settings unreadable");
            return refusal_page(s, Some(session), here, &Refusal::Unavailable);
        }
    };
    let host = commands.plugins.clone();
    let ctx = CallContext::new(info.id, chrono::Utc::now().timestamp_millis(), 0);
    let styles = tokio::task::spawn_blocking(move || style_names(&available_styles(&host, &ctx)))
        .await
        .unwrap_or_default();
    let title = format!("You on {}", info.name);
    let frame = s.frame(&title, Some(&info.name), s.account(Some(session), here));
    let body = page(&MemberView {
        guild: info,
        session,
        rank: &rank,
        quests: &quests,
        achievements: &achievements,
        notice,
        hidden,
        styles: &styles,
        card: &card,
    });
    pages::layout(&frame, body).into_response()
}

async fn member_page(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let here = here(&uri);
    match member_context(&s, &headers, &guild).await {
        Ok((commands, session, info)) => {
            render_member(&s, &commands, &session, &info, None, &here).await
        }
        Err((session, r)) => refusal_page(&s, session.as_ref(), &here, &r),
    }
}

/// The member's rank card, drawn by `/rank` (the same renderer and styles).
async fn member_card(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match member_context(&s, &headers, &guild).await {
        Ok((commands, session, info)) => {
            let reply = run(&commands, &session, &info, "rank", None, Vec::new()).await;
            match reply.attachment {
                Some(a) => (
                    [
                        (header::CONTENT_TYPE, "image/png"),
                        (header::CACHE_CONTROL, "private, no-store"),
                    ],
                    a.bytes,
                )
                    .into_response(),
                None => refusal_page(&s, Some(&session), &here(&uri), &Refusal::NotFound),
            }
        }
        Err((session, r)) => refusal_page(&s, session.as_ref(), &here(&uri), &r),
    }
}

/// Everything stored about the member here (`/gdpr download`), as a JSON file.
async fn member_data(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match member_context(&s, &headers, &guild).await {
        Ok((commands, session, info)) => {
            let reply = run(
                &commands,
                &session,
                &info,
                "gdpr",
                Some("download"),
                Vec::new(),
            )
            .await;
            match reply.attachment {
                Some(a) => {
                    let disposition = format!("attachment; filename=\"{}\"", a.filename);
                    let mut res = (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CACHE_CONTROL, "private, no-store"),
                        ],
                        a.bytes,
                    )
                        .into_response();
                    if let Ok(v) = HeaderValue::from_str(&disposition) {
                        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                    }
                    res
                }
                None => {
                    render_member(&s, &commands, &session, &info, Some(&reply), &here(&uri)).await
                }
            }
        }
        Err((session, r)) => refusal_page(&s, session.as_ref(), &here(&uri), &r),
    }
}

#[derive(Deserialize)]
struct PrivacyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    show: String,
}

/// The privacy switch: `/privacy leaderboard show:on|off`.
async fn member_privacy(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PrivacyForm>,
) -> Response {
    let page = format!("/g/{guild}/me");
    match member_context(&s, &headers, &guild).await {
        Ok((commands, session, info)) => {
            if !auth::same_token(&session.csrf, &form.csrf) {
                return refusal_page(&s, Some(&session), &page, &Refusal::BadForm);
            }
            let reply = run(
                &commands,
                &session,
                &info,
                "privacy",
                Some("leaderboard"),
                vec![("show", OptionValue::String(form.show))],
            )
            .await;
            render_member(&s, &commands, &session, &info, Some(&reply), &page).await
        }
        Err((session, r)) => refusal_page(&s, session.as_ref(), &page, &r),
    }
}

#[derive(Deserialize)]
struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// Erasure: `/gdpr delete confirm:True` (without the box ticked, the command explains).
async fn member_erase(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    Form(form): Form<EraseForm>,
) -> Response {
    let page = format!("/g/{guild}/me");
    match member_context(&s, &headers, &guild).await {
        Ok((commands, session, info)) => {
            if !auth::same_token(&session.csrf, &form.csrf) {
                return refusal_page(&s, Some(&session), &page, &Refusal::BadForm);
            }
            let confirm = form.confirm.as_deref() == Some("true");
            let reply = run(
                &commands,
                &session,
                &info,
                "gdpr",
                Some("delete"),
                vec![("confirm", OptionValue::Boolean(confirm))],
            )
            .await;
            render_member(&s, &commands, &session, &info, Some(&reply), &page).await
        }
        Err((session, r)) => refusal_page(&s, session.as_ref(), &page, &r),
    }
}

#[derive(Deserialize)]
struct CardForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    style: String,
    #[serde(default)]
    color: String,
    #[serde(default)]
    part: String,
    #[serde(default)]
    url: String,
}

/// Card customisation: `/card style|color|background|reset`, run as the member.
async fn member_card_settings(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CardForm>,
) -> Response {
    let page_path = format!("/g/{guild}/me");
    let (commands, session, info) = match member_context(&s, &headers, &guild).await {
        Ok(c) => c,
        Err((session, r)) => return refusal_page(&s, session.as_ref(), &page_path, &r),
    };
    if !auth::same_token(&session.csrf, &form.csrf) {
        return refusal_page(&s, Some(&session), &page_path, &Refusal::BadForm);
    }
    let (sub, options): (&str, Vec<(&str, OptionValue)>) = match form.action.as_str() {
        "style" => ("style", vec![("name", OptionValue::String(form.style))]),
        "color" => (
            "color",
            vec![
                ("hex", OptionValue::String(form.color)),
                ("part", OptionValue::String(form.part)),
            ],
        ),
        "background" => ("background", vec![("url", OptionValue::String(form.url))]),
        "reset" => ("reset", Vec::new()),
        _ => {
            let reply = Reply::error("that form is out of date; reload the page");
            return render_member(&s, &commands, &session, &info, Some(&reply), &page_path).await;
        }
    };
    let reply = run(&commands, &session, &info, "card", Some(sub), options).await;
    render_member(&s, &commands, &session, &info, Some(&reply), &page_path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_become_words() {
        assert_eq!(
            plain_mentions("<@&12> at level 5, <#34>, <@56> and <@!78>; a < b, <@x>"),
            "role 12 at level 5, channel 34, member 56 and member 78; a < b, <@x>"
        );
    }

    #[test]
    fn discord_bold_becomes_strong_and_the_rest_is_escaped() {
        let html = reply_text("**alice** · rank #1\n<b>x</b> `code`").into_string();
        assert_eq!(
            html,
            "<div class=\"reply\"><strong>alice</strong> · rank #1<br>&lt;b&gt;x&lt;/b&gt; code</div>"
        );
    }
}
