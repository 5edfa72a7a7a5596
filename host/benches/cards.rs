//! Rank-card benchmarks (`cargo bench -p questline --bench cards`): cards rendered per second
//! on one core, for each bundled card style, end to end (plugin call → SVG → checks → PNG).
//!
//! - `warm`: the process-wide font database and an avatar already fetched and embedded (the
//!   image cache hit): what a busy bot pays per `/rank`.
//! - `cold`: a freshly built font database and the avatar decoded, scaled and re-encoded from
//!   its original bytes (an image cache miss, minus the network): the first card after start.
//!
//! Criterion reports `thrpt` in elements/s = cards per second.

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use questline::cards::fonts::fresh_font_db;
use questline::cards::styles::{available_styles, render_card_blocking};
use questline::cards::{CardData, CardRenderer, CardsConfig, ImageKind, embed_image};
use questline::plugins::{CallContext, MemoryKv, PluginHost, PluginsConfig};

/// A 512x512 photo-like avatar (Discord serves avatars at up to 512 px for `size=512`).
fn avatar_bytes() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(512, 512, |x, y| {
        image::Rgba([(x / 2) as u8, (y / 2) as u8, ((x ^ y) % 256) as u8, 255])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode");
    out
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plugins_cfg = PluginsConfig {
        dir: tmp.path().join("plugins"),
        cache_dir: tmp.path().join("cache"),
        breaker_failures: u32::MAX,
        ..PluginsConfig::default()
    };
    let host = PluginHost::new(&plugins_cfg, Arc::new(MemoryKv::new())).expect("plugin host");
    for (name, err) in host.load_bundled(questline::bundled::BUNDLED) {
        eprintln!("bundled plugin {name} failed to load: {err}");
    }
    let ctx = CallContext::new(1, 1_700_000_000_000, 0);
    let cfg = CardsConfig::default();
    let raw_avatar = avatar_bytes();
    let mut data = CardData::sample();
    data.avatar = Some(
        embed_image(&cfg, &raw_avatar, ImageKind::Avatar)
            .expect("avatar")
            .data_url,
    );
    let warm = CardRenderer::new(&cfg);

    let mut group = c.benchmark_group("cards");
    group.throughput(Throughput::Elements(1));
    for entry in available_styles(&host, &ctx) {
        let style = entry.style;
        let probe = render_card_blocking(&host, &warm, &ctx, &style, &data);
        assert!(probe.error.is_none(), "{style}: {:?}", probe.error);
        group.bench_function(format!("{style}/warm"), |b| {
            b.iter(|| black_box(render_card_blocking(&host, &warm, &ctx, &style, &data)))
        });
        group.bench_function(format!("{style}/cold"), |b| {
            b.iter(|| {
                let renderer = CardRenderer::with_fonts(&cfg, fresh_font_db());
                let mut cold = data.clone();
                cold.avatar = Some(
                    embed_image(&cfg, &raw_avatar, ImageKind::Avatar)
                        .expect("avatar")
                        .data_url,
                );
                black_box(render_card_blocking(&host, &renderer, &ctx, &style, &cold))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
