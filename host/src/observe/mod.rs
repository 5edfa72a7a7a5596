//! Observability: the `[observe]` section, the health and metrics HTTP endpoint, and log
//! set-up.
//!
//! The endpoint is off unless `[observe] listen` is set (the console does not need it; a
//! bot in production does). `GET /healthz` answers JSON with 200 when the database answers
//! and plugins are loaded, 503 otherwise; `GET /metrics` answers Prometheus text rendered
//! from the counters the subsystems already keep (no second bookkeeping to drift).

pub mod health;
pub mod logging;
pub mod metrics;
pub mod server;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

pub use health::HealthReport;
pub use server::{ObserveError, ObserveServer, ObserveSources, start};

/// `[observe]` section.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ObserveConfig {
    /// Address of the `/healthz` and `/metrics` endpoint, e.g. `127.0.0.1:9464`. Off when
    /// unset. Bind to loopback unless a scraper on another machine needs it.
    pub listen: Option<String>,
}

impl ObserveConfig {
    /// The parsed address, when set.
    pub fn listen_addr(&self) -> Option<Result<std::net::SocketAddr, String>> {
        self.listen.as_ref().map(|s| {
            s.parse().map_err(|_| {
                format!("`{s}` is not an address; use host:port such as \"127.0.0.1:9464\"")
            })
        })
    }

    pub(crate) fn validate(&self) -> Vec<Problem> {
        match self.listen_addr() {
            Some(Err(_)) => vec![Problem::value(
                "observe.listen",
                format!("{:?}", self.listen.as_deref().unwrap_or_default()),
                "an IP address and port such as \"127.0.0.1:9464\" (\"0.0.0.0:9464\" for every interface)",
            )],
            _ => Vec::new(),
        }
    }
}

/// Starts the endpoint when `[observe] listen` is set; `Ok(None)` when it is not. What the
/// bot's run command and the console call at start-up.
pub async fn start_configured(
    config: &ObserveConfig,
    sources: ObserveSources,
) -> Result<Option<ObserveServer>, ObserveError> {
    match config.listen_addr() {
        None => Ok(None),
        // `Config::validate` rejected a bad address at start-up already.
        Some(Err(_)) => Ok(None),
        Some(Ok(addr)) => start(addr, sources).await.map(Some),
    }
}
