//! Golden images: each bundled card style, rendered from fixed data through the real plugin
//! runtime, must match its committed reference PNG in `tests/golden/` within a small
//! per-pixel tolerance.
//!
//! After an intended change to a style, regenerate the references and look at them:
//!   QUESTLINE_BLESS=1 cargo test -p questline-tests --test cards golden::
//! then commit `tests/golden/*.png`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::support::*;
use questline::cards::styles::{available_styles, render_card_blocking};
use questline::cards::{CardRenderer, CardsConfig};
use questline::plugins::{CallContext, MemoryKv, PluginHost, PluginsConfig};

/// A channel may differ by this much (anti-aliasing differences between CPUs)...
const TOLERANCE: u8 = 8;
/// ...in at most this share of pixels.
const MAX_DIFFERING: f64 = 0.002;
/// The bundled styles; each must have a reference.
const BUNDLED_STYLES: &[&str] = &["classic", "minimal"];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden")
}

fn bless() -> bool {
    std::env::var_os("QUESTLINE_BLESS").is_some_and(|v| v == "1")
}

fn bundled_host() -> (PluginHost, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = PluginsConfig {
        dir: dir.path().join("plugins"),
        cache_dir: dir.path().join("cache"),
        ..PluginsConfig::default()
    };
    let host = PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("plugin host");
    let failures = host.load_bundled(questline::bundled::BUNDLED);
    assert!(failures.is_empty(), "bundled plugins failed: {failures:?}");
    (host, dir)
}

/// Compares `png` with the reference `name`, or writes it when blessing.
fn check_golden(name: &str, png: &[u8]) {
    let path = golden_dir().join(format!("{name}.png"));
    if bless() {
        std::fs::create_dir_all(golden_dir()).expect("mkdir");
        std::fs::write(&path, png).expect("write golden");
        eprintln!("blessed {}", path.display());
        return;
    }
    let reference = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "missing golden image {} ({e}); generate it with QUESTLINE_BLESS=1 cargo test -p questline-tests --test cards golden::",
            path.display()
        )
    });
    let got = decode(png);
    let share = differing_share(&got, &decode(&reference), TOLERANCE);
    if share > MAX_DIFFERING {
        let actual = std::env::temp_dir().join(format!("questline-golden-{name}-actual.png"));
        let _ = std::fs::write(&actual, png);
        panic!(
            "{name}: {:.3}% of pixels differ from {} (allowed {:.3}%); the new rendering is at {}. If the change is intended, re-bless with QUESTLINE_BLESS=1.",
            share * 100.0,
            path.display(),
            MAX_DIFFERING * 100.0,
            actual.display()
        );
    }
}

#[test]
fn bundled_styles_match_their_golden_images() {
    let (host, _dir) = bundled_host();
    let ctx = CallContext::new(1, 1_700_000_000_000, 0);
    let styles: Vec<String> = available_styles(&host, &ctx)
        .into_iter()
        .map(|e| e.style)
        .collect();
    let renderer = CardRenderer::new(&CardsConfig::default());
    let data = golden_data();
    for style in BUNDLED_STYLES {
        assert!(
            styles.iter().any(|s| s == style),
            "bundled style {style} missing: {styles:?}"
        );
        let card = render_card_blocking(&host, &renderer, &ctx, style, &data);
        assert!(card.error.is_none(), "{style}: {:?}", card.error);
        assert_eq!(decode(&card.png).dimensions(), (934, 282));
        check_golden(style, &card.png);
    }
    check_golden("fallback", &renderer.render_fallback(&data));
}

#[test]
fn the_comparison_notices_a_real_change() {
    let (host, _dir) = bundled_host();
    let ctx = CallContext::new(1, 1_700_000_000_000, 0);
    let renderer = CardRenderer::new(&CardsConfig::default());
    let base = golden_data();
    let mut changed = base.clone();
    changed.level = 43;
    changed.xp_into_level = 100;
    changed.primary_color = "#e91e63".to_owned();
    for style in BUNDLED_STYLES {
        let a = decode(&render_card_blocking(&host, &renderer, &ctx, style, &base).png);
        let b = decode(&render_card_blocking(&host, &renderer, &ctx, style, &changed).png);
        let share = differing_share(&a, &b, TOLERANCE);
        assert!(
            share > MAX_DIFFERING,
            "{style}: a changed card differs in only {share}"
        );
    }
}
