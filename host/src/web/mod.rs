//! The web face: each guild's leaderboard as a server-rendered page (`GET /g/{guild}`) and
//! as JSON (`GET /api/v1/guilds/{guild}/leaderboard`), served by the same process as the
//! bot (`[web] listen`) or by `questline console --web ADDR` for the console's local guild.
//!
//! - [`access`]: who may see what (a guild's `leaderboard_visibility` against the viewer),
//!   one pure function both routes go through;
//! - [`admin`]: the server dashboard for managers (every setting, each change `/config set`
//!   run as the manager after Discord confirmed they manage the server now);
//! - [`auth`]: Discord login (OAuth2 with `state` and PKCE), sessions, CSRF tokens;
//! - [`login`]: the login routes (`/login`, `/auth/callback`, `POST /logout`);
//! - [`board`]: the leaderboard's data, read once per request and shared by page and JSON;
//! - [`labels`]: Discord's names for a guild's channels and roles, where pages show them;
//! - [`member`]: the member's own page (rank card, quests, achievements, privacy, their
//!   data), each part the slash command that does the same, run as the member;
//! - [`pages`]: the HTML (maud, escaped by construction; no script needed);
//! - [`server`]: the axum router, security headers and start/stop.
//!
//! Pages work with JavaScript off, load nothing from other sites except members' Discord
//! avatars (`img-src` in the content security policy), and carry `noindex` unless a public
//! guild opts in (`leaderboard_indexable`).

pub mod access;
pub mod admin;
pub mod auth;
pub mod board;
pub mod labels;
pub mod login;
pub mod member;
pub mod pages;
pub mod server;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

pub use server::{WebError, WebServer, WebSources, start};

/// `[web]` section.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Address the web pages are served on, e.g. `127.0.0.1:8080` (behind a reverse proxy
    /// that adds TLS). Off when unset.
    pub listen: Option<String>,
    /// The address visitors use, e.g. `https://levels.example.org`: Discord sends them back
    /// to `<public_url>/auth/callback` after login, and https makes cookies `Secure`.
    pub public_url: Option<String>,
    /// The application's OAuth2 client id (developer portal → OAuth2). With it (and
    /// `DISCORD_CLIENT_SECRET` in the environment) visitors can log in with Discord.
    pub client_id: Option<u64>,
    /// How long a login lasts, in hours.
    pub session_hours: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            listen: None,
            public_url: None,
            client_id: None,
            session_hours: 168,
        }
    }
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
        let mut out = Vec::new();
        if let Some(Err(_)) = self.listen_addr() {
            out.push(Problem::value(
                "web.listen",
                format!("{:?}", self.listen.as_deref().unwrap_or_default()),
                "an IP address and port such as \"127.0.0.1:8080\"",
            ));
        }
        if let Some(url) = &self.public_url
            && !public_url_ok(url)
        {
            out.push(Problem::value(
                "web.public_url",
                format!("{url:?}"),
                "the address visitors use, http:// or https:// with a host and no path, such as \"https://levels.example.org\"",
            ));
        }
        if self.client_id.is_some() && self.public_url.is_none() {
            out.push(Problem::value(
                "web.public_url",
                "(not set)".to_string(),
                "set with web.client_id: Discord sends visitors back to <public_url>/auth/callback",
            ));
        }
        out
    }
}

/// `http(s)://host[:port]`, with at most a trailing slash.
fn public_url_ok(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.trim_end_matches('/');
    !host.is_empty()
        && !host.contains('/')
        && !host.contains('?')
        && !host.contains('#')
        && !host.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_url_is_an_origin() {
        for ok in [
            "https://levels.example.org",
            "http://127.0.0.1:8080/",
            "https://x.y:8443",
        ] {
            assert!(public_url_ok(ok), "{ok}");
        }
        for bad in [
            "levels.example.org",
            "https://",
            "https://a.b/path",
            "ftp://a.b",
            "https://a b",
        ] {
            assert!(!public_url_ok(bad), "{bad}");
        }
        let cfg = WebConfig {
            client_id: Some(1),
            ..WebConfig::default()
        };
        assert_eq!(cfg.validate().len(), 1, "a client id needs a public URL");
    }
}
