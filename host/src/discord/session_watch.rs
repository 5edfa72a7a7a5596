//! Marks a shard disconnected the moment Discord invalidates its session.
//!
//! serenity 0.12.5 reports an invalid session (gateway op 9) only in its log, and its shard
//! runner then blocks about 5 s inside `ShardManager::restart_shard` (it waits for its own
//! shutdown) before it reconnects, without any event for the handler. `/healthz` would say
//! the shard is connected all that time. This tracing layer watches serenity's
//! "Received session invalidation" line and marks the shard disconnected in every
//! [`GatewayStatus`] being watched; the new READY marks it connected again.
//!
//! The same layer counts the shard runners alive (serenity's "Running" and "Stopping"
//! lines), because a graceful shutdown has no other way to wait for its close frame: after
//! a re-identify, `ShardManager::shutdown_all` returns at once (the restart left a stale
//! "shard shut down" notice in its channel) and the process would end before the new
//! runner sends close 1000. [`runners_stopped`] lets the bot wait for it.
//!
//! The logging set-up installs the layer ([`crate::observe::logging::init`]); a bot
//! registers its status with [`watch`] while it runs. One process runs one bot, so the
//! shard numbers and the runner count are this process's.

use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use questline_metrics::GatewayStatus;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};

/// Where serenity logs what a shard receives.
const TARGET: &str = "serenity::gateway::shard";
const INVALIDATED: &str = "Received session invalidation";
/// Where a runner says it starts (info) and where its task says it ended (debug).
const RUNNER_TARGET: &str = "serenity::gateway::bridge::shard_runner";
const QUEUER_TARGET: &str = "serenity::gateway::bridge::shard_queuer";
const RUNNING: &str = "] Running";
const STOPPING: &str = "] Stopping";

static WATCHED: Mutex<Vec<GatewayStatus>> = Mutex::new(Vec::new());

/// Shard runners started and not yet ended in this process.
static RUNNERS: LazyLock<tokio::sync::watch::Sender<usize>> =
    LazyLock::new(|| tokio::sync::watch::Sender::new(0));

/// Shard runners alive now, as serenity's log tells (0 when the layer is not installed).
pub fn live_runners() -> usize {
    *RUNNERS.borrow()
}

/// Waits until no shard runner is alive, at most `within`; false when one still is.
pub async fn runners_stopped(within: Duration) -> bool {
    let mut rx = RUNNERS.subscribe();
    tokio::time::timeout(within, rx.wait_for(|n| *n == 0))
        .await
        .is_ok_and(|r| r.is_ok())
}

fn watched() -> MutexGuard<'static, Vec<GatewayStatus>> {
    WATCHED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts marking `status`'s shards disconnected when their session is lost.
pub fn watch(status: &GatewayStatus) {
    watched().push(status.clone());
}

/// Stops watching `status` (the bot stopped).
pub fn unwatch(status: &GatewayStatus) {
    watched().retain(|s| !s.same_as(status));
}

/// The shard id in serenity's `[ShardInfo { id: ShardId(3), total: 4 }] ...` prefix.
fn shard_of(message: &str) -> Option<u32> {
    let rest = &message[message.find("ShardId(")? + "ShardId(".len()..];
    rest[..rest.find(')')?].trim().parse().ok()
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

struct SessionWatch;

impl<S: Subscriber> Layer<S> for SessionWatch {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut message = Message::default();
        event.record(&mut message);
        let target = event.metadata().target();
        if target == RUNNER_TARGET && message.0.ends_with(RUNNING) {
            RUNNERS.send_modify(|n| *n += 1);
            return;
        }
        if target == QUEUER_TARGET && message.0.ends_with(STOPPING) {
            RUNNERS.send_modify(|n| *n = n.saturating_sub(1));
            return;
        }
        if target != TARGET || !message.0.contains(INVALIDATED) {
            return;
        }
        let Some(shard) = shard_of(&message.0) else {
            return;
        };
        for status in watched().iter() {
            status.shard_disconnected(shard);
        }
    }
}

/// Only serenity's shard and runner events reach the layer, whatever the log level says.
struct ShardEvents;

impl<S> Filter<S> for ShardEvents {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        if !meta.is_event() {
            return false;
        }
        match meta.target() {
            TARGET | RUNNER_TARGET => *meta.level() <= tracing::Level::INFO,
            QUEUER_TARGET => *meta.level() <= tracing::Level::DEBUG,
            _ => false,
        }
    }
}

/// The layer (see the module docs), filtered on its own so the log filter does not hide
/// serenity's line from it.
pub fn layer<S>() -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    SessionWatch.with_filter(ShardEvents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shard_is_read_from_serenitys_prefix() {
        assert_eq!(
            shard_of("[ShardInfo { id: ShardId(3), total: 4 }] Received session invalidation"),
            Some(3)
        );
        assert_eq!(shard_of("Received session invalidation"), None);
        assert_eq!(shard_of("[ShardId(x)]"), None);
    }
}
