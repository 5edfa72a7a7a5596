//! The drawing.

use std::fmt::Write;

use questline_plugin_sdk::CardData;
use questline_plugin_sdk::svg::{
    FONT_FAMILY, chars_that_fit, color_or, escape_xml, format_compact, format_thousands,
    image_pattern, initials, is_image_data_url, over, progress_fraction, truncate_chars,
};

/// The layout's coordinate space.
const W: f64 = 934.0;
const H: f64 = 282.0;
const AVATAR_CX: f64 = 141.0;
const AVATAR_CY: f64 = 141.0;
const AVATAR_R: f64 = 96.0;
const TEXT_X: f64 = 270.0;
const RIGHT_X: f64 = 894.0;
const BAR_Y: f64 = 176.0;
const BAR_H: f64 = 38.0;
const NAME_PX: f64 = 42.0;
/// The name's box: a name wider than the estimate is clipped to it, never drawn over the card.
const NAME_W: f64 = RIGHT_X - TEXT_X;

/// Renders `data` as the classic card (an SVG document).
pub fn render_classic(data: &CardData) -> String {
    let primary = color_or(&data.primary_color, "#5865f2");
    let secondary = color_or(&data.secondary_color, "#23272a");
    let border = color_or(&data.border_color, "#ffffff");
    let text = color_or(&data.text_color, "#ffffff");
    let (width, height) = size(data);
    let mut s = String::with_capacity(4096);

    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {W} {H}" font-family="{FONT_FAMILY}">"#
    );
    let _ = write!(
        s,
        r#"<defs><clipPath id="name"><rect x="{TEXT_X}" y="100" width="{NAME_W}" height="70"/></clipPath><linearGradient id="bar" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="{primary}"/><stop offset="1" stop-color="{primary}" stop-opacity="0.75"/></linearGradient></defs>"#
    );

    // Panel, background image with a shade for legibility, border. Only a background image
    // needs the rounded clip: a clipped group is drawn on a layer of its own and masked, which
    // cost about a tenth of a card, so a plain panel is a rounded rectangle instead.
    // The avatar is drawn as a pattern fill of its circle, not a clipped image (see
    // `image_pattern`). Over a flat colour the dark inner panel is one opaque colour (`over`).
    // A background image stays a clipped group: drawn as one, the colour under it, the image
    // and the veil share one anti-aliased edge; three rounded fills would fringe the corners.
    let (d, x0) = (AVATAR_R * 2.0, AVATAR_CX - AVATAR_R);
    let avatar = data
        .avatar
        .as_deref()
        .and_then(|av| image_pattern("avatar", av, (x0, x0, d, d), 1.0));
    if let Some(pattern) = &avatar {
        let _ = write!(s, "<defs>{pattern}</defs>");
    }
    let (inset, panel_w, panel_h) = (20.0, W - 40.0, H - 40.0);
    match data.background.as_deref().filter(|u| is_image_data_url(u)) {
        Some(bg) => {
            let _ = write!(
                s,
                r#"<defs><clipPath id="card"><rect width="{W}" height="{H}" rx="24"/></clipPath></defs><g clip-path="url(#card)"><rect width="{W}" height="{H}" fill="{secondary}"/><image href="{bg}" width="{W}" height="{H}" preserveAspectRatio="xMidYMid slice"/><rect width="{W}" height="{H}" fill="black" fill-opacity="0.45"/></g><rect x="{inset}" y="{inset}" width="{panel_w}" height="{panel_h}" rx="18" fill="black" fill-opacity="0.25"/>"#
            );
        }
        None => {
            let _ = write!(
                s,
                r#"<rect width="{W}" height="{H}" rx="24" fill="{secondary}"/><rect x="{inset}" y="{inset}" width="{panel_w}" height="{panel_h}" rx="18" fill="{}"/>"#,
                over("#000000", 0.25, secondary)
            );
        }
    }
    let _ = write!(
        s,
        r#"<rect x="2" y="2" width="{}" height="{}" rx="23" fill="none" stroke="{border}" stroke-opacity="0.35" stroke-width="4"/>"#,
        W - 4.0,
        H - 4.0
    );

    if avatar.is_some() {
        let _ = write!(
            s,
            r#"<circle cx="{AVATAR_CX}" cy="{AVATAR_CY}" r="{AVATAR_R}" fill="url(#avatar)"/>"#
        );
    } else {
        let _ = write!(
            s,
            r#"<circle cx="{AVATAR_CX}" cy="{AVATAR_CY}" r="{AVATAR_R}" fill="{primary}"/><text x="{AVATAR_CX}" y="{AVATAR_CY}" dy="0.35em" text-anchor="middle" font-size="64" font-weight="700" fill="white">{}</text>"#,
            escape_xml(&initials(&data.display_name))
        );
    }
    let _ = write!(
        s,
        r#"<circle cx="{AVATAR_CX}" cy="{AVATAR_CY}" r="{}" fill="none" stroke="{border}" stroke-width="6"/>"#,
        AVATAR_R + 3.0
    );

    // Rank and level, top right.
    let mut stats = String::new();
    if let Some(rank) = data.rank {
        let _ = write!(
            stats,
            r#"<tspan font-size="22" fill-opacity="0.7">RANK </tspan><tspan font-size="44" font-weight="700">#{rank}</tspan><tspan>   </tspan>"#
        );
    }
    let _ = write!(
        stats,
        r#"<tspan font-size="22" fill="{primary}">LEVEL </tspan><tspan font-size="44" font-weight="700" fill="{primary}">{}</tspan>"#,
        data.level
    );
    let _ = write!(
        s,
        r#"<text x="{RIGHT_X}" y="82" text-anchor="end" fill="{text}" xml:space="preserve">{stats}</text>"#
    );

    // Name, fitted by a character estimate and clipped to its box in case the estimate is short.
    let name = truncate_chars(&data.display_name, chars_that_fit(NAME_W, NAME_PX));
    let _ = write!(
        s,
        r#"<text x="{TEXT_X}" y="152" font-size="{NAME_PX}" font-weight="700" fill="{text}" clip-path="url(#name)">{}</text>"#,
        escape_xml(&name)
    );

    // Progress bar.
    let bar_w = RIGHT_X - TEXT_X;
    let filled = progress_fraction(data.xp_into_level, data.level_span) * bar_w;
    let _ = write!(
        s,
        r#"<rect x="{TEXT_X}" y="{BAR_Y}" width="{bar_w}" height="{BAR_H}" rx="{r}" fill="{text}" fill-opacity="0.15"/>"#,
        r = BAR_H / 2.0
    );
    if filled > 0.0 {
        let _ = write!(
            s,
            r#"<rect x="{TEXT_X}" y="{BAR_Y}" width="{w:.1}" height="{BAR_H}" rx="{r}" fill="url(#bar)"/>"#,
            w = filled.max(BAR_H),
            r = BAR_H / 2.0
        );
    }

    // Footer: total XP and XP into the level.
    let _ = write!(
        s,
        r#"<text x="{TEXT_X}" y="250" font-size="20" fill="{text}" fill-opacity="0.75">Total {} XP</text>"#,
        format_thousands(data.total_xp)
    );
    let _ = write!(
        s,
        r#"<text x="{RIGHT_X}" y="250" text-anchor="end" font-size="22" fill="{text}" fill-opacity="0.85">{} / {} XP</text>"#,
        format_compact(data.xp_into_level),
        format_compact(data.level_span)
    );
    // Guild name, top left, opposite rank and level.
    let guild = truncate_chars(&data.guild_name, 16);
    let _ = write!(
        s,
        r#"<text x="{TEXT_X}" y="80" font-size="20" fill="{text}" fill-opacity="0.55">{}</text>"#,
        escape_xml(&guild)
    );
    s.push_str("</svg>");
    s
}

