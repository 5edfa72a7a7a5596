//! Discord login for the web pages: OAuth2 authorization code with `state` and PKCE
//! (scopes `identify guilds`), through `[discord] api_base` so tests use the fake Discord.
//!
//! - `/login?next=PATH` stores a login in progress (the hashes of a random `state` and a
//!   PKCE verifier) and sends the visitor to Discord's consent page.
//! - `/auth/callback` takes that login back (once: a replayed `state` finds nothing), trades
//!   the code and verifier for an access token, asks Discord who the visitor is and which
//!   servers they are in (and manage), and stores a session under the SHA-256 of a random
//!   cookie value. The access token is used for those two requests and then dropped.
//! - The cookie is `HttpOnly`, `SameSite=Lax`, `Secure` when the public URL is https;
//!   every form carries the session's CSRF token; `next` must be a path on this site.
//!
//! Nothing secret is logged: not the client secret, codes, tokens or cookies.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::db::SessionGuild;

/// The session cookie's name.
pub const COOKIE: &str = "questline_session";
/// How long a visitor has to come back from Discord's consent page.
pub const LOGIN_TTL: Duration = Duration::from_secs(600);

/// Discord permission bits that make a member a manager of a server.
const ADMINISTRATOR: u64 = 1 << 3;
const MANAGE_GUILD: u64 = 1 << 5;

/// Errors of a login, each said to the visitor in plain words.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("Discord did not accept the login ({0}); try logging in again")]
    Exchange(String),
    #[error("Discord did not say who you are ({0}); try logging in again")]
    Identity(String),
    #[error("Discord could not be reached ({0}); try again in a minute")]
    Unreachable(String),
}

/// Who logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: u64,
    pub name: String,
    pub avatar: Option<String>,
    pub guilds: Vec<SessionGuild>,
}

/// The OAuth client (see the module docs).
#[derive(Clone)]
pub struct Login {
    client_id: u64,
    secret: String,
    /// The site's public address, no trailing slash (`https://levels.example.org`).
    public_url: String,
    /// Discord (`https://discord.com`) or a test double.
    api_base: String,
    http: reqwest::Client,
    /// How long a session lasts.
    pub session_ttl: Duration,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// A random value for a `state`, a verifier, a cookie or a CSRF token (256 bits).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What is stored instead of a secret value (a cookie, a `state`).
pub fn hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// PKCE's S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `next` if it is a path on this site, else `/`: no open redirects (`//evil.example`,
/// `/\evil.example`, `https://…` and control characters are all refused).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 512
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The value of the session cookie in a `Cookie` header, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty() && v.len() <= 128).then(|| v.to_string())
        })
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

#[derive(Deserialize)]
struct UserAnswer {
    id: String,
    username: String,
    global_name: Option<String>,
    avatar: Option<String>,
}

#[derive(Deserialize)]
struct GuildAnswer {
    id: String,
    #[serde(default)]
    owner: bool,
    /// A decimal string in API v10.
    #[serde(default)]
    permissions: Option<String>,
}

impl Login {
    pub fn new(
        client_id: u64,
        secret: String,
        public_url: &str,
        api_base: &str,
        session_ttl: Duration,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            client_id,
            secret,
            public_url: public_url.trim_end_matches('/').to_string(),
            api_base: api_base.trim_end_matches('/').to_string(),
            http,
            session_ttl,
        }
    }

    /// Whether cookies must be `Secure` (the site is served over https).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Where Discord sends the visitor back; register it in the developer portal.
    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.public_url)
    }

    /// Discord's consent page for this login.
    pub fn authorize_url(&self, state: &str, verifier: &str) -> String {
        let query = [
            ("response_type", "code".to_string()),
            ("client_id", self.client_id.to_string()),
            ("scope", "identify guilds".to_string()),
            ("state", state.to_string()),
            ("redirect_uri", self.redirect_uri()),
            ("code_challenge", challenge(verifier)),
            ("code_challenge_method", "S256".to_string()),
            ("prompt", "none".to_string()),
        ];
        let base = format!("{}/oauth2/authorize", self.api_base);
        match reqwest::Url::parse_with_params(&base, &query) {
            Ok(url) => url.to_string(),
            // `api_base` was checked to be a URL at start-up.
            Err(_) => base,
        }
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v10{path}", self.api_base)
    }

    /// Trades the code (and the PKCE verifier) for an access token.
    pub async fn exchange(&self, code: &str, verifier: &str) -> Result<String, LoginError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri()),
            ("code_verifier", verifier),
        ];
        let res = self
            .http
            .post(self.api("/oauth2/token"))
            .basic_auth(self.client_id, Some(&self.secret))
            .form(&form)
            .send()
            .await
            .map_err(|e| LoginError::Unreachable(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(LoginError::Exchange(format!(
                "HTTP {}",
                res.status().as_u16()
            )));
        }
        let body = res
            .bytes()
            .await
            .map_err(|e| LoginError::Exchange(e.without_url().to_string()))?;
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| LoginError::Exchange(e.to_string()))?;
        Ok(answer.access_token)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, LoginError> {
        let res = self
            .http
            .get(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| LoginError::Unreachable(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(LoginError::Identity(format!(
                "{path}: HTTP {}",
                res.status().as_u16()
            )));
        }
        let body = res
            .bytes()
            .await
            .map_err(|e| LoginError::Identity(format!("{path}: {}", e.without_url())))?;
        serde_json::from_slice(&body).map_err(|e| LoginError::Identity(format!("{path}: {e}")))
    }

    /// Who the token belongs to and which servers they are in (and manage).
    pub async fn identity(&self, token: &str) -> Result<Identity, LoginError> {
        let user: UserAnswer = self.get(token, "/users/@me").await?;
        let guilds: Vec<GuildAnswer> = self.get(token, "/users/@me/guilds").await?;
        let user_id = user
            .id
            .parse()
            .map_err(|_| LoginError::Identity(format!("user id `{}`", user.id)))?;
        let guilds = guilds
            .into_iter()
            .filter_map(|g| {
                let perms: u64 = g
                    .permissions
                    .as_deref()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                Some(SessionGuild {
                    id: g.id.parse().ok()?,
                    manager: g.owner || perms & (ADMINISTRATOR | MANAGE_GUILD) != 0,
                })
            })
            .collect();
        Ok(Identity {
            user_id,
            name: user.global_name.unwrap_or(user.username),
            avatar: user.avatar,
            guilds,
        })
    }

    /// The `Set-Cookie` value for a new session.
    pub fn set_cookie(&self, value: &str) -> String {
        format!(
            "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            self.session_ttl.as_secs(),
            if self.secure() { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that ends the session in the browser.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            if self.secure() { "; Secure" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_local_path_or_the_front_page() {
        assert_eq!(safe_next(Some("/g/123?page=2")), "/g/123?page=2");
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/a\nb",
            "/a\\b",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(600)))), "/");
    }

    #[test]
    fn pkce_challenge_is_rfc_7636s_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn tokens_compare_whole() {
        let t = random_token();
        assert_eq!(t.len(), 43);
        assert!(same_token(&t, &t.clone()));
        assert!(!same_token(&t, &random_token()));
        assert!(!same_token(&t, &t[..42]));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            "a=1; questline_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        h.insert(
            axum::http::header::COOKIE,
            "questline_session=".parse().unwrap(),
        );
        assert_eq!(session_cookie(&h), None);
    }
}
