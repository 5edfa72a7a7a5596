//! The web server (axum): routes, the viewer of each request, security headers, and
//! start/stop like the observe endpoint.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::Markup;
use serde::Deserialize;

use super::access::{self, Access, Viewer};
use super::admin;
use super::auth::{self, Login};
use super::board::{self, BoardError, GuildInfo};
use super::labels::GuildLabels;
use super::login;
use super::member;
use super::pages::{self, Account, Frame};
use crate::db::{Db, LeaderboardVisibility, WebSession};
use crate::engine::Pipeline;

/// The names of the guilds a bot is in (from the gateway): a guild the bot is not in has
/// no pages.
pub trait GuildNames: Send + Sync {
    fn guild_name(&self, guild: u64) -> Option<String>;
}

/// Whether a member manages a guild now, asked of Discord before every dashboard change.
pub trait ManagerCheck: Send + Sync {
    fn is_manager(
        &self,
        guild: u64,
        user: u64,
    ) -> futures::future::BoxFuture<'_, Result<bool, String>>;
}

/// Which guilds the server shows, and to whom.
#[derive(Clone)]
pub enum Scope {
    /// `questline console --web`: the console's one guild, to the operator, read-only.
    Local { guild: u64, name: String },
    /// The bot: every guild it is in.
    Bot { guilds: Arc<dyn GuildNames> },
}

/// What the pages read from.
#[derive(Clone)]
pub struct WebSources {
    pub db: Db,
    /// Level tables for progress bars (none: pages show no progress).
    pub pipeline: Option<Arc<Pipeline>>,
    pub scope: Scope,
    /// Discord login (the bot with `[web] client_id`); none: every visitor is anonymous.
    pub login: Option<Login>,
    /// The slash commands, which the member page and the dashboard run as the logged-in
    /// member (the bot); none: no member page and no dashboard.
    pub commands: Option<crate::commands::Commands>,
    /// The live check of Manage Server behind every dashboard change (the bot); none: no
    /// dashboard.
    pub managers: Option<Arc<dyn ManagerCheck>>,
}

/// A running web server. Call [`WebServer::stop`] to end it.
pub type WebServer = crate::serve::Served;

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(
        "cannot serve the web pages on {addr}: {source}; choose a free address with [web] listen (or QUESTLINE_WEB_LISTEN)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "the console serves its web pages on a loopback address only (127.0.0.1 or [::1]), not {addr}: they have no login"
    )]
    NotLoopback { addr: SocketAddr },
}

/// Binds `addr` and serves in a background task (call inside a tokio runtime). A local
/// scope (no login) is refused anywhere but a loopback address.
pub async fn start(addr: SocketAddr, sources: WebSources) -> Result<WebServer, WebError> {
    if matches!(sources.scope, Scope::Local { .. }) && !addr.ip().is_loopback() {
        return Err(WebError::NotLoopback { addr });
    }
    let purge = sources.login.is_some().then(|| sources.db.clone());
    let served = crate::serve::Served::start(addr, router(sources), "the web pages")
        .await
        .map_err(|source| WebError::Bind { addr, source })?;
    Ok(match purge {
        Some(db) => served.with_companion(tokio::spawn(purge_sessions(db))),
        None => served,
    })
}

/// Deletes expired sessions and abandoned logins hourly while the server runs.
async fn purge_sessions(db: Db) {
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(3_600));
    loop {
        ticker.tick().await;
        match db.purge_web_sessions(now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "expired web sessions deleted"),
            Err(e) => {
                tracing::warn!(error = %e, "expired web sessions not deleted; retried in an hour")
            }
        }
    }
}

pub(super) type Shared = Arc<WebSources>;

/// The routes (public so tests can drive it without a socket).
pub fn router(sources: WebSources) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/g/{guild}", get(leaderboard_page))
        .route("/api/v1/guilds/{guild}/leaderboard", get(leaderboard_api))
        .route("/assets/app.css", get(css))
        .merge(member::routes())
        .merge(admin::routes())
        .merge(login::routes())
        .fallback(not_found)
        .with_state(Arc::new(sources))
        .layer(axum::middleware::map_response(security_headers))
}

