//! serenity's REST client, built the same way for Discord and for a test double, and the
//! classification of its errors that retries and reports depend on.

use serenity::http::{Http, HttpBuilder, HttpError};
use serenity::model::id::ApplicationId;

use super::DISCORD_API;

/// Builds the REST client. For `https://discord.com` serenity's rate limiter stays on (it
/// honours Discord's buckets). For any other base URL the limiter is disabled, because
/// serenity's limiter ignores the base URL and would talk to discord.com (serenity #2479);
/// whatever sits at that URL (a rate-limiting proxy, a test double) owns the limits.
pub fn build_http(token: &str, api_base: &str, application_id: Option<u64>) -> Http {
    build_http_with(rest_client(), token, api_base, application_id)
}

/// The HTTP client the bot's REST calls and its attachment downloads share (rustls, as
/// serenity's own default).
pub fn rest_client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "custom HTTP client unavailable; using the default");
            reqwest::Client::new()
        })
}

/// [`build_http`] on a given client (shared with [`super::files::DiscordFiles`]).
pub fn build_http_with(
    client: reqwest::Client,
    token: &str,
    api_base: &str,
    application_id: Option<u64>,
) -> Http {
    let mut builder = HttpBuilder::new(token).client(client);
    let base = api_base.trim_end_matches('/');
    if base != DISCORD_API {
        builder = builder.proxy(base).ratelimiter_disabled(true);
    }
    if let Some(id) = application_id.filter(|id| *id != 0) {
        builder = builder.application_id(ApplicationId::new(id));
    }
    builder.build()
}

/// The HTTP status of a failed REST call, when Discord answered.
pub fn status(err: &serenity::Error) -> Option<u16> {
    match err {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(resp)) => {
            Some(resp.status_code.as_u16())
        }
        _ => None,
    }
}

/// What to do about a failed REST call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429 or 5xx or no answer: try again after a pause.
    Transient,
    /// 403: the bot lacks a permission (or the role is above its own); retrying cannot help.
    Forbidden,
    /// Anything else (404 unknown member or role, 400): give up on this one.
    Permanent,
}

pub fn classify(err: &serenity::Error) -> Failure {
    match status(err) {
        Some(429) | Some(500..=599) => Failure::Transient,
        Some(403) => Failure::Forbidden,
        Some(_) => Failure::Permanent,
        None => match err {
            serenity::Error::Http(HttpError::Request(_)) => Failure::Transient,
            _ => Failure::Permanent,
        },
    }
}
