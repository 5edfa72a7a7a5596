//! The HTML, written with maud: every interpolated value is escaped, so a member named
//! `<script>` is shown as text. The pages need no script; the style sheet is served by
//! this process (`/assets/app.css`), so nothing loads from elsewhere except avatars.

use maud::{DOCTYPE, Markup, html};

use super::board::{Board, BoardMember};

/// The style sheet, versioned by content so browsers may cache it for good.
pub const CSS: &str = include_str!("app.css");

/// `/assets/app.css?v=…`: changes whenever the style sheet does.
pub fn css_href() -> String {
    format!("/assets/app.css?v={:08x}", fnv1a(CSS.as_bytes()))
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// How the page is framed.
pub struct Frame<'a> {
    pub title: &'a str,
    /// Keep search engines away (every page but an opted-in public leaderboard).
    pub noindex: bool,
    /// Shown in the header next to the product name (the guild).
    pub context: Option<&'a str>,
    /// The console's local view: says so in the header.
    pub local: bool,
    /// The visitor's login, shown in the header.
    pub account: Account<'a>,
    /// The visitor manages the guild shown (links to its dashboard).
    pub manages: bool,
}

/// What the header offers about logging in.
#[derive(Clone, Copy)]
pub enum Account<'a> {
    /// No Discord login on this site (the console, or a bot without `[web] client_id`).
    Unavailable,
    /// Not logged in: a link to `/login` that comes back to `next`.
    LoggedOut { next: &'a str },
    /// Logged in: their name and the log-out form's CSRF token.
    LoggedIn { name: &'a str, csrf: &'a str },
}

/// `/login?next=<path>`.
pub fn login_href(next: &str) -> String {
    let query: String = next
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("/login?next={query}")
}

fn account(a: &Account<'_>) -> Markup {
    match a {
        Account::Unavailable => html! {},
        Account::LoggedOut { next } => html! {
            a.login href=(login_href(next)) { "Log in with Discord" }
        },
        Account::LoggedIn { name, csrf } => html! {
            form.account method="post" action="/logout" {
                span.sub { "Logged in as " strong { (name) } }
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Log out" }
            }
        },
    }
}

/// The page skeleton: landmarks (header, main, footer), a skip link, one `h1` per page.
pub fn layout(frame: &Frame<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if frame.noindex {
                    meta name="robots" content="noindex, nofollow";
                }
                meta name="color-scheme" content="light dark";
                title { (frame.title) " · Questline" }
                link rel="stylesheet" href=(css_href());
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    div.wrap {
                        span.brand { span.mark aria-hidden="true" { "◆" } " Questline" }
                        @if let Some(c) = frame.context {
                            span.context { (c) }
                        }
                        @if frame.local {
                            span.badge title="Served by questline console on this computer; read-only" { "local console" }
                        }
                        div.right { (account(&frame.account)) }
                    }
                }
                main #main.wrap tabindex="-1" { (body) }
                footer.site {
                    div.wrap { "Leveling by Questline · members who hide themselves with "
                        code { "/privacy leaderboard off" } " are not listed" }
                }
            }
        }
    }
}

/// The number with thousands separators (`12,345`).
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Initials for a member without an avatar (first letter of up to two words).
fn initials(name: &str) -> String {
    let mut out: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .collect();
    if out.is_empty() {
        out.push('?');
    }
    out.to_uppercase()
}

fn avatar(m: &BoardMember) -> Markup {
    match &m.avatar_url {
        Some(url) => html! { img.avatar src=(url) alt="" width="40" height="40" loading="lazy"; },
        None => {
            let hue = m.user_id % 12;
            html! { span class={"avatar initials hue-" (hue)} aria-hidden="true" { (initials(&m.name)) } }
        }
    }
}

fn progress(m: &BoardMember) -> Markup {
    match (m.xp_into_level, m.xp_for_level) {
        (Some(into), Some(span)) if span > 0 => {
            let label = format!(
                "{} of {} XP to level {}",
                grouped(into),
                grouped(span),
                m.level.saturating_add(1)
            );
            html! {
                div.progress {
                    progress max=(span) value=(into.clamp(0, span)) aria-label=(label) {}
                    span.sub { (grouped(into)) " / " (grouped(span)) }
                }
            }
        }
        _ => html! { span.sub { "—" } },
    }
}

