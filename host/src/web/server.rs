//! The web server (axum): routes, the viewer of each request, security headers, and
//! start/stop like the observe endpoint.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::Markup;
use serde::Deserialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::access::{self, Access, Viewer};
use super::board::{self, BoardError, GuildInfo};
use super::pages::{self, Frame};
use crate::db::{Db, LeaderboardVisibility};
use crate::engine::Pipeline;

/// The names of the guilds a bot is in (from the gateway): a guild the bot is not in has
/// no pages.
pub trait GuildNames: Send + Sync {
    fn guild_name(&self, guild: u64) -> Option<String>;
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

impl WebSources {
    fn local(&self) -> bool {
        matches!(self.scope, Scope::Local { .. })
    }

    /// The viewer of a request. Pages have no login yet: anonymous, or the console's
    /// operator.
    fn viewer(&self) -> Viewer {
        if self.local() {
            Viewer::Local
        } else {
            Viewer::Anonymous
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

    fn frame<'a>(&self, title: &'a str, context: Option<&'a str>) -> Frame<'a> {
        Frame {
            title,
            noindex: true,
            context,
            local: self.local(),
        }
    }
}

/// Why a board is not shown, for both the page and the API.
enum Refusal {
    NotFound,
    BadPage(String),
    NoSuchPage { page: u64, last: u64 },
    LoginRequired,
    Denied,
    Unavailable,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::NoSuchPage { .. } => StatusCode::NOT_FOUND,
            Self::BadPage(_) => StatusCode::BAD_REQUEST,
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
                "Its admins show it to members of the server only.".into(),
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
    guild: &str,
    page: &PageParam,
) -> Result<(board::Board, bool), Refusal> {
    let info = s.guild(guild).ok_or(Refusal::NotFound)?;
    let cfg = s.db.get_server_config(info.id).await.map_err(|e| {
        tracing::warn!(guild = info.id, error = %e, "web leaderboard: settings unreadable");
        Refusal::Unavailable
    })?;
    let visibility = LeaderboardVisibility::of(&cfg);
    match access::leaderboard(visibility, s.viewer()) {
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

fn refusal_page(s: &WebSources, r: &Refusal) -> Response {
    let (heading, text) = r.text();
    let link = match r {
        Refusal::BadPage(_) | Refusal::NoSuchPage { .. } => Some(("?page=1", "Go to page 1")),
        _ => None,
    };
    let markup: Markup = pages::message(&s.frame(heading, None), heading, &text, link);
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

async fn leaderboard_page(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    Query(page): Query<PageParam>,
) -> Response {
    let started = Instant::now();
    let res = match board_for(&s, &guild, &page).await {
        Ok((board, indexable)) => {
            let title = format!("{} leaderboard", board.guild.name);
            let frame = Frame {
                noindex: !indexable,
                ..s.frame(&title, Some(&board.guild.name))
            };
            pages::leaderboard(&board, &frame).into_response()
        }
        Err(r) => refusal_page(&s, &r),
    };
    timed(res, started)
}

async fn leaderboard_api(
    State(s): State<Shared>,
    Path(guild): Path<String>,
    Query(page): Query<PageParam>,
) -> Response {
    let started = Instant::now();
    let res = match board_for(&s, &guild, &page).await {
        Ok((board, _)) => axum::Json(board).into_response(),
        Err(r) => {
            let (_, text) = r.text();
            (r.status(), axum::Json(serde_json::json!({ "error": text }))).into_response()
        }
    };
    timed(res, started)
}

async fn index(State(s): State<Shared>) -> Response {
    match &s.scope {
        Scope::Local { guild, .. } => Redirect::to(&format!("/g/{guild}")).into_response(),
        Scope::Bot { .. } => {
            let frame = s.frame("Leaderboards", None);
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

async fn not_found(State(s): State<Shared>) -> Response {
    refusal_page(&s, &Refusal::NotFound)
}
