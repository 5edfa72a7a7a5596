//! The web face: each guild's leaderboard as a server-rendered page (`GET /g/{guild}`) and
//! as JSON (`GET /api/v1/guilds/{guild}/leaderboard`), served by the same process as the
//! bot (`[web] listen`) or by `questline console --web ADDR` for the console's local guild.
//!
//! - [`access`]: who may see what (a guild's `leaderboard_visibility` against the viewer),
//!   one pure function both routes go through;
//! - [`board`]: the leaderboard's data, read once per request and shared by page and JSON;
//! - [`pages`]: the HTML (maud, escaped by construction; no script needed);
//! - [`server`]: the axum router, security headers and start/stop.
//!
//! Pages work with JavaScript off, load nothing from other sites except members' Discord
//! avatars (`img-src` in the content security policy), and carry `noindex` unless a public
//! guild opts in (`leaderboard_indexable`).

pub mod access;
pub mod board;
pub mod pages;
pub mod server;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

pub use server::{WebError, WebServer, WebSources, start};

/// `[web]` section.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Address the web pages are served on, e.g. `127.0.0.1:8080` (behind a reverse proxy
    /// that adds TLS). Off when unset.
    pub listen: Option<String>,
}

impl WebConfig {
    /// The parsed address, when set.
    pub fn listen_addr(&self) -> Option<Result<std::net::SocketAddr, String>> {
        self.listen.as_ref().map(|s| {
            s.parse().map_err(|_| {
                format!("`{s}` is not an address; use host:port such as \"127.0.0.1:8080\"")
            })
        })
    }

    pub(crate) fn validate(&self) -> Vec<Problem> {
        match self.listen_addr() {
            Some(Err(_)) => vec![Problem::value(
                "web.listen",
                format!("{:?}", self.listen.as_deref().unwrap_or_default()),
                "an IP address and port such as \"127.0.0.1:8080\"",
            )],
            _ => Vec::new(),
        }
    }
}
