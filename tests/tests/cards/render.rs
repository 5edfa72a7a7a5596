//! The renderer contains plugin SVG: nothing outside the card data is loaded, limits apply,
//! and every failure still yields a PNG (the fallback card).

/// Recognises the error a case must produce.
type Expect = fn(&CardError) -> bool;

use std::time::Duration;

use crate::support::*;
use questline::cards::{CardData, CardError, CardRenderer, CardsConfig, ImageKind, embed_image};

fn renderer() -> CardRenderer {
    CardRenderer::new(&CardsConfig::default())
}

fn svg(body: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="934" height="282" viewBox="0 0 934 282"><rect width="934" height="282" fill="black"/>{body}</svg>"#
    )
}

#[tokio::test]
async fn external_references_are_never_loaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let red = dir.path().join("red.png");
    std::fs::write(&red, solid(16, 16, [255, 0, 0])).expect("write");
    let server = serve(|_| Reply::Body(200, solid(16, 16, [255, 0, 0]))).await;
    let body = format!(
        r#"<image href="{url}" width="934" height="282"/><image xlink:href="file://{p}" width="934" height="282"/><image href="{p}" width="934" height="282"/><use href="{url}#x"/><style>@import url("{url}");</style>"#,
        url = server.url("/red.png"),
        p = red.display()
    );
    let data = CardData::sample();
    let png = tokio::task::spawn_blocking(move || renderer().render_svg(&svg(&body), &data))
        .await
        .expect("join")
        .expect("renders, ignoring the references");
    let img = decode(&png);
    assert!(!has_color(&img, [255, 0, 0]), "an external image was drawn");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        server.hits(),
        0,
        "the renderer connected to a URL in the SVG"
    );
}

#[test]
fn only_images_the_host_embedded_are_drawn() {
    let cfg = CardsConfig::default();
    let green = embed_image(&cfg, &solid(8, 8, [0, 255, 0]), ImageKind::Avatar).expect("embed");
    let blue = embed_image(&cfg, &solid(8, 8, [0, 0, 255]), ImageKind::Avatar).expect("embed");
    let mut data = CardData::sample();
    data.avatar = Some(green.data_url.clone());
    let body = format!(
        r#"<image href="{}" x="0" y="0" width="400" height="282"/><image href="{}" x="500" y="0" width="400" height="282"/>"#,
        green.data_url, blue.data_url
    );
    let img = decode(&renderer().render_svg(&svg(&body), &data).expect("renders"));
    assert!(
        has_color(&img, [0, 255, 0]),
        "the host-embedded avatar is drawn"
    );
    assert!(
        !has_color(&img, [0, 0, 255]),
        "a plugin-supplied data: image was drawn"
    );
}

#[test]
fn the_host_chooses_the_output_size() {
    let giant = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="100000" height="100000" fill="green"/></svg>"#;
    let mut data = CardData::sample();
    let img = decode(&renderer().render_svg(giant, &data).expect("renders"));
    assert_eq!(img.dimensions(), (934, 282));
    data.width = 100_000;
    let err = renderer().render_svg(giant, &data).unwrap_err();
    assert!(matches!(err, CardError::BadSize { .. }), "{err}");
    // The fallback card copes with a bad size too.
    let fallback = decode(&renderer().render_fallback(&data));
    assert_eq!(fallback.dimensions(), (934, 282));
}

#[test]
fn text_is_clipped_to_the_canvas() {
    let long = "W".repeat(400);
    let body = format!(r#"<text x="10" y="150" font-size="60" fill="white">{long}</text>"#);
    let img = decode(
        &renderer()
            .render_svg(&svg(&body), &CardData::sample())
            .expect("renders"),
    );
    assert_eq!(img.dimensions(), (934, 282));
    // The text reaches the right edge and is cut there, not wrapped or rescaled.
    let edge_lit = (0..282).any(|y| img.get_pixel(933, y).0[0] > 200);
    assert!(
        edge_lit,
        "the text should run to the edge and be clipped there"
    );
}

#[test]
fn failures_yield_the_fallback_card_with_the_reason() {
    let r = renderer();
    let data = CardData::sample();
    let cases: Vec<(String, Expect)> = vec![
        (svg(&" ".repeat(600 * 1024)), |e| {
            matches!(e, CardError::SvgTooLarge { .. })
        }),
        (svg(&"<g/>".repeat(100_000)), |e| {
            matches!(e, CardError::TooManyElements { .. })
        }),
        (
            svg(&format!("{}{}", "<g>".repeat(1000), "</g>".repeat(1000))),
            |e| matches!(e, CardError::TooDeep { .. }),
        ),
        (svg("<script>alert(1)</script>"), |e| {
            matches!(e, CardError::Forbidden { .. })
        }),
        ("not svg at all".to_owned(), |e| {
            matches!(e, CardError::InvalidSvg(_))
        }),
    ];
    for (doc, expected) in cases {
        let card = r.render_or_fallback(Ok(doc), &data);
        let err = card.error.as_ref().expect("a reason");
        assert!(expected(err), "unexpected error: {err}");
        let img = decode(&card.png);
        assert_eq!(img.dimensions(), (934, 282));
        // The fallback card is the host's: its progress bar uses the primary colour.
        assert!(
            has_color(&img, [0x58, 0x65, 0xf2]),
            "not the fallback card for {err}"
        );
    }
    let refused = r.render_or_fallback(Err(CardError::Plugin("nope".into())), &data);
    assert!(refused.is_fallback());
    assert!(refused.error.expect("reason").to_string().contains("nope"));
}

#[test]
fn rendering_is_deterministic() {
    let data = CardData::sample();
    let a = renderer().render_fallback(&data);
    let b = CardRenderer::with_fonts(
        &CardsConfig::default(),
        questline::cards::fonts::fresh_font_db(),
    )
    .render_fallback(&data);
    assert_eq!(a, b);
}

#[test]
fn non_latin_names_render_and_emoji_fall_back_cleanly() {
    let (_, data) = questline::cards::CardDataBuilder::new("Zoë Привет 🔥 李", 3, 250, (50, 155))
        .rank(Some(9))
        .build();
    assert_eq!(data.display_name, "Zoë Привет");
    let only_emoji = questline::cards::CardDataBuilder::new("🔥🎮", 1, 0, (0, 100))
        .build()
        .1;
    assert_eq!(only_emoji.display_name, "Member");
    let img = decode(&renderer().render_fallback(&data));
    assert!(has_color(&img, [255, 255, 255]), "the name is drawn");
}