/// Links to the other pages (`?page=N`), with the current page marked for screen readers.
fn pager(board: &Board, base: &str) -> Markup {
    let prev = board.page.checked_sub(1).filter(|p| *p >= 1);
    let next = Some(board.page + 1).filter(|p| *p <= board.pages);
    html! {
        nav.pager aria-label="Leaderboard pages" {
            @if let Some(p) = prev {
                a rel="prev" href={(base) "?page=" (p)} { "← Previous" }
            } @else {
                span.disabled aria-hidden="true" { "← Previous" }
            }
            span aria-current="page" { "Page " (board.page) " of " (board.pages) }
            @if let Some(p) = next {
                a rel="next" href={(base) "?page=" (p)} { "Next →" }
            } @else {
                span.disabled aria-hidden="true" { "Next →" }
            }
        }
    }
}

/// The leaderboard page.
pub fn leaderboard(board: &Board, frame: &Frame<'_>) -> Markup {
    let base = format!("/g/{}", board.guild.id);
    let body = html! {
        div.heading {
            h1 { "Leaderboard" }
            p.lede {
                (grouped(board.total)) " "
                @if board.total == 1 { "member" } @else { "members" }
                " ranked by XP on " strong { (board.guild.name) }
            }
        }
        div.columns {
            section.board aria-labelledby="board-caption" {
                @if board.members.is_empty() {
                    p.empty #board-caption { "Nobody has earned XP here yet. Say hello in the server and come back!" }
                } @else {
                    table {
                        caption #board-caption { "Members by XP, page " (board.page) " of " (board.pages) }
                        thead {
                            tr {
                                th scope="col" { "Rank" }
                                th scope="col" { "Member" }
                                th scope="col" class="num" { "Level" }
                                th scope="col" { "Progress" }
                                th scope="col" class="num" { "XP" }
                                th scope="col" class="num" { "Messages" }
                            }
                        }
                        tbody {
                            @for m in &board.members {
                                tr {
                                    td.rank { span class={"place p" (m.rank.min(4))} { "#" (m.rank) } }
                                    th scope="row" {
                                        span.member { (avatar(m)) span.name { (m.name) } }
                                    }
                                    td.num { (m.level) }
                                    td { (progress(m)) }
                                    td.num { (grouped(m.xp)) }
                                    td.num { (grouped(m.messages)) }
                                }
                            }
                        }
                    }
                    (pager(board, &base))
                }
            }
            aside.rewards aria-labelledby="rewards-title" {
                h2 #rewards-title { "Level rewards" }
                @if board.rewards.is_empty() {
                    p.sub { "No roles are given for levels on this server." }
                } @else {
                    ul {
                        @for r in &board.rewards {
                            li {
                                span.lvl { "Level " (r.level) }
                                @match &r.role_name {
                                    Some(n) => span.role { "@" (n) },
                                    None => span.role { "role " code { (r.role_id) } },
                                }
                                @if r.stacked { span.sub { " (kept)" } }
                            }
                        }
                    }
                }
                @if matches!(frame.account, Account::LoggedIn { .. }) {
                    p { a href={"/g/" (board.guild.id) "/me"} { "Your rank, quests and privacy →" } }
                }
                @if frame.manages {
                    p { a href={"/g/" (board.guild.id) "/admin"} { "Server settings →" } }
                }
                p.sub { "Also as JSON: " a href={"/api/v1/guilds/" (board.guild.id) "/leaderboard?page=" (board.page)} { "this page" } "." }
            }
        }
    };
    layout(frame, body)
}

/// A page that only says something (not found, login needed, an error), with its status
/// chosen by the caller.
pub fn message(frame: &Frame<'_>, heading: &str, text: &str, link: Option<(&str, &str)>) -> Markup {
    layout(
        frame,
        html! {
            div.notice {
                h1 { (heading) }
                p { (text) }
                @if let Some((href, label)) = link {
                    p { a href=(href) { (label) } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-45_000), "-45,000");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn initials_take_two_words_and_never_come_out_empty() {
        assert_eq!(initials("alice"), "A");
        assert_eq!(initials("Bob the builder"), "BT");
        assert_eq!(initials("  ★★ "), "?");
    }
}
