//! Hot reload and the plugin directory: replacing a file under concurrent calls fails no call
//! and serves the new version within a second; a broken file never unloads a working one;
//! deleting a file unloads it; a file overrides a bundled plugin of the same name; compiled
//! artifacts are cached and a corrupt cache entry is recompiled.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::*;
use questline::plugins::{CacheOutcome, PluginError, PluginHost, PluginSource, PluginState};
use questline_tests::fixtures;

const GOOD: &str = "fixture-good";

/// Polls `cond` until it holds or `limit` passes; returns how long it took.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if cond() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn xp_of(host: &PluginHost) -> Result<i64, PluginError> {
    host.xp_for_activities_blocking(GOOD, &ctx(), &xp_items(1))
        .map(|v| v[0])
}

/// A host for reload tests. The per-call time limit is raised: these tests are about reloads,
/// and on a loaded two-core machine a preempted call can exceed the 50 ms default.
fn reload_host() -> TestHost {
    host_with(|c| {
        c.call_timeout_ms = 2_000;
        c.debounce_ms = 50;
    })
}

fn copy(from: &str, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {from} -> {}: {e}", to.display()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replacing_a_file_under_concurrent_calls_fails_nothing() {
    let _quiet = QUIET.lock().await;
    let t = reload_host();
    let dir = t.host.plugin_dir().unwrap();
    let file = dir.join("good.wasm");
    copy(fixtures::GOOD_V1, &file);
    assert!(t.host.load_dir().unwrap().is_empty());
    let _watcher = t.host.start_watching().unwrap();
    assert_eq!(xp_of(&t.host).unwrap(), 10);

    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (host, stop, calls) = (t.host.clone(), stop.clone(), calls.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen_v2 = false;
            while !stop.load(Ordering::Relaxed) {
                let xp = host
                    .xp_for_activities(GOOD, &ctx(), xp_items(4))
                    .await
                    .map_err(|e| format!("call failed during reload: {e}"))?;
                calls.fetch_add(1, Ordering::Relaxed);
                match xp.as_slice() {
                    [10, 10, 10, 10] if !seen_v2 => {}
                    [20, 20, 20, 20] => seen_v2 = true,
                    other => return Err(format!("unexpected answer {other:?} (v1 after v2?)")),
                }
            }
            Ok::<bool, String>(seen_v2)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replaced = Instant::now();
    copy(fixtures::GOOD_V2, &file);
    let host = t.host.clone();
    let took = tokio::task::spawn_blocking(move || {
        wait_for(Duration::from_secs(5), || xp_of(&host).ok() == Some(20))
    })
    .await
    .unwrap()
    .expect("v2 never served");
    println!("v2 served {took:?} after the file was replaced");
    assert!(
        replaced.elapsed() >= took && took < Duration::from_secs(1),
        "v2 took {took:?}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let seen_v2 = task.await.unwrap().expect("no call fails");
        assert!(seen_v2, "every caller ends up on v2");
    }
    assert!(calls.load(Ordering::Relaxed) > 20);
    assert_eq!(t.host.info(GOOD).unwrap().version, "2.0.0");
}

#[test]
fn a_broken_file_keeps_the_working_version_and_deleting_unloads() {
    let t = reload_host();
    let dir = t.host.plugin_dir().unwrap();
    let file = dir.join("good.wasm");
    copy(fixtures::GOOD_V1, &file);
    t.host.load_dir().unwrap();
    let _watcher = t.host.start_watching().unwrap();
    assert_eq!(xp_of(&t.host).unwrap(), 10);

    // A broken file over the working one: still v1, and the reason is reported.
    std::fs::write(&file, b"definitely not wasm").unwrap();
    let reported = wait_for(Duration::from_secs(5), || {
        t.host
            .list()
            .iter()
            .any(|r| matches!(&r.state, PluginState::LoadedWithError(e) if e.contains("not a WebAssembly file")))
    });
    assert!(reported.is_some(), "list: {:?}", t.host.list());
    assert_eq!(xp_of(&t.host).unwrap(), 10);

    // A wrong-contract component over it: same.
    copy(fixtures::WRONG_CONTRACT, &file);
    let reported = wait_for(Duration::from_secs(5), || {
        t.host
            .list()
            .iter()
            .any(|r| matches!(&r.state, PluginState::LoadedWithError(e) if e.contains("@0.1.0")))
    });
    assert!(reported.is_some(), "list: {:?}", t.host.list());
    assert_eq!(xp_of(&t.host).unwrap(), 10);

    // Fixed: v2 loads and the error clears.
    copy(fixtures::GOOD_V2, &file);
    assert!(wait_for(Duration::from_secs(5), || xp_of(&t.host).ok() == Some(20)).is_some());
    let row = t.host.list().into_iter().find(|r| r.name == GOOD).unwrap();
    assert_eq!(row.state, PluginState::Loaded);

    // Deleted: unloaded.
    std::fs::remove_file(&file).unwrap();
    let gone = wait_for(Duration::from_secs(5), || {
        matches!(xp_of(&t.host), Err(PluginError::NotLoaded { .. }))
    });
    assert!(gone.is_some(), "list: {:?}", t.host.list());
    assert!(t.host.list().is_empty());
}

#[test]
fn a_dropped_file_overrides_a_bundled_plugin_until_deleted() {
    let t = reload_host();
    let v1 = std::fs::read(fixtures::GOOD_V1).unwrap();
    t.host.load_bundled_bytes(GOOD, &v1).unwrap();
    let _watcher = t.host.start_watching().unwrap();
    let file = t.host.plugin_dir().unwrap().join("override.wasm");
    copy(fixtures::GOOD_V2, &file);
    assert!(wait_for(Duration::from_secs(5), || xp_of(&t.host).ok() == Some(20)).is_some());
    let rows = t.host.list();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let bundled = rows
        .iter()
        .find(|r| r.source == PluginSource::Bundled)
        .unwrap();
    assert!(
        matches!(bundled.state, PluginState::Shadowed { .. }),
        "{bundled:?}"
    );

    std::fs::remove_file(&file).unwrap();
    assert!(wait_for(Duration::from_secs(5), || xp_of(&t.host).ok() == Some(10)).is_some());
    let rows = t.host.list();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, PluginState::Loaded);
}

#[test]
fn compiled_artifacts_are_cached_and_corrupt_entries_recompiled() {
    let t = reload_host();
    let path = Path::new(fixtures::GOOD_V1);
    let first = t.host.check_file(path).unwrap();
    assert_eq!(first.stats.cache, CacheOutcome::Compiled);
    let second = t.host.check_file(path).unwrap();
    assert_eq!(second.stats.cache, CacheOutcome::Hit);
    assert!(second.stats.compile < first.stats.compile);

    let cache = t.dir.path().join("cache");
    let artifacts: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(artifacts.len(), 1);
    assert!(
        artifacts[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&first.sha256)
    );
    // Flip bytes in the artifact: the checksum no longer matches, so it is recompiled.
    let mut bytes = std::fs::read(&artifacts[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&artifacts[0], &bytes).unwrap();
    let third = t.host.check_file(path).unwrap();
    assert_eq!(third.stats.cache, CacheOutcome::Compiled);
    assert_eq!(
        t.host.check_file(path).unwrap().stats.cache,
        CacheOutcome::Hit
    );
}
