//! A plugin written in JavaScript (`tests/fixtures/js-xp-formula/`, built against `wit/` with
//! componentize-js) loads and serves calls like a Rust one: the contract is
//! language-neutral.
//!
//! The component is built by this test with `node build.mjs` (after `npm ci` in the fixture
//! directory, which `.ci/run` does) and kept in the temp directory under a hash of its
//! sources, so later runs reuse it; its wasmtime compilation is cached by the host's own
//! compile cache. Without `node_modules` the test fails under `CI=true` and prints a notice
//! otherwise, like the PostgreSQL variants.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use crate::support;
use questline::plugins::{
    Activity, ActivityKind, CallContext, MemoryKv, MessageDetails, PluginHost, PluginKind,
    PluginsConfig, ReactionDetails, VoiceDetails, XpContext,
};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/js-xp-formula")
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A cheap, stable fingerprint of the inputs of the build (FNV-1a over their bytes).
fn fingerprint(files: &[PathBuf]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
        for b in f
            .file_name()
            .map(|n| n.as_encoded_bytes().to_vec())
            .unwrap_or_default()
            .iter()
            .chain(&bytes)
        {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The built component, building it when its sources changed; `None` when the JavaScript
/// toolchain is not installed here (outside CI).
fn component() -> Option<PathBuf> {
    let dir = fixture_dir();
    if !dir
        .join("node_modules/@bytecodealliance/componentize-js")
        .is_dir()
    {
        let how = format!("run `npm ci` in {} (needs node 20 and npm)", dir.display());
        assert!(
            !ci(),
            "CI=true but the JavaScript plugin toolchain is missing: {how}"
        );
        eprintln!("NOTICE: skipping the JavaScript plugin test: {how}");
        return None;
    }
    let wit = dir.join("../../../wit");
    let mut inputs: Vec<PathBuf> = [
        "plugin.js",
        "build.mjs",
        "package-lock.json",
        "wit/world.wit",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    let mut contract: Vec<PathBuf> = std::fs::read_dir(&wit)
        .expect("wit/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wit"))
        .collect();
    contract.sort();
    inputs.extend(contract);
    let out = std::env::temp_dir()
        .join("questline-js-plugin")
        .join(format!("js-xp-formula-{:016x}.wasm", fingerprint(&inputs)));
    if !out.is_file() {
        let started = Instant::now();
        let status = Command::new("node")
            .arg("build.mjs")
            .arg(&out)
            .current_dir(&dir)
            .status()
            .expect("node runs (install node 20)");
        assert!(status.success(), "node build.mjs failed: {status}");
        eprintln!("built the JavaScript plugin in {:?}", started.elapsed());
    }
    Some(out)
}

fn item(kind: ActivityKind, since: Option<i64>, rate: f64) -> XpContext {
    XpContext {
        activity: Activity {
            guild: 42,
            channel: 100,
            parent_channel: None,
            user: 7,
            roles: vec![],
            at: 1_700_000_000_000,
            kind,
        },
        stats: support::stats(),
        seconds_since_last_award: since,
        xp_rate: rate,
    }
}

fn message() -> ActivityKind {
    ActivityKind::Message(MessageDetails {
        message_id: 1,
        length: 12,
    })
}

#[test]
fn a_javascript_xp_formula_loads_and_answers() {
    let Some(wasm) = component() else { return };
    let size = std::fs::metadata(&wasm).expect("component").len();
    let base = std::env::temp_dir().join("questline-js-plugin");
    let cfg = PluginsConfig {
        dir: base.join("plugins"),
        // Kept across runs: compiling the JS engine is the slow part; loading a cached
        // artifact is not.
        cache_dir: base.join("cache"),
        hot_reload: false,
        pooling: false,
        ..PluginsConfig::default()
    };
    let host = PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("host");
    let started = Instant::now();
    let info = host
        .load_file(&wasm)
        .unwrap_or_else(|e| panic!("the JavaScript plugin loads: {e}"));
    eprintln!(
        "loaded the JavaScript plugin ({size} bytes) in {:?}",
        started.elapsed()
    );
    assert_eq!(info.name, "js-linear-xp");
    assert_eq!(info.kinds, vec![PluginKind::XpFormula]);
    assert_eq!(
        host.plugins_with_kind(PluginKind::XpFormula),
        vec!["js-linear-xp".to_string()]
    );

    let ctx = CallContext::new(42, 1_700_000_000_000, 7);
    let items = vec![
        item(message(), None, 1.0),
        item(message(), Some(30), 1.0),
        item(message(), Some(90), 2.5),
        item(
            ActivityKind::Reaction(ReactionDetails {
                message_id: 1,
                emoji: "👍".into(),
            }),
            None,
            1.0,
        ),
        item(ActivityKind::Voice(VoiceDetails { seconds: 60 }), None, 1.0),
    ];
    let xp = host
        .xp_for_activities_blocking("js-linear-xp", &ctx, &items)
        .expect("xp-for-activities");
    assert_eq!(xp, vec![10, 0, 25, 2, 0]);

    // The guild's plugin configuration reaches the JavaScript through `config.get`.
    let configured = CallContext {
        config_json: r#"{"per_message": 40}"#.into(),
        ..ctx.clone()
    };
    let xp = host
        .xp_for_activities_blocking("js-linear-xp", &configured, &items[..1])
        .expect("configured call");
    assert_eq!(xp, vec![40]);

    let curve: Vec<i64> = (0..4)
        .map(|l| {
            host.total_xp_for_level_blocking("js-linear-xp", &ctx, l)
                .expect("curve")
        })
        .collect();
    assert_eq!(curve, vec![0, 100, 300, 600]);

    // Hundreds of items in one call stay within the call limits.
    let many: Vec<XpContext> = (0..500).map(|_| item(message(), None, 1.0)).collect();
    let xp = host
        .xp_for_activities_blocking("js-linear-xp", &ctx, &many)
        .expect("a large batch");
    assert_eq!(xp.len(), 500);
    assert!(xp.iter().all(|x| *x == 10));
}
