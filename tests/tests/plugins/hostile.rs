//! Hostile plugins are contained: each gets a clear, typed error, its instance is discarded,
//! and the host goes on serving other plugins (checked after every hostile call).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;
use questline::plugins::{Capability, PluginError, PluginHost, PluginState};
use questline_tests::fixtures;

fn good_still_serves(host: &PluginHost, good: &str) {
    let xp = host
        .xp_for_activities_blocking(good, &ctx(), &xp_items(3))
        .expect("the good plugin keeps serving after a hostile call");
    assert_eq!(xp, vec![10, 10, 10]);
}

/// Loads GOOD_V1 and one hostile fixture; returns (good, hostile) names.
fn setup(t: &TestHost, hostile: &str) -> (String, String) {
    let good = load_fixture(&t.host, fixtures::GOOD_V1);
    let bad = load_fixture(&t.host, hostile);
    assert_ne!(good, bad);
    (good, bad)
}

#[test]
fn infinite_loop_times_out() {
    let t = host();
    let (good, bad) = setup(&t, fixtures::INFINITE_LOOP);
    for _ in 0..2 {
        let started = Instant::now();
        let err = t
            .host
            .xp_for_activities_blocking(&bad, &ctx(), &xp_items(1))
            .unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(&err, PluginError::Timeout { plugin, limit_ms: 50 } if *plugin == bad),
            "{err:?}"
        );
        // 50 ms of CPU time: stopped within a second or two of wall time even while the
        // other tests of this binary share the cores.
        assert!(
            took < Duration::from_millis(2_000),
            "stopped after {took:?}"
        );
        assert!(err.to_string().contains("50 ms"), "{err}");
        good_still_serves(&t.host, &good);
    }
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    // A generous time limit, so the memory limit is what stops it even on a loaded machine.
    let t = host_with(|c| {
        c.memory_limit_mib = 16;
        c.call_timeout_ms = 5_000;
    });
    let (good, bad) = setup(&t, fixtures::MEMORY_BOMB);
    for _ in 0..2 {
        let err = t
            .host
            .xp_for_activities_blocking(&bad, &ctx(), &xp_items(1))
            .unwrap_err();
        assert!(
            matches!(&err, PluginError::MemoryLimit { plugin, limit_mib: 16 } if *plugin == bad),
            "{err:?}"
        );
        good_still_serves(&t.host, &good);
    }
}

#[test]
fn deep_recursion_traps() {
    let t = host_with(|c| c.call_timeout_ms = 5_000);
    let (good, bad) = setup(&t, fixtures::DEEP_RECURSION);
    for _ in 0..2 {
        let err = t
            .host
            .xp_for_activities_blocking(&bad, &ctx(), &xp_items(1))
            .unwrap_err();
        match &err {
            PluginError::Trap { plugin, message } => {
                assert_eq!(plugin, &bad);
                // The guest's shadow stack (in linear memory) or wasm's own call stack runs out.
                assert!(
                    message.contains("stack") || message.contains("out of bounds"),
                    "{message}"
                );
                assert!(!message.contains("backtrace"), "{message}");
            }
            // A recursion that allocates per frame may exhaust memory first.
            PluginError::MemoryLimit { .. } => {}
            other => panic!("unexpected error: {other:?}"),
        }
        good_still_serves(&t.host, &good);
    }
}

#[test]
fn panic_is_a_trap_and_the_instance_is_replaced() {
    let t = host();
    let (good, bad) = setup(&t, fixtures::TRAP);
    for _ in 0..3 {
        let err = t
            .host
            .xp_for_activities_blocking(&bad, &ctx(), &xp_items(1))
            .unwrap_err();
        // A poisoned instance would answer "cannot enter component instance"; a fresh one
        // traps for the plugin's own reason again.
        match &err {
            PluginError::Trap { plugin, message } => {
                assert_eq!(plugin, &bad);
                assert!(!message.contains("cannot enter"), "{message}");
            }
            other => panic!("unexpected error: {other:?}"),
        }
        good_still_serves(&t.host, &good);
    }
}

#[test]
fn oversized_output_is_rejected() {
    let t = host();
    let (good, bad) = setup(&t, fixtures::OVERSIZED_OUTPUT);
    let err = t
        .host
        .xp_for_activities_blocking(&bad, &ctx(), &xp_items(2))
        .unwrap_err();
    // Which limit stops it first depends on how fast the guest builds the list: the output
    // check (wrong length), the memory limit, or the time limit. Each is a clean refusal.
    assert!(
        matches!(
            &err,
            PluginError::BadOutput { plugin, .. }
                | PluginError::MemoryLimit { plugin, .. }
                | PluginError::Timeout { plugin, .. } if *plugin == bad
        ),
        "{err:?}"
    );
    println!("oversized output: {err}");
    good_still_serves(&t.host, &good);
}

#[test]
fn wasi_escape_attempts_all_fail() {
    let t = host();
    let (good, bad) = setup(&t, fixtures::WASI_ESCAPE);
    let succeeded = t
        .host
        .xp_for_activities_blocking(&bad, &ctx(), &xp_items(1))
        .expect("the escape fixture returns normally");
    assert_eq!(
        succeeded,
        vec![0],
        "file read, socket connect and env read must all fail inside the sandbox"
    );
    good_still_serves(&t.host, &good);
}

