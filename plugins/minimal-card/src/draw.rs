//! The drawing.

use std::fmt::Write;

use questline_plugin_sdk::CardData;
use questline_plugin_sdk::svg::{
    FONT_FAMILY, chars_that_fit, color_or, escape_xml, format_thousands, image_pattern, initials,
    progress_fraction, truncate_chars,
};

const W: f64 = 934.0;
const H: f64 = 282.0;
const PAD: f64 = 56.0;
const AVATAR_R: f64 = 64.0;
const AVATAR_CX: f64 = PAD + AVATAR_R;
const AVATAR_CY: f64 = 118.0;
const TEXT_X: f64 = AVATAR_CX + AVATAR_R + 36.0;
const RIGHT_X: f64 = W - PAD;
const NAME_PX: f64 = 36.0;
const LINE_Y: f64 = 226.0;
const LINE_H: f64 = 8.0;

/// Renders `data` as the minimal card (an SVG document).
pub fn render_minimal(data: &CardData) -> String {
    let accent = color_or(&data.primary_color, "#5865f2");
    let background = color_or(&data.secondary_color, "#ffffff");
    let text = color_or(&data.text_color, "#111827");
    let border = color_or(&data.border_color, "#e5e7eb");
    let (width, height) = size(data);
    let mut s = String::with_capacity(3072);

    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {W} {H}" font-family="{FONT_FAMILY}">"#
    );
    let _ = write!(
        s,
        r#"<defs><clipPath id="name"><rect x="{TEXT_X}" y="60" width="{}" height="64"/></clipPath></defs>"#,
        RIGHT_X - TEXT_X
    );
    // Images are drawn as pattern fills of the shapes they fill, not clipped: see
    // `image_pattern`.
    let (d, x0, y0) = (AVATAR_R * 2.0, AVATAR_CX - AVATAR_R, AVATAR_CY - AVATAR_R);
    // A faint wash of the image: the minimal look stays legible on any picture.
    let wash = data
        .background
        .as_deref()
        .and_then(|bg| image_pattern("bg", bg, (0.0, 0.0, W, H), 0.18));
    let avatar = data
        .avatar
        .as_deref()
        .and_then(|av| image_pattern("avatar", av, (x0, y0, d, d), 1.0));
    for pattern in [&wash, &avatar].into_iter().flatten() {
        let _ = write!(s, "<defs>{pattern}</defs>");
    }
    let _ = write!(
        s,
        r#"<rect width="{W}" height="{H}" rx="16" fill="{background}"/>"#
    );
    if wash.is_some() {
        let _ = write!(
            s,
            r#"<rect width="{W}" height="{H}" rx="16" fill="url(#bg)"/>"#
        );
    }
    let _ = write!(
        s,
        r#"<rect x="0.5" y="0.5" width="{}" height="{}" rx="16" fill="none" stroke="{border}"/>"#,
        W - 1.0,
        H - 1.0
    );

    if avatar.is_some() {
        let _ = write!(
            s,
            r#"<circle cx="{AVATAR_CX}" cy="{AVATAR_CY}" r="{AVATAR_R}" fill="url(#avatar)"/>"#
        );
    } else {
        let _ = write!(
            s,
            r#"<circle cx="{AVATAR_CX}" cy="{AVATAR_CY}" r="{AVATAR_R}" fill="{accent}" fill-opacity="0.15"/><text x="{AVATAR_CX}" y="{AVATAR_CY}" dy="0.35em" text-anchor="middle" font-size="44" font-weight="600" fill="{accent}">{}</text>"#,
            escape_xml(&initials(&data.display_name))
        );
    }

    let name = truncate_chars(
        &data.display_name,
        chars_that_fit(RIGHT_X - TEXT_X, NAME_PX),
    );
    let _ = write!(
        s,
        r#"<text x="{TEXT_X}" y="108" font-size="{NAME_PX}" font-weight="600" fill="{text}" clip-path="url(#name)">{}</text>"#,
        escape_xml(&name)
    );
    let mut line = format!("Level {}", data.level);
    if let Some(rank) = data.rank {
        let _ = write!(line, "  ·  Rank #{rank}");
    }
    let _ = write!(
        s,
        r#"<text x="{TEXT_X}" y="152" font-size="22" fill="{text}" fill-opacity="0.6" xml:space="preserve">{line}</text>"#
    );

    // Progress line across the card, numbers above its right end.
    let line_w = RIGHT_X - PAD;
    let filled = progress_fraction(data.xp_into_level, data.level_span) * line_w;
    let _ = write!(
        s,
        r#"<text x="{RIGHT_X}" y="{}" text-anchor="end" font-size="18" fill="{text}" fill-opacity="0.6">{} / {} XP  ·  {} total</text>"#,
        LINE_Y - 18.0,
        format_thousands(data.xp_into_level),
        format_thousands(data.level_span),
        format_thousands(data.total_xp)
    );
    let _ = write!(
        s,
        r#"<rect x="{PAD}" y="{LINE_Y}" width="{line_w}" height="{LINE_H}" rx="{r}" fill="{text}" fill-opacity="0.08"/>"#,
        r = LINE_H / 2.0
    );
    if filled > 0.0 {
        let _ = write!(
            s,
            r#"<rect x="{PAD}" y="{LINE_Y}" width="{w:.1}" height="{LINE_H}" rx="{r}" fill="{accent}"/>"#,
            w = filled.max(LINE_H),
            r = LINE_H / 2.0
        );
    }
    s.push_str("</svg>");
    s
}

