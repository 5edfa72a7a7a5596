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
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use crate::cards::styles::{available_styles, style_names};
use crate::commands::member::{
    AchievementStanding, QuestStanding, achievement_standings, quest_standings,
};
use crate::commands::types::{Attachment, OptionValue, Reply, Request};
use crate::commands::{Commands, MANAGE_GUILD};
use crate::db::{CardSettings, WebSession};
use crate::plugins::CallContext;

use super::auth;
use super::board::GuildInfo;
use super::labels::GuildLabels;
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

/// Discord's mentions as words: `<@&1>` → `@Regular` (or `role 1` when the name is
/// unknown), `<#2>` → `#general` (or `channel 2`), `<@3>` → `member 3`.
fn plain_mentions(text: &str, labels: &GuildLabels) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let (kind, skip) = if let Some(t) = tail.strip_prefix("<@&") {
            (Some(Mention::Role), t)
        } else if let Some(t) = tail.strip_prefix("<@!") {
            (Some(Mention::Member), t)
        } else if let Some(t) = tail.strip_prefix("<@") {
            (Some(Mention::Member), t)
        } else if let Some(t) = tail.strip_prefix("<#") {
            (Some(Mention::Channel), t)
        } else {
            (None, "")
        };
        let id = skip
            .find('>')
            .and_then(|end| Some((skip[..end].parse::<u64>().ok()?, end)));
        match (kind, id) {
            (Some(kind), Some((id, end))) => {
                out.push_str(&match kind {
                    Mention::Role => labels.role_text(id),
                    Mention::Channel => labels.channel_text(id),
                    Mention::Member => format!("member {id}"),
                });
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

enum Mention {
    Role,
    Channel,
    Member,
}

/// A command's answer, written for Discord, as HTML: `**bold**` becomes `<strong>`,
/// mentions become names, line breaks stay (everything else is escaped text).
pub fn reply_text(text: &str, labels: &GuildLabels) -> Markup {
    let text = plain_mentions(text, labels);
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
    /// What `/quests` and `/achievements` show (None: unreadable right now).
    pub quests: Option<&'a [QuestStanding]>,
    pub achievements: Option<&'a [AchievementStanding]>,
    /// Names for the guild's roles and channels in command answers.
    pub labels: &'a GuildLabels,
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

/// The member's quests with their progress and time left, as `/quests` lists them.
fn quest_list(quests: Option<&[QuestStanding]>) -> Markup {
    let Some(quests) = quests else {
        return html! { p.sub { "Your quests cannot be read right now; reload the page in a moment." } };
    };
    html! {
        @if quests.is_empty() {
            p.sub { "No active quests right now; new ones arrive at the next reset." }
        } @else {
            ul.items {
                @for q in quests {
                    li {
                        div.item-head {
                            strong { (q.name) }
                            span.sub { (q.reward_xp) " XP · " (q.cycle) }
                        }
                        @if !q.description.is_empty() { p.sub { (q.description) } }
                        div.progress {
                            progress max=(q.target.max(1)) value=(q.progress) aria-label={(q.name) ": " (q.progress) " of " (q.target)} {}
                            span.sub {
                                (q.progress) " / " (q.target) " · "
                                @if q.done { strong { "done" } } @else { (q.time_left()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The guild's achievements, earned ones first with their date, then the rest.
fn achievement_list(list: Option<&[AchievementStanding]>) -> Markup {
    let Some(list) = list else {
        return html! { p.sub { "Your achievements cannot be read right now; reload the page in a moment." } };
    };
    let earned = list.iter().filter(|a| a.earned_at.is_some()).count();
    let ordered = list
        .iter()
        .filter(|a| a.earned_at.is_some())
        .chain(list.iter().filter(|a| a.earned_at.is_none()));
    html! {
        @if list.is_empty() {
            p.sub { "This server has no achievements yet." }
        } @else {
            p.sub { (earned) " of " (list.len()) " earned" }
            ul.items {
                @for s in ordered {
                    li.earned[s.earned_at.is_some()] {
                        div.item-head {
                            strong { (s.achievement.name) }
                            span.sub {
                                "+" (s.achievement.reward_xp) " XP"
                                @if let Some(url) = &s.achievement.badge_url {
                                    // A link, not an image: pages load nothing from other sites
                                    // but Discord's avatars.
                                    " · " a href=(url) rel="noopener noreferrer" { "badge" }
                                }
                            }
                        }
                        @if !s.achievement.description.is_empty() { p.sub { (s.achievement.description) } }
                        p.sub {
                            @match s.earned_at {
                                Some(at) => { "Earned " time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d")) } }
                                None => { "Not earned yet" }
                            }
                        }
                    }
                }
            }
        }
    }
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
            div.flash role="status" { (reply_text(&n.text(), v.labels)) }
        }
        div.columns {
            div.stack {
                section.panel aria-labelledby="rank-title" {
                    h2 #rank-title { "Rank" }
                    @if let Some(card) = &v.rank.attachment {
                        // Inline: the page's own `/rank` run drew it; a second URL would draw it again.
                        img.card src={"data:image/png;base64," (BASE64.encode(&card.bytes))} alt={"Rank card: " (v.rank.content.replace("**", ""))} width="934" height="282";
                    }
                    (reply_text(&v.rank.content, v.labels))
                }
                section.panel aria-labelledby="quests-title" {
                    h2 #quests-title { "Quests" }
                    (quest_list(v.quests))
                }
                section.panel aria-labelledby="achievements-title" {
                    h2 #achievements-title { "Achievements" }
                    (achievement_list(v.achievements))
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
        .route("/g/{guild}/me/data.json", get(member_data))
        .route("/g/{guild}/me/privacy", post(member_privacy))
        .route("/g/{guild}/me/erase", post(member_erase))
        .route("/g/{guild}/me/card", post(member_card_settings))
}

/// A logged-in member on one of their guild's pages: what every member and dashboard
/// handler works with.
pub(super) struct Visit {
    pub commands: Commands,
    pub session: WebSession,
    pub guild: GuildInfo,
}

impl Visit {
    /// Runs a slash command as the visitor.
    pub async fn run(
        &self,
        name: &str,
        subcommand: Option<&str>,
        options: Vec<(&str, OptionValue)>,
    ) -> Reply {
        run(
            &self.commands,
            &self.session,
            &self.guild,
            name,
            subcommand,
            options,
        )
        .await
    }
}

/// The member page's preconditions: the commands, a logged-in visitor who is a member of a
/// guild this bot is in. Returns the visit, or why not.
pub(super) async fn member_context(
    s: &WebSources,
    headers: &HeaderMap,
    guild: &str,
) -> Result<Visit, (Option<WebSession>, Refusal)> {
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
    Ok(Visit {
        commands,
        session,
        guild: info,
    })
}

/// [`member_context`] for a form: also the session's CSRF token. Err is the refusal page.
async fn member_form(
    s: &WebSources,
    headers: &HeaderMap,
    guild: &str,
    csrf: &str,
) -> Result<Visit, Response> {
    let page = format!("/g/{guild}/me");
    let v = member_context(s, headers, guild)
        .await
        .map_err(|(session, r)| refusal_page(s, session.as_ref(), &page, &r))?;
    if !auth::same_token(&v.session.csrf, csrf) {
        return Err(refusal_page(s, Some(&v.session), &page, &Refusal::BadForm));
    }
    Ok(v)
}

/// An attachment a command made (a data download, an export), as a file download.
pub(super) fn file_download(a: Attachment) -> Response {
    let mut res = (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        a.bytes,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", a.filename)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

pub(super) async fn render_member(s: &WebSources, v: &Visit, notice: Option<&Reply>) -> Response {
    let (session, info) = (&v.session, &v.guild);
    let here = format!("/g/{}/me", info.id);
    let rank = v.run("rank", None, Vec::new()).await;
    let (quests, achievements, labels) = tokio::join!(
        quest_standings(&v.commands, info.id, session.user_id),
        achievement_standings(&v.commands, info.id, session.user_id),
        GuildLabels::load(Some(&v.commands), info.id),
    );
    let readable = |what: &str, e: &crate::commands::types::CommandError| {
        tracing::warn!(guild = info.id, error = %e, "member page: {what} unreadable");
    };
    let quests = quests.inspect_err(|e| readable("quests", e)).ok();
    let achievements = achievements
        .inspect_err(|e| readable("achievements", e))
        .ok();
    let stored = async {
        let level = s.db.get_user_level(info.id, session.user_id).await?;
        let card = s.db.get_card_settings(info.id, session.user_id).await?;
        Ok::<_, crate::db::DbError>((level.is_some_and(|r| r.hidden), card.unwrap_or_default()))
    };
    let (hidden, card) = match stored.await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "member page: stored settings unreadable");
            return refusal_page(s, Some(session), &here, &Refusal::Unavailable);
        }
    };
    let host = v.commands.plugins.clone();
    let ctx = CallContext::new(info.id, chrono::Utc::now().timestamp_millis(), 0);
    let styles = tokio::task::spawn_blocking(move || style_names(&available_styles(&host, &ctx)))
        .await
        .unwrap_or_default();
    let title = format!("You on {}", info.name);
    let frame = s.frame(&title, Some(&info.name), s.account(Some(session), &here));
    let body = page(&MemberView {
        guild: info,
        session,
        rank: &rank,
        quests: quests.as_deref(),
        achievements: achievements.as_deref(),
        labels: &labels,
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
    match member_context(&s, &headers, &guild).await {
        Ok(v) => render_member(&s, &v, None).await,
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
        Ok(v) => {
            let reply = v.run("gdpr", Some("download"), Vec::new()).await;
            match reply.attachment {
                Some(a) => file_download(a),
                None => render_member(&s, &v, Some(&reply)).await,
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

/// A subcommand and its options, or the answer to a form that names no known action.
type FormCommand<'a> = Result<(&'a str, Vec<(&'a str, OptionValue)>), Reply>;

/// A member form's command, `/name sub options` (or the form's own error), run as the
/// member after the form guard, and the page again with its answer.
async fn answer_form(
    s: &WebSources,
    headers: &HeaderMap,
    guild: &str,
    csrf: &str,
    name: &str,
    command: FormCommand<'_>,
) -> Response {
    let v = match member_form(s, headers, guild, csrf).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let reply = match command {
        Ok((sub, options)) => v.run(name, Some(sub), options).await,
        Err(reply) => reply,
    };
    render_member(s, &v, Some(&reply)).await
}

/// The privacy switch: `/privacy leaderboard show:on|off`.
async fn member_privacy(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PrivacyForm>,
) -> Response {
    let show = vec![("show", OptionValue::String(form.show))];
    answer_form(
        &s,
        &headers,
        &guild,
        &form.csrf,
        "privacy",
        Ok(("leaderboard", show)),
    )
    .await
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
    let confirm = OptionValue::Boolean(form.confirm.as_deref() == Some("true"));
    let command = Ok(("delete", vec![("confirm", confirm)]));
    answer_form(&s, &headers, &guild, &form.csrf, "gdpr", command).await
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
    let command = match form.action.as_str() {
        "style" => Ok(("style", vec![("name", OptionValue::String(form.style))])),
        "color" => Ok((
            "color",
            vec![
                ("hex", OptionValue::String(form.color)),
                ("part", OptionValue::String(form.part)),
            ],
        )),
        "background" => Ok(("background", vec![("url", OptionValue::String(form.url))])),
        "reset" => Ok(("reset", Vec::new())),
        _ => Err(Reply::error("that form is out of date; reload the page")),
    };
    answer_form(&s, &headers, &guild, &form.csrf, "card", command).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_become_words() {
        let unknown = GuildLabels::default();
        assert_eq!(
            plain_mentions(
                "<@&12> at level 5, <#34>, <@56> and <@!78>; a < b, <@x>",
                &unknown
            ),
            "role 12 at level 5, channel 34, member 56 and member 78; a < b, <@x>"
        );
        let known = GuildLabels {
            channels: Some(vec![crate::commands::GuildChannel {
                id: 34,
                name: "level-ups".into(),
                kind: crate::commands::ChannelKind::Text,
            }]),
            roles: Some(vec![crate::commands::GuildRole {
                id: 12,
                name: "Regular".into(),
                assignable: true,
            }]),
        };
        assert_eq!(
            plain_mentions("<@&12> in <#34>, <@&99>", &known),
            "@Regular in #level-ups, role 99"
        );
    }

    #[test]
    fn discord_bold_becomes_strong_and_the_rest_is_escaped() {
        let html = reply_text(
            "**alice** · rank #1\n<b>x</b> `code`",
            &GuildLabels::default(),
        )
        .into_string();
        assert_eq!(
            html,
            "<div class=\"reply\"><strong>alice</strong> · rank #1<br>&lt;b&gt;x&lt;/b&gt; code</div>"
        );
    }
}