#[test]
fn wrong_contract_is_rejected_at_load_with_the_version() {
    let t = host();
    let bytes = std::fs::read(fixtures::WRONG_CONTRACT).unwrap();
    let err = t.host.load_bundled_bytes("wrong", &bytes).unwrap_err();
    assert!(matches!(err, PluginError::Incompatible { .. }), "{err:?}");
    let text = err.to_string();
    // A plugin built last release: named, and told how to rebuild.
    assert!(
        text.contains("questline:plugin@0.1.0") && text.contains("loads 0.2.x only"),
        "{text}"
    );
    assert!(text.contains("questline-plugin-sdk 0.2"), "{text}");
    assert!(t.host.list().is_empty());
}

#[test]
fn random_bytes_are_rejected_at_load() {
    let t = host();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let err = t.host.load_bundled_bytes("noise", &noise).unwrap_err();
    assert!(err.to_string().contains("not a WebAssembly file"), "{err}");
    // Noise behind a valid component header reaches the compiler and is refused there.
    let mut headed = b"\0asm\x0d\0\x01\0".to_vec();
    headed.extend_from_slice(&noise);
    let err = t.host.load_bundled_bytes("noise", &headed).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a valid WebAssembly component"),
        "{err}"
    );
    // A dropped file of noise is reported in `list` with the reason.
    let dir = t.host.plugin_dir().unwrap();
    std::fs::write(dir.join("noise.wasm"), &noise).unwrap();
    let failures = t.host.load_dir().unwrap();
    assert_eq!(failures.len(), 1);
    let rows = t.host.list();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "noise.wasm");
    assert!(
        matches!(&rows[0].state, PluginState::Failed(r) if r.contains("not a WebAssembly file")),
        "{:?}",
        rows[0].state
    );
}

#[test]
fn repeated_failures_quarantine_the_plugin() {
    let t = host_with(|c| {
        c.breaker_failures = 3;
        c.breaker_cooldown_secs = 60;
    });
    let (good, bad) = setup(&t, fixtures::TRAP);
    for _ in 0..3 {
        let err = t
            .host
            .xp_for_activities_blocking(&bad, &ctx(), &xp_items(1))
            .unwrap_err();
        assert!(matches!(err, PluginError::Trap { .. }), "{err:?}");
    }
    let started = Instant::now();
    let err = t
        .host
        .xp_for_activities_blocking(&bad, &ctx(), &xp_items(1))
        .unwrap_err();
    assert!(
        matches!(&err, PluginError::Quarantined { plugin, failures: 3, .. } if *plugin == bad),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(50));
    let row = t.host.list().into_iter().find(|r| r.name == bad).unwrap();
    assert!(
        matches!(row.state, PluginState::Quarantined { retry_in_secs } if retry_in_secs <= 60),
        "{:?}",
        row.state
    );
    good_still_serves(&t.host, &good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_calls_do_not_disturb_concurrent_good_calls() {
    // 200 ms rather than 50: a good call must not time out merely because a loaded two-core
    // machine descheduled it while the loop burns the other core.
    let t = host_with(|c| c.call_timeout_ms = 200);
    let (good, bad) = setup(&t, fixtures::INFINITE_LOOP);
    let host = t.host.clone();
    let hostile = tokio::spawn(async move {
        for _ in 0..5 {
            let _ = host.xp_for_activities(&bad, &ctx(), xp_items(1)).await;
        }
    });
    for _ in 0..200 {
        let xp = t
            .host
            .xp_for_activities(&good, &ctx(), xp_items(2))
            .await
            .expect("good call");
        assert_eq!(xp, vec![10, 10]);
    }
    hostile.await.unwrap();
}

#[test]
fn a_formula_whose_curve_is_unusable_is_refused_at_load() {
    let t = host();
    let bytes = std::fs::read(fixtures::BAD_CURVE).expect("fixture built");
    let err = t
        .host
        .load_bundled_bytes("fixture", &bytes)
        .expect_err("a flat curve cannot level anyone");
    let message = err.to_string();
    assert!(
        message.contains("level curve is unusable")
            && message.contains("level 6 needs 500 XP, level 5 needed 500"),
        "{message}"
    );
}

#[test]
fn check_names_the_host_interfaces_used_and_the_imports_the_sandbox_denies() {
    let t = host();
    let escape = Path::new(fixtures::WASI_ESCAPE);
    let report = t
        .host
        .check_file(escape)
        .expect("it loads: the imports link");
    assert!(
        report
            .sandboxed_imports
            .iter()
            .any(|(name, what)| name.starts_with("wasi:sockets/") && what.contains("no network")),
        "{:?}",
        report.sandboxed_imports
    );
    let good = t
        .host
        .check_file(Path::new(fixtures::GOOD_V1))
        .expect("good fixture");
    assert!(
        good.sandboxed_imports.is_empty(),
        "{:?}",
        good.sandboxed_imports
    );
    // What each uses of the host: the good fixture every interface, the escape none.
    assert_eq!(good.imports, Capability::ALL.to_vec());
    assert!(report.imports.is_empty(), "{:?}", report.imports);
}
