//! Plugins written in other languages load and serve calls like a Rust one: the contract is
//! language-neutral. The same xp-formula (10 XP per message at most once a minute, 2 per
//! reaction, `{"per_message": N}`, the curve 50·L·(L+1)) is checked in Rust
//! (`tests/fixtures/rust-linear-xp/`, wit-bindgen without the SDK), in JavaScript
//! (`tests/fixtures/js-xp-formula/`, built with componentize-js after `npm ci`) and in Python
//! (`examples/python-xp-formula/`, built with componentize-py from the virtual environment
//! `.ci/run` makes beside it).
//!
//! Each component is built by its test and kept in the temp directory under a hash of its
//! sources, so later runs reuse it; its wasmtime compilation is cached by the host's own
//! compile cache. Without the toolchain the tests fail under `CI=true` and print a notice
//! otherwise, like the PostgreSQL variants.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use crate::support;
use questline::plugins::{
    Activity, ActivityKind, CallContext, Capability, MemoryKv, MessageDetails, PluginHost,
    PluginKind, PluginsConfig, ReactionDetails, VoiceDetails, XpContext,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
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

/// The contract's `.wit` files, sorted (an input of every build).
fn contract_files() -> Vec<PathBuf> {
    let mut contract: Vec<PathBuf> = std::fs::read_dir(repo().join("wit"))
        .expect("wit/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wit"))
        .collect();
    contract.sort();
    contract
}

/// `None` (with a notice) when a toolchain is missing outside CI; a failure under CI.
fn toolchain_missing(language: &str, how: &str) -> Option<PathBuf> {
    assert!(
        !ci(),
        "CI=true but the {language} plugin toolchain is missing: {how}"
    );
    eprintln!("NOTICE: skipping the {language} plugin test: {how}");
    None
}

