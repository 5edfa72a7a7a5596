//! The web server (axum): routes, the viewer of each request, security headers, and
//! start/stop like the observe endpoint.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use serde::Deserialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::access::{self, Access, Viewer};
use super::admin;
use super::auth::{self, Login};
use super::board::{self, BoardError, GuildInfo};
use super::member::{self, MemberView};
use super::pages::{self, Account, Frame};
use crate::commands::Commands;
use crate::commands::types::{OptionValue, Reply};
use crate::db::{Db, LeaderboardVisibility, PendingLogin, WebSession};
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
#[derive(Debug)]
pub struct WebServer {
    /// The bound address (useful when `listen` used port 0).
    pub local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl WebServer {
    /// Stops accepting connections and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

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
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| WebError::Bind { addr, source })?;
    // Expired sessions and abandoned logins are deleted hourly.
    let purge = sources.login.as_ref().map(|_| {
        let db = sources.db.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(std::time::Duration::from_secs(3_600));
            loop {
                ticker.tick().await;
                match db.purge_web_sessions(now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(rows = n, "expired web sessions deleted"),
                    Err(e) => tracing::warn!(error = %e, "expired web sessions not deleted; retried in an hour"),
                }
            }
        })
    });
    let app = router(sources);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "web server stopped");
        }
        if let Some(p) = purge {
            p.abort();
        }
    });
    tracing::info!(%local_addr, "serving the web pages");
    Ok(WebServer {
        local_addr,
        stop: Some(tx),
        task,
    })
}

type Shared = Arc<WebSources>;

