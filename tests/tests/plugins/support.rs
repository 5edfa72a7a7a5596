// Shared helpers for the plugin integration tests: the `plugins` test binary's `support`
// module, also included by the `engine` binary (the observability endpoint's plugin calls).
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use questline::plugins::{
    Activity, ActivityKind, CallContext, Capability, MemberStats, MemoryKv, MessageDetails,
    PluginHost, PluginInfo, PluginsConfig, XpContext,
};

/// Held by the test that times a hot reload and by the tests that compile a JavaScript or
/// Python component (tens of seconds of both cores), so the timing is never taken while one
/// of those compiles runs in the same test binary.
/// (A tokio mutex: the reload test holds it across awaits; the others block on it.)
pub static QUIET: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// [`QUIET`] for a test outside the runtime.
pub fn quiet() -> tokio::sync::MutexGuard<'static, ()> {
    QUIET.blocking_lock()
}

pub struct TestHost {
    pub host: PluginHost,
    pub dir: tempfile::TempDir,
}

pub fn config(dir: &Path) -> PluginsConfig {
    PluginsConfig {
        dir: dir.join("plugins"),
        cache_dir: dir.join("cache"),
        debounce_ms: 100,
        ..PluginsConfig::default()
    }
}

pub fn host() -> TestHost {
    host_with(|_| {})
}

pub fn host_with(adjust: impl FnOnce(&mut PluginsConfig)) -> TestHost {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path());
    adjust(&mut cfg);
    let host = PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("plugin host");
    TestHost { host, dir }
}

/// The capabilities a plugin declared, with its reasons, in order.
pub fn declared(info: &PluginInfo) -> Vec<(Capability, &str)> {
    info.capabilities
        .iter()
        .map(|c| (c.capability, c.why.as_str()))
        .collect()
}

pub fn ctx() -> CallContext {
    CallContext::new(42, 1_700_000_000_000, 7)
}

pub fn stats() -> MemberStats {
    MemberStats::default()
}

pub fn activity(i: u64) -> Activity {
    Activity {
        guild: 42,
        channel: 100,
        parent_channel: None,
        user: 1000 + i,
        roles: vec![],
        at: 1_700_000_000_000 + i as i64,
        kind: ActivityKind::Message(MessageDetails {
            message_id: 5000 + i,
            length: 20,
        }),
    }
}

pub fn xp_items(n: u64) -> Vec<XpContext> {
    (0..n)
        .map(|i| XpContext {
            activity: activity(i),
            stats: stats(),
            seconds_since_last_award: None,
            xp_rate: 1.0,
        })
        .collect()
}

/// Loads a fixture file as a bundled plugin (its bytes), returning its metadata name.
pub fn load_fixture(host: &PluginHost, path: &str) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading fixture {path}: {e}"));
    host.load_bundled_bytes("fixture", &bytes)
        .unwrap_or_else(|e| panic!("loading fixture {path}: {e}"))
        .name
}
