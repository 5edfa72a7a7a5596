//! A hostile card-style plugin (`tests/fixtures/hostile-card`) is contained: its references
//! are not fetched or read, limits apply, and the member gets the fallback card with a clear
//! error.

/// Recognises the error a case must produce.
type Expect = fn(&CardError) -> bool;

use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use questline::cards::styles::{available_styles, render_card_blocking, style_names};
use questline::cards::{CardData, CardError, CardRenderer, CardsConfig, validate_style};
use questline::plugins::{CallContext, MemoryKv, PluginHost, PluginsConfig};
use questline_tests::fixtures;

fn hostile_host() -> (PluginHost, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = PluginsConfig {
        dir: dir.path().join("plugins"),
        cache_dir: dir.path().join("cache"),
        // Refusals are expected here; never quarantine the fixture mid-test.
        breaker_failures: u32::MAX,
        call_timeout_ms: 2_000,
        ..PluginsConfig::default()
    };
    let host = PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("plugin host");
    host.load_file(std::path::Path::new(fixtures::HOSTILE_CARD))
        .expect("hostile card fixture loads");
    (host, dir)
}

fn ctx() -> CallContext {
    CallContext::new(1, 1_700_000_000_000, 0)
}

#[test]
fn limits_apply_and_the_fallback_card_comes_back() {
    let (host, _dir) = hostile_host();
    let renderer = CardRenderer::new(&CardsConfig::default());
    let data = CardData::sample();
    let cases: &[(&str, Expect)] = &[
        ("huge", |e| matches!(e, CardError::SvgTooLarge { .. })),
        (
            "script",
            |e| matches!(e, CardError::Forbidden { element } if element == "script"),
        ),
        ("elements", |e| {
            matches!(e, CardError::TooManyElements { .. })
        }),
        ("deep", |e| matches!(e, CardError::TooDeep { .. })),
        (
            "refuse",
            |e| matches!(e, CardError::Plugin(m) if m.contains("refuses to draw")),
        ),
    ];
    for (style, expected) in cases {
        let card = render_card_blocking(&host, &renderer, &ctx(), style, &data);
        let err = card
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{style} was rendered"));
        assert!(expected(err), "{style}: unexpected error {err}");
        let img = decode(&card.png);
        assert_eq!(img.dimensions(), (934, 282), "{style}");
        assert!(
            has_color(&img, [0x58, 0x65, 0xf2]),
            "{style}: not the fallback card"
        );
        assert!(
            !has_color(&img, [255, 0, 0]),
            "{style}: the hostile drawing leaked"
        );
    }
}

#[tokio::test]
async fn references_are_not_fetched_or_read() {
    let server = serve(|_| Reply::Body(200, solid(8, 8, [0, 255, 0]))).await;
    let (host, _dir) = hostile_host();
    let mut data = CardData::sample();
    data.guild_name = server.url("/tracker.png");
    let card = tokio::task::spawn_blocking(move || {
        let renderer = CardRenderer::new(&CardsConfig::default());
        render_card_blocking(&host, &renderer, &ctx(), "external", &data)
    })
    .await
    .expect("join");
    // The SVG is otherwise fine: it renders, without any of its images.
    assert!(card.error.is_none(), "{:?}", card.error);
    let img = decode(&card.png);
    assert!(
        !has_color(&img, [0, 255, 0]),
        "a referenced image was drawn"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        server.hits(),
        0,
        "the host connected to a URL from plugin SVG"
    );
}

#[test]
fn foreign_images_and_canvas_sizes_are_ignored() {
    let (host, _dir) = hostile_host();
    let renderer = CardRenderer::new(&CardsConfig::default());
    let data = CardData::sample();
    let started = std::time::Instant::now();
    let bomb = render_card_blocking(&host, &renderer, &ctx(), "bomb-image", &data);
    assert!(bomb.error.is_none(), "{:?}", bomb.error);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the bomb image was decoded"
    );
    let giant = render_card_blocking(&host, &renderer, &ctx(), "giant-size", &data);
    assert!(giant.error.is_none(), "{:?}", giant.error);
    assert_eq!(decode(&giant.png).dimensions(), (934, 282));
}

#[test]
fn unknown_styles_get_a_clear_error() {
    let (host, _dir) = hostile_host();
    let renderer = CardRenderer::new(&CardsConfig::default());
    let card = render_card_blocking(&host, &renderer, &ctx(), "sparkles", &CardData::sample());
    let err = card.error.expect("unknown style");
    assert!(matches!(err, CardError::UnknownStyle { .. }), "{err}");
    assert!(err.to_string().contains("`huge`"), "{err}");
    assert_eq!(decode(&card.png).dimensions(), (934, 282));
    let names = style_names(&available_styles(&host, &ctx()));
    assert_eq!(validate_style("SCRIPT", &names).expect("known"), "script");
    let err = validate_style("sparkles", &names).unwrap_err();
    assert!(err.to_string().contains("choose one of"), "{err}");
}