/// The routes (public so tests can drive it without a socket).
pub fn router(sources: WebSources) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/g/{guild}", get(leaderboard_page))
        .route("/api/v1/guilds/{guild}/leaderboard", get(leaderboard_api))
        .route("/assets/app.css", get(css))
        .route("/g/{guild}/me", get(member_page))
        .route("/g/{guild}/me/card.png", get(member_card))
        .route("/g/{guild}/me/data.json", get(member_data))
        .route("/g/{guild}/me/privacy", post(member_privacy))
        .route("/g/{guild}/me/erase", post(member_erase))
        .route("/g/{guild}/admin", get(admin_page))
        .route("/g/{guild}/admin/config", post(admin_config))
        .route("/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/logout", post(logout))
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
            "default-src 'none'; style-src 'self'; img-src 'self' https://cdn.discordapp.com; \
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

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl WebSources {
    fn local(&self) -> bool {
        matches!(self.scope, Scope::Local { .. })
    }

    /// The logged-in visitor of a request, if any. A missing, tampered or expired cookie
    /// is simply no session.
    async fn session(&self, headers: &HeaderMap) -> Option<WebSession> {
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
    fn viewer(&self, session: Option<&WebSession>, guild: u64) -> Viewer {
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
    fn guild(&self, id: &str) -> Option<GuildInfo> {
        let id: u64 = id.parse().ok().filter(|id| *id > 0)?;
        match &self.scope {
            Scope::Local { guild, name } => (*guild == id).then(|| GuildInfo {
                id,
                name: name.clone(),
            }),
            Scope::Bot { guilds } => guilds.guild_name(id).map(|name| GuildInfo { id, name }),
        }
    }

    fn account<'a>(&self, session: Option<&'a WebSession>, here: &'a str) -> Account<'a> {
        match (&self.login, session) {
            (None, _) => Account::Unavailable,
            (Some(_), Some(s)) => Account::LoggedIn {
                name: &s.user_name,
                csrf: &s.csrf,
            },
            (Some(_), None) => Account::LoggedOut { next: here },
        }
    }

    fn frame<'a>(
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
enum Refusal {
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
        Ok(b) => Ok((b, indexable)),
        Err(BoardError::NoSuchPage { page, last }) => Err(Refusal::NoSuchPage { page, last }),
        Err(BoardError::Db(e)) => {
            tracing::warn!(error = %e, "web leaderboard: database read failed");
            Err(Refusal::Unavailable)
        }
    }
}

fn refusal_page(s: &WebSources, session: Option<&WebSession>, here: &str, r: &Refusal) -> Response {
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

fn here(uri: &Uri) -> String {
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

#[derive(Deserialize)]
struct LoginParams {
    next: Option<String>,
}

/// `/login?next=PATH`: remembers the login and sends the visitor to Discord.
async fn login(State(s): State<Shared>, Query(q): Query<LoginParams>, uri: Uri) -> Response {
    let Some(login) = &s.login else {
        return refusal_page(&s, None, &here(&uri), &Refusal::NoLogin);
    };
    let state = auth::random_token();
    let verifier = auth::random_token();
    let pending = PendingLogin {
        verifier: verifier.clone(),
        next_path: auth::safe_next(q.next.as_deref()),
    };
    let expires = now_ms() + auth::LOGIN_TTL.as_millis() as i64;
    if let Err(e) =
        s.db.start_web_login(&auth::hash(&state), &pending, expires)
            .await
    {
        tracing::warn!(error = %e, "web login not started");
        return refusal_page(&s, None, "/", &Refusal::Unavailable);
    }
    Redirect::to(&login.authorize_url(&state, &verifier)).into_response()
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `/auth/callback`: Discord sent the visitor back; make them a session.
async fn callback(State(s): State<Shared>, Query(q): Query<CallbackParams>) -> Response {
    let Some(login) = &s.login else {
        return refusal_page(&s, None, "/", &Refusal::NoLogin);
    };
    let Some(state) = q
        .state
        .as_deref()
        .filter(|v| !v.is_empty() && v.len() <= 128)
    else {
        return refusal_page(&s, None, "/", &Refusal::StaleLogin);
    };
    // Taken (deleted) first: a `state` is good once, even if what follows fails.
    let pending = match s.db.take_web_login(&auth::hash(state), now_ms()).await {
        Ok(Some(p)) => p,
        Ok(None) => return refusal_page(&s, None, "/", &Refusal::StaleLogin),
        Err(e) => {
            tracing::warn!(error = %e, "web login unreadable");
            return refusal_page(&s, None, "/", &Refusal::Unavailable);
        }
    };
    if q.error.is_some() {
        return refusal_page(&s, None, "/", &Refusal::LoginCancelled);
    }
    let Some(code) = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 512)
    else {
        return refusal_page(&s, None, "/", &Refusal::StaleLogin);
    };
    let identity = match login.exchange(code, &pending.verifier).await {
        Ok(token) => login.identity(&token).await,
        Err(e) => Err(e),
    };
    let identity = match identity {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "web login failed");
            return refusal_page(&s, None, "/", &Refusal::LoginFailed(e.to_string()));
        }
    };
    let cookie = auth::random_token();
    let now = now_ms();
    let session = WebSession {
        user_id: identity.user_id,
        user_name: identity.name,
        avatar: identity.avatar,
        guilds: identity.guilds,
        csrf: auth::random_token(),
        expires_at_ms: now + i64::try_from(login.session_ttl.as_millis()).unwrap_or(i64::MAX / 2),
    };
    if let Err(e) =
        s.db.create_web_session(&auth::hash(&cookie), &session, now)
            .await
    {
        tracing::warn!(error = %e, "web session not stored");
        return refusal_page(&s, None, "/", &Refusal::Unavailable);
    }
    tracing::info!(
        user = session.user_id,
        guilds = session.guilds.len(),
        "web login"
    );
    let mut res = Redirect::to(&pending.next_path).into_response();
    if let Ok(v) = HeaderValue::from_str(&login.set_cookie(&cookie)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout` with the session's CSRF token.
async fn logout(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(login) = &s.login else {
        return refusal_page(&s, None, "/", &Refusal::NoLogin);
    };
    let session = s.session(&headers).await;
    let Some(session) = session.filter(|sess| auth::same_token(&sess.csrf, &form.csrf)) else {
        return refusal_page(&s, None, "/", &Refusal::BadForm);
    };
    if let Some(cookie) = auth::session_cookie(&headers)
        && let Err(e) = s.db.end_web_session(&auth::hash(&cookie)).await
    {
        tracing::warn!(user = session.user_id, error = %e, "web session not ended");
        return refusal_page(&s, None, "/", &Refusal::Unavailable);
    }
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&login.clear_cookie()) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// The member page's preconditions: the commands, a logged-in visitor who is a member of a
/// guild this bot is in. Returns what the handlers need, or why not.
async fn member_context(
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

async fn render_member(
    s: &WebSources,
    commands: &Commands,
    session: &WebSession,
    info: &GuildInfo,
    notice: Option<&Reply>,
    here: &str,
) -> Response {
    let none = Vec::new;
    let rank = member::run(commands, session, info, "rank", None, none()).await;
    let quests = member::run(commands, session, info, "quests", None, none()).await;
    let achievements = member::run(commands, session, info, "achievements", None, none()).await;
    let hidden = match s.db.get_user_level(info.id, session.user_id).await {
        Ok(row) => row.is_some_and(|r| r.hidden),
        Err(e) => {
            tracing::warn!(error = %e, "member page: privacy state unreadable");
            return refusal_page(s, Some(session), here, &Refusal::Unavailable);
        }
    };
    let title = format!("You on {}", info.name);
    let frame = s.frame(&title, Some(&info.name), s.account(Some(session), here));
    let body = member::page(&MemberView {
        guild: info,
        session,
        rank: &rank,
        quests: &quests,
        achievements: &achievements,
        notice,
        hidden,
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
            let reply = member::run(&commands, &session, &info, "rank", None, Vec::new()).await;
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
            let reply = member::run(
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
            let reply = member::run(
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
            let reply = member::run(
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

/// The dashboard's preconditions: a logged-in visitor whose login says they manage the
/// guild (changes check Discord again, [`admin_config`]).
async fn admin_context(
    s: &WebSources,
    headers: &HeaderMap,
    guild: &str,
) -> Result<(Commands, WebSession, GuildInfo), (Option<WebSession>, Refusal)> {
    if s.managers.is_none() {
        return Err((s.session(headers).await, Refusal::NotFound));
    }
    let (commands, session, info) = member_context(s, headers, guild).await?;
    if !session.standing(info.id).1 {
        return Err((Some(session), Refusal::NotManager));
    }
    Ok((commands, session, info))
}

async fn render_admin(
    s: &WebSources,
    session: &WebSession,
    info: &GuildInfo,
    notice: Option<&Reply>,
    here: &str,
) -> Response {
    let cfg = match s.db.get_server_config(info.id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "dashboard: settings unreadable");
            return refusal_page(s, Some(session), here, &Refusal::Unavailable);
        }
    };
    let title = format!("Settings of {}", info.name);
    let frame = s.frame(&title, Some(&info.name), s.account(Some(session), here));
    pages::layout(&frame, admin::page(info, session, &cfg, notice)).into_response()
}

async fn admin_page(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let here = here(&uri);
    match admin_context(&s, &headers, &guild).await {
        Ok((_, session, info)) => render_admin(&s, &session, &info, None, &here).await,
        Err((session, r)) => refusal_page(&s, session.as_ref(), &here, &r),
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
    let page = format!("/g/{guild}/admin");
    let (commands, session, info) = match admin_context(&s, &headers, &guild).await {
        Ok(c) => c,
        Err((session, r)) => return refusal_page(&s, session.as_ref(), &page, &r),
    };
    if !auth::same_token(&session.csrf, &form.csrf) {
        return refusal_page(&s, Some(&session), &page, &Refusal::BadForm);
    }
    let Some(managers) = &s.managers else {
        return refusal_page(&s, Some(&session), &page, &Refusal::NotFound);
    };
    match managers.is_manager(info.id, session.user_id).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(
                guild = info.id,
                user = session.user_id,
                "dashboard change refused: not a manager on Discord"
            );
            return refusal_page(&s, Some(&session), &page, &Refusal::NotManager);
        }
        Err(e) => {
            tracing::warn!(guild = info.id, error = %e, "dashboard change not checked");
            return refusal_page(&s, Some(&session), &page, &Refusal::Unavailable);
        }
    }
    let reply = member::run(
        &commands,
        &session,
        &info,
        "config",
        Some("set"),
        vec![
            ("setting", OptionValue::String(form.setting)),
            ("value", OptionValue::String(form.value)),
        ],
    )
    .await;
    render_admin(&s, &session, &info, Some(&reply), &page).await
}
