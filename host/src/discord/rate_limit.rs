//! Discord's rate limits as the outbox sender honours them, read from each answer:
//! `Retry-After` (or the 429 body's `retry_after`) after a 429, `X-RateLimit-Global` /
//! `X-RateLimit-Scope: global` (or the body's `global`) for the limit on every route, and
//! `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset-After` to wait *before* a 429 comes.
//! serenity's own limiter cannot be used for the outbox: it is off under `[discord]
//! api_base` (a proxy owns the limits there) and its errors drop the headers.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// Discord's global limit is 50 requests a second per bot: never go faster.
pub const MIN_INTERVAL: Duration = Duration::from_millis(20);
/// The wait after a 429 that says nothing about how long (never seen from Discord).
const DEFAULT_RETRY: Duration = Duration::from_secs(1);
/// A reset further away than this is treated as this (a broken header must not park the
/// sender for days).
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// What an answer says about the limits.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LimitInfo {
    /// Wait this long before the same route (or every route, when `global`) again.
    pub wait: Option<Duration>,
    pub global: bool,
}

fn seconds(v: &str) -> Option<Duration> {
    let s: f64 = v.trim().parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s.min(MAX_WAIT.as_secs_f64())))
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Reads the limits from an answer's status, headers and (for a 429) JSON body.
pub fn read(status: u16, headers: &HeaderMap, body: &[u8]) -> LimitInfo {
    let scope_global = header(headers, "x-ratelimit-scope").is_some_and(|s| s == "global");
    let flag_global = header(headers, "x-ratelimit-global").is_some_and(|s| s == "true");
    if status == 429 {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let body_wait = json
            .as_ref()
            .and_then(|j| j.get("retry_after"))
            .and_then(serde_json::Value::as_f64)
            .and_then(|s| seconds(&s.to_string()));
        let body_global = json
            .as_ref()
            .and_then(|j| j.get("global"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let wait = header(headers, "retry-after")
            .and_then(seconds)
            .or(body_wait)
            .or_else(|| header(headers, "x-ratelimit-reset-after").and_then(seconds))
            .unwrap_or(DEFAULT_RETRY);
        return LimitInfo {
            wait: Some(wait),
            global: scope_global || flag_global || body_global,
        };
    }
    // A bucket used up: its reset is the wait, before any 429.
    let exhausted = header(headers, "x-ratelimit-remaining").is_some_and(|r| r.trim() == "0");
    LimitInfo {
        wait: exhausted
            .then(|| header(headers, "x-ratelimit-reset-after").and_then(seconds))
            .flatten(),
        global: false,
    }
}

/// When each route (and every route) may be used again.
#[derive(Debug, Default)]
pub struct Limits {
    global: Option<Instant>,
    routes: HashMap<String, Instant>,
    last_request: Option<Instant>,
}

impl Limits {
    /// When `route` may be called, if not now.
    pub fn blocked_until(&self, route: &str, now: Instant) -> Option<Instant> {
        let until = [self.global, self.routes.get(route).copied()]
            .into_iter()
            .flatten()
            .max()?;
        (until > now).then_some(until)
    }

    /// Waits out the global pace (at most 50 requests a second), then notes a request.
    pub async fn pace(&mut self) {
        if let Some(last) = self.last_request {
            tokio::time::sleep_until(last + MIN_INTERVAL).await;
        }
        self.last_request = Some(Instant::now());
    }

    /// Notes what an answer said.
    pub fn note(&mut self, route: &str, info: LimitInfo, now: Instant) {
        let Some(wait) = info.wait else { return };
        let until = now + wait;
        if info.global {
            if self.global.is_none_or(|t| t < until) {
                self.global = Some(until);
            }
        } else {
            let at = self.routes.entry(route.to_string()).or_insert(until);
            *at = (*at).max(until);
        }
    }

    /// The earliest time a blocked route frees up.
    pub fn next_free(&self, now: Instant) -> Option<Instant> {
        self.global
            .into_iter()
            .chain(self.routes.values().copied())
            .filter(|t| *t > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn a_429_waits_what_discord_says_header_first_then_body() {
        let info = read(429, &headers(&[("retry-after", "5")]), b"{}");
        assert_eq!(info.wait, Some(Duration::from_secs(5)));
        assert!(!info.global);
        let info = read(
            429,
            &HeaderMap::new(),
            br#"{"message":"You are being rate limited.","retry_after":1.5,"global":true}"#,
        );
        assert_eq!(info.wait, Some(Duration::from_millis(1500)));
        assert!(info.global);
        let info = read(
            429,
            &headers(&[
                ("x-ratelimit-reset-after", "2.25"),
                ("x-ratelimit-scope", "global"),
            ]),
            b"not json",
        );
        assert_eq!(info.wait, Some(Duration::from_millis(2250)));
        assert!(info.global);
        assert_eq!(read(429, &HeaderMap::new(), b"").wait, Some(DEFAULT_RETRY));
        // Nonsense is bounded, never a panic or a wait of years.
        assert_eq!(
            read(429, &headers(&[("retry-after", "1e30")]), b"").wait,
            Some(MAX_WAIT)
        );
        assert_eq!(
            read(429, &headers(&[("retry-after", "-3")]), b"").wait,
            Some(DEFAULT_RETRY)
        );
    }

    #[test]
    fn an_exhausted_bucket_waits_for_its_reset_before_any_429() {
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "0.5"),
        ]);
        assert_eq!(read(204, &h, b"").wait, Some(Duration::from_millis(500)));
        let h = headers(&[
            ("x-ratelimit-remaining", "3"),
            ("x-ratelimit-reset-after", "0.5"),
        ]);
        assert_eq!(read(204, &h, b"").wait, None);
    }

    #[test]
    fn a_global_limit_blocks_every_route_and_a_route_limit_only_its_own() {
        let now = Instant::now();
        let mut l = Limits::default();
        l.note(
            "a",
            LimitInfo {
                wait: Some(Duration::from_secs(2)),
                global: false,
            },
            now,
        );
        assert_eq!(
            l.blocked_until("a", now),
            Some(now + Duration::from_secs(2))
        );
        assert_eq!(l.blocked_until("b", now), None);
        l.note(
            "b",
            LimitInfo {
                wait: Some(Duration::from_secs(3)),
                global: true,
            },
            now,
        );
        assert_eq!(
            l.blocked_until("c", now),
            Some(now + Duration::from_secs(3))
        );
        assert_eq!(l.next_free(now), Some(now + Duration::from_secs(2)));
        assert_eq!(l.blocked_until("a", now + Duration::from_secs(4)), None);
    }
}