fn size(data: &CardData) -> (u32, u32) {
    let ok = |v: u32| (16..=4096).contains(&v);
    if ok(data.width) && ok(data.height) {
        (data.width, data.height)
    } else {
        (934, 282)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CardData {
        CardData {
            width: 934,
            height: 282,
            display_name: "Grace Hopper".into(),
            avatar: None,
            level: 7,
            rank: Some(42),
            xp_into_level: 250,
            level_span: 1_000,
            total_xp: 4_321,
            primary_color: "#10b981".into(),
            secondary_color: "#ffffff".into(),
            border_color: "#e5e7eb".into(),
            text_color: "#111827".into(),
            background: None,
            guild_name: "Compilers".into(),
        }
    }

    fn balanced(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn contains_the_values() {
        let svg = render_minimal(&sample());
        balanced(&svg);
        for needle in [
            "Grace Hopper",
            "Level 7",
            "Rank #42",
            "250 / 1,000 XP",
            "4,321 total",
            "#10b981",
            "GH",
            "Inter, DejaVu Sans, sans-serif",
        ] {
            assert!(svg.contains(needle), "missing {needle}");
        }
        // 25% of the 822-wide line.
        assert!(svg.contains(r#"width="205.5""#), "{svg}");
    }

    #[test]
    fn escapes_and_truncates_names() {
        let svg = render_minimal(&CardData {
            display_name: "<script>&".into(),
            ..sample()
        });
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;"));
        let long = "M".repeat(100);
        let svg = render_minimal(&CardData {
            display_name: long.clone(),
            ..sample()
        });
        assert!(!svg.contains(&long) && svg.contains('…'));
    }

    #[test]
    fn avatar_circle_background_wash_and_unranked() {
        let svg = render_minimal(&CardData {
            avatar: Some("data:image/webp;base64,QQ==".into()),
            background: Some("data:image/png;base64,Qg==".into()),
            rank: None,
            ..sample()
        });
        assert!(
            svg.contains(r#"fill="url(#avatar)""#)
                && svg.contains(r#"<pattern id="avatar""#)
                && svg.contains("data:image/webp;base64,QQ==")
        );
        assert!(svg.contains(r#"fill="url(#bg)""#) && svg.contains(r#"opacity="0.18""#));
        assert!(!svg.contains("xlink:href"), "one copy of each image");
        assert!(!svg.contains("Rank"));
        balanced(&svg);
    }
}