/// The built JavaScript component, building it when its sources changed.
fn javascript() -> Option<PathBuf> {
    let dir = repo().join("tests/fixtures/js-xp-formula");
    if !dir
        .join("node_modules/@bytecodealliance/componentize-js")
        .is_dir()
    {
        let how = format!("run `npm ci` in {} (needs node 20 and npm)", dir.display());
        return toolchain_missing("JavaScript", &how);
    }
    let mut inputs: Vec<PathBuf> = [
        "plugin.js",
        "build.mjs",
        "package-lock.json",
        "wit/world.wit",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    inputs.extend(contract_files());
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

/// The built Python component, building it when its sources changed.
fn python() -> Option<PathBuf> {
    let dir = repo().join("examples/python-xp-formula");
    let tool = dir.join(".venv/bin/componentize-py");
    if !tool.is_file() {
        let how = format!(
            "run `python3 -m venv .venv && .venv/bin/pip install -r requirements.txt` in {}",
            dir.display()
        );
        return toolchain_missing("Python", &how);
    }
    let mut inputs: Vec<PathBuf> = ["app.py", "requirements.txt", "wit/world.wit"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    inputs.extend(contract_files());
    let base = std::env::temp_dir().join("questline-py-plugin");
    let key = format!("{:016x}", fingerprint(&inputs));
    let out = base.join(format!("py-xp-formula-{key}.wasm"));
    if !out.is_file() {
        // Built from a copy: the embedded interpreter writes `__pycache__` beside its sources.
        let src = base.join(format!("src-{key}"));
        std::fs::create_dir_all(&src).expect("source copy");
        std::fs::copy(dir.join("app.py"), src.join("app.py")).expect("copy app.py");
        let started = Instant::now();
        let status = Command::new(&tool)
            .args(["-q", "-d"])
            .arg(repo().join("wit"))
            .arg("-d")
            .arg(dir.join("wit"))
            .args([
                "-w",
                "questline:py-xp-formula/py-xp-formula",
                "componentize",
                "-p",
            ])
            .arg(&src)
            .arg("app")
            .arg("-o")
            .arg(&out)
            .status()
            .expect("componentize-py runs");
        assert!(status.success(), "componentize-py failed: {status}");
        eprintln!("built the Python plugin in {:?}", started.elapsed());
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
fn the_rust_xp_formula_loads_and_answers() {
    check_linear_xp(
        Path::new(questline_tests::fixtures::RUST_LINEAR_XP),
        "rs-linear-xp",
        "questline-rs-plugin",
    );
}

#[test]
fn a_javascript_xp_formula_loads_and_answers() {
    let built = {
        let _quiet = support::quiet();
        javascript()
    };
    if let Some(wasm) = built {
        check_linear_xp(&wasm, "js-linear-xp", "questline-js-plugin");
    }
}

#[test]
fn a_python_xp_formula_loads_and_answers() {
    let built = {
        let _quiet = support::quiet();
        python()
    };
    if let Some(wasm) = built {
        check_linear_xp(&wasm, "py-linear-xp", "questline-py-plugin");
    }
}

/// Loads the component at `wasm` (plugin `name`) with its compile cache under the temp
/// directory's `base`, and checks every answer of the shared xp-formula.
fn check_linear_xp(wasm: &Path, name: &str, base: &str) {
    let _quiet = support::quiet();
    let size = std::fs::metadata(wasm).expect("component").len();
    let base = std::env::temp_dir().join(base);
    let cfg = PluginsConfig {
        dir: base.join("plugins"),
        // Kept across runs: compiling the language's engine is the slow part; loading a
        // cached artifact is not.
        cache_dir: base.join("cache"),
        hot_reload: false,
        pooling: false,
        ..PluginsConfig::default()
    };
    let host = PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("host");
    let started = Instant::now();
    let info = host
        .load_file(wasm)
        .unwrap_or_else(|e| panic!("{name} loads: {e}"));
    eprintln!("loaded {name} ({size} bytes) in {:?}", started.elapsed());
    assert_eq!(info.name, name);
    assert_eq!(info.kinds, vec![PluginKind::XpFormula]);
    assert_eq!(
        host.plugins_with_kind(PluginKind::XpFormula),
        vec![name.to_string()]
    );
    // The same declarations in every language: what it imports (the load checked that its
    // imports are exactly among these) and its settings schema.
    assert_eq!(
        support::declared(&info),
        [
            (Capability::Log, "warns when the settings are not JSON"),
            (Capability::Config, "reads the server's XP per message"),
        ]
    );
    let schema = host.settings_schema(name).expect("a settings schema");
    let typo = schema
        .validate(&serde_json::json!({"per_mesage": 40}))
        .unwrap_err()
        .to_string();
    assert!(typo.contains("did you mean `per_message`?"), "{typo}");
    let range = schema
        .validate(&serde_json::json!({"per_message": 5000}))
        .unwrap_err()
        .to_string();
    assert!(range.starts_with("`per_message`: 5000"), "{range}");
    assert_eq!(
        schema.with_defaults(&serde_json::json!({})),
        serde_json::json!({"per_message": 10})
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
        .xp_for_activities_blocking(name, &ctx, &items)
        .expect("xp-for-activities");
    assert_eq!(xp, vec![10, 0, 25, 2, 0]);

    // The guild's plugin configuration reaches the plugin through `config.get`.
    let configured = CallContext {
        config_json: r#"{"per_message": 40}"#.into(),
        ..ctx.clone()
    };
    let xp = host
        .xp_for_activities_blocking(name, &configured, &items[..1])
        .expect("configured call");
    assert_eq!(xp, vec![40]);

    let curve: Vec<i64> = (0..4)
        .map(|l| {
            host.total_xp_for_level_blocking(name, &ctx, l)
                .expect("curve")
        })
        .collect();
    assert_eq!(curve, vec![0, 100, 300, 600]);

    // Hundreds of items in one call stay within the call limits.
    let many: Vec<XpContext> = (0..500).map(|_| item(message(), None, 1.0)).collect();
    let xp = host
        .xp_for_activities_blocking(name, &ctx, &many)
        .expect("a large batch");
    assert_eq!(xp.len(), 500);
    assert!(xp.iter().all(|x| *x == 10));
}