/// The requested pixel size, or the default when the host sent nonsense.
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
            display_name: "Ada Lovelace".into(),
            avatar: None,
            level: 12,
            rank: Some(3),
            xp_into_level: 450,
            level_span: 1_000,
            total_xp: 12_345,
            primary_color: "#ff7a00".into(),
            secondary_color: "#1e1f22".into(),
            border_color: "#ffffff".into(),
            text_color: "#f2f3f5".into(),
            background: None,
            guild_name: "Rustaceans".into(),
        }
    }

    fn balanced(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(
            svg.matches('<').count(),
            svg.matches('>').count(),
            "angle brackets balance"
        );
        let opens = svg.matches("<text").count();
        assert_eq!(opens, svg.matches("</text>").count());
    }

    #[test]
    fn contains_the_values() {
        let svg = render_classic(&sample());
        balanced(&svg);
        for needle in [
            "Ada Lovelace",
            ">12<",
            "#3",
            "12,345",
            "450 / 1K XP",
            "#ff7a00",
            "Rustaceans",
            "AL",
            "Inter, DejaVu Sans, sans-serif",
        ] {
            assert!(svg.contains(needle), "missing {needle} in {svg}");
        }
        assert!(svg.contains(r#"width="280.8""#), "bar is 45% of 624: {svg}");
    }

    #[test]
    fn escapes_names() {
        let svg = render_classic(&CardData {
            display_name: "<script>alert(1)</script>".into(),
            ..sample()
        });
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        balanced(&svg);
    }

    #[test]
    fn truncates_long_names() {
        let long = "W".repeat(80);
        let svg = render_classic(&CardData {
            display_name: long.clone(),
            ..sample()
        });
        assert!(!svg.contains(&long));
        assert!(svg.contains('…'));
    }

    #[test]
    fn avatar_background_and_bad_colours() {
        let svg = render_classic(&CardData {
            avatar: Some("data:image/png;base64,AAAA".into()),
            background: Some("data:image/jpeg;base64,BBBB".into()),
            primary_color: "javascript:alert(1)".into(),
            rank: None,
            ..sample()
        });
        assert!(svg.contains(r#"fill="url(#avatar)""#));
        assert!(!svg.contains("xlink:href"), "one copy of each image");
        assert!(svg.contains("data:image/png;base64,AAAA"));
        assert!(svg.contains("data:image/jpeg;base64,BBBB"));
        assert!(!svg.contains("javascript"));
        assert!(svg.contains("#5865f2"));
        assert!(!svg.contains("RANK"));
        let hostile = render_classic(&CardData {
            avatar: Some("http://evil/x.png".into()),
            ..sample()
        });
        assert!(!hostile.contains("evil"));
    }

    #[test]
    fn empty_and_full_bars() {
        let empty = render_classic(&CardData {
            xp_into_level: 0,
            ..sample()
        });
        assert!(!empty.contains(r#"fill="url(#bar)""#));
        let full = render_classic(&CardData {
            xp_into_level: 5_000,
            ..sample()
        });
        assert!(full.contains(r#"width="624.0""#));
        let weird = render_classic(&CardData {
            width: 0,
            height: 0,
            level_span: 0,
            ..sample()
        });
        assert!(weird.contains(r#"width="934" height="282""#));
    }
}