/// Headers on every answer: no framing, no sniffing, a content security policy that lets
/// pages load only this server's style sheet and Discord's avatars.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data: https://cdn.discordapp.com; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl WebSources {
    pub(super) fn local(&self) -> bool {
        matches!(self.scope, Scope::Local { .. })
    }

    /// The logged-in visitor of a request, if any. A missing, tampered or expired cookie
    /// is simply no session.
    pub(super) async fn session(&self, headers: &HeaderMap) -> Option<WebSession> {
        self.login.as_ref()?;
        let cookie = auth::session_cookie(headers)?;
        match self.db.web_session(&auth::hash(&cookie), now_ms()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "web session unreadable; the visitor counts as logged out");
                None
            }
        }
    }

    /// Who is asking about `guild`.
    pub(super) fn viewer(&self, session: Option<&WebSession>, guild: u64) -> Viewer {
        if self.local() {
            return Viewer::Local;
        }
        match session {
            Some(s) => {
                let (member, manager) = s.standing(guild);
                Viewer::Discord { member, manager }
            }
            None => Viewer::Anonymous,
        }
    }

    /// The guild, if this server shows it.
    pub(super) fn guild(&self, id: &str) -> Option<GuildInfo> {
        let id: u64 = id.parse().ok().filter(|id| *id > 0)?;
        match &self.scope {
            Scope::Local { guild, name } => (*guild == id).then(|| GuildInfo {
                id,
                name: name.clone(),
            }),
            Scope::Bot { guilds } => guilds.guild_name(id).map(|name| GuildInfo { id, name }),
        }
    }

    pub(super) fn account<'a>(
        &self,
        session: Option<&'a WebSession>,
        here: &'a str,
    ) -> Account<'a> {
        match (&self.login, session) {
            (None, _) => Account::Unavailable,
            (Some(_), Some(s)) => Account::LoggedIn {
                name: &s.user_name,
                csrf: &s.csrf,
            },
            (Some(_), None) => Account::LoggedOut { next: here },
        }
    }

    pub(super) fn frame<'a>(
        &self,
        title: &'a str,
        context: Option<&'a str>,
        account: Account<'a>,
    ) -> Frame<'a> {
        Frame {
            title,
            noindex: true,
            context,
            local: self.local(),
            account,
            manages: false,
        }
    }
}

/// Why a board is not shown, for both the page and the API.
pub(super) enum Refusal {
    NotFound,
    BadPage(String),
    NoSuchPage {
        page: u64,
        last: u64,
    },
    LoginRequired,
    Denied,
    Unavailable,
    /// `/login` on a site without Discord login.
    NoLogin,
    /// A `state` that was used already, expired or never issued.
    StaleLogin,
    /// The visitor said no on Discord's page.
    LoginCancelled,
    /// Discord refused the code or could not say who the visitor is.
    LoginFailed(String),
    /// A form without this session's CSRF token (or without a session).
    BadForm,
    /// Discord says the visitor does not manage the server (any more).
    NotManager,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::NoSuchPage { .. } | Self::NoLogin => StatusCode::NOT_FOUND,
            Self::BadPage(_) | Self::StaleLogin | Self::LoginCancelled => StatusCode::BAD_REQUEST,
            Self::LoginFailed(_) => StatusCode::BAD_GATEWAY,
            Self::BadForm | Self::NotManager => StatusCode::FORBIDDEN,
            Self::LoginRequired => StatusCode::UNAUTHORIZED,
            Self::Denied => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// (heading, explanation that says what to do).
    fn text(&self) -> (&'static str, String) {
        match self {
            Self::NotFound => (
                "No leaderboard here",
                "This server has no web leaderboard, or Questline is not in it. Check the link, or ask the server's admins.".into(),
            ),
            Self::BadPage(raw) => (
                "That is not a page number",
                format!("`{raw}` is not a page number: use ?page=1, ?page=2, …"),
            ),
            Self::NoSuchPage { page, last } => (
                "No such page",
                format!("Page {page} does not exist: this leaderboard has {last} page{}.", if *last == 1 { "" } else { "s" }),
            ),
            Self::LoginRequired => (
                "This leaderboard is not public",
                "Its admins show it to members of the server only: log in with Discord to see it.".into(),
            ),
            Self::NoLogin => (
                "No login here",
                "This bot's operator has not set up Discord login for its web pages.".into(),
            ),
            Self::StaleLogin => (
                "That login link has expired",
                "It was used already or is more than ten minutes old. Log in again.".into(),
            ),
            Self::LoginCancelled => (
                "Login cancelled",
                "Discord did not log you in. You can try again whenever you like.".into(),
            ),
            Self::LoginFailed(why) => ("Login failed", why.clone()),
            Self::NotManager => (
                "Only the server's managers may change this",
                "Discord says you do not have Manage Server (or Administrator) on this server now. If that changed recently, log out and in again.".into(),
            ),
            Self::BadForm => (
                "That form has expired",
                "The page it came from is out of date (or you logged out meanwhile). Reload the page and try again.".into(),
            ),
            Self::Denied => (
                "Not for you, sorry",
                "This leaderboard is shown to some members of the server only.".into(),
            ),
            Self::Unavailable => (
                "The leaderboard cannot be read right now",
                "The bot's database did not answer. Try again in a minute; if it lasts, tell the bot's operator.".into(),
            ),
        }
    }
}

#[derive(Deserialize)]
struct PageParam {
    page: Option<String>,
}

fn page_number(p: &PageParam) -> Result<u64, Refusal> {
    match p.page.as_deref().map(str::trim) {
        None | Some("") => Ok(1),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Refusal::BadPage(raw.chars().take(20).collect())),
    }
}

/// The guild's board page `page`, if the viewer may see it; `(board, indexable)`.
async fn board_for(
    s: &WebSources,
    session: Option<&WebSession>,
    guild: &str,
    page: &PageParam,
) -> Result<(board::Board, bool), Refusal> {
    let info = s.guild(guild).ok_or(Refusal::NotFound)?;
    let cfg = s.db.get_server_config(info.id).await.map_err(|e| {
        tracing::warn!(guild = info.id, error = %e, "web leaderboard: settings unreadable");
        Refusal::Unavailable
    })?;
    let visibility = LeaderboardVisibility::of(&cfg);
    match access::leaderboard(visibility, s.viewer(session, info.id)) {
        Access::Granted => {}
        Access::LoginRequired => return Err(Refusal::LoginRequired),
        Access::Denied => return Err(Refusal::Denied),
        Access::Hidden => return Err(Refusal::NotFound),
    }
    let page = page_number(page)?;
    let indexable =
        !s.local() && visibility == LeaderboardVisibility::Public && cfg.leaderboard_indexable;
    match board::load(&s.db, s.pipeline.as_ref(), info, page).await {
        Ok(mut b) => {
            if !b.rewards.is_empty() {
                let labels = GuildLabels::load(s.commands.as_ref(), b.guild.id).await;
                for r in &mut b.rewards {
                    r.role_name = r
                        .role_id
                        .parse()
                        .ok()
                        .and_then(|id| labels.role(id))
                        .map(str::to_string);
                }
            }
            Ok((b, indexable))
        }
        Err(BoardError::NoSuchPage { page, last }) => Err(Refusal::NoSuchPage { page, last }),
        Err(BoardError::Db(e)) => {
            tracing::warn!(error = %e, "web leaderboard: database read failed");
            Err(Refusal::Unavailable)
        }
    }
}

pub(super) fn refusal_page(
    s: &WebSources,
    session: Option<&WebSession>,
    here: &str,
    r: &Refusal,
) -> Response {
    let (heading, text) = r.text();
    let login = pages::login_href(here);
    let link = match r {
        Refusal::BadPage(_) | Refusal::NoSuchPage { .. } => Some(("?page=1", "Go to page 1")),
        Refusal::LoginRequired if s.login.is_some() => {
            Some((login.as_str(), "Log in with Discord"))
        }
        Refusal::StaleLogin | Refusal::LoginCancelled | Refusal::LoginFailed(_) => {
            Some(("/login", "Log in with Discord"))
        }
        _ => None,
    };
    let frame = s.frame(heading, None, s.account(session, here));
    let markup: Markup = pages::message(&frame, heading, &text, link);
    (r.status(), markup).into_response()
}

/// Adds `Server-Timing: app;dur=<ms>`: the time the answer took inside this process
/// (browsers' developer tools show it; the web benchmark reads it).
fn timed(mut res: Response, started: Instant) -> Response {
    let ms = started.elapsed().as_secs_f64() * 1_000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.3}")) {
        res.headers_mut().insert("server-timing", v);
    }
    res
}

pub(super) fn here(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string())
}

async fn leaderboard_page(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    Query(page): Query<PageParam>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let started = Instant::now();
    let session = s.session(&headers).await;
    let here = here(&uri);
    let res = match board_for(&s, session.as_ref(), &guild, &page).await {
        Ok((board, indexable)) => {
            let title = format!("{} leaderboard", board.guild.name);
            let manages = s.managers.is_some()
                && session
                    .as_ref()
                    .is_some_and(|sess| sess.standing(board.guild.id).1);
            let frame = Frame {
                noindex: !indexable,
                manages,
                ..s.frame(
                    &title,
                    Some(&board.guild.name),
                    s.account(session.as_ref(), &here),
                )
            };
            pages::leaderboard(&board, &frame).into_response()
        }
        Err(r) => refusal_page(&s, session.as_ref(), &here, &r),
    };
    timed(res, started)
}

async fn leaderboard_api(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    Query(page): Query<PageParam>,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let session = s.session(&headers).await;
    let res = match board_for(&s, session.as_ref(), &guild, &page).await {
        Ok((board, _)) => axum::Json(board).into_response(),
        Err(r) => {
            let (_, text) = r.text();
            (r.status(), axum::Json(serde_json::json!({ "error": text }))).into_response()
        }
    };
    timed(res, started)
}

async fn index(State(s): State<Shared>, headers: HeaderMap) -> Response {
    match &s.scope {
        Scope::Local { guild, .. } => Redirect::to(&format!("/g/{guild}")).into_response(),
        Scope::Bot { .. } => {
            let session = s.session(&headers).await;
            let frame = s.frame("Leaderboards", None, s.account(session.as_ref(), "/"));
            pages::message(
                &frame,
                "Questline leaderboards",
                "Each server's leaderboard is at /g/ followed by the server's id. Server admins choose who may see it with /config set leaderboard_visibility.",
                None,
            )
            .into_response()
        }
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            // The link carries a content hash, so a cached copy is never stale.
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        pages::CSS,
    )
        .into_response()
}

async fn not_found(State(s): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let session = s.session(&headers).await;
    refusal_page(&s, session.as_ref(), &here(&uri), &Refusal::NotFound)
}
