//! Helpers for card styles: XML escaping, text fitting, numbers, colours, progress.
//!
//! WHY here: every card style needs the same careful escaping (display names are user input)
//! and the same maths; getting them once right beats every style getting them almost right.

/// The font stack card styles should use: the host's rasteriser ships these.
pub const FONT_FAMILY: &str = "Inter, DejaVu Sans, sans-serif";

/// Escapes text for XML content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max_chars` characters, ending with `…` when cut.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let keep = max_chars.saturating_sub(1);
    let mut out: String = text
        .chars()
        .take(keep)
        .collect::<String>()
        .trim_end()
        .to_string();
    out.push('…');
    out
}

/// How many characters of a font of `font_px` fit in `width_px`, by a width estimate
/// (an average glyph is about 0.6 em in the fonts of [`FONT_FAMILY`]).
pub fn chars_that_fit(width_px: f64, font_px: f64) -> usize {
    if font_px <= 0.0 {
        return 0;
    }
    (width_px / (font_px * 0.6)).floor().max(1.0) as usize
}

/// Up to two initials for an avatar placeholder (`"Ada Lovelace"` → `"AL"`; `"?"` if none).
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".to_string()
    } else {
        letters
    }
}

/// `n` with thousands separators: `1234567` → `1,234,567`.
pub fn format_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `n` compact: `950`, `12.3K`, `4.5M`, `1.2B`.
pub fn format_compact(n: i64) -> String {
    let a = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    let (v, suffix) = if a >= 1e9 {
        (a / 1e9, "B")
    } else if a >= 1e6 {
        (a / 1e6, "M")
    } else if a >= 1e3 {
        (a / 1e3, "K")
    } else {
        return n.to_string();
    };
    let text = format!("{v:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{sign}{text}{suffix}")
}

/// `color` if it is a `#rrggbb` (or `#rgb`) colour, else `fallback`.
///
/// WHY: colours come from members' `/card` settings; only a strict hex value is safe to put
/// in an attribute.
pub fn color_or<'a>(color: &'a str, fallback: &'a str) -> &'a str {
    let hex = color.strip_prefix('#').unwrap_or("");
    if (hex.len() == 6 || hex.len() == 3) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        color
    } else {
        fallback
    }
}

/// `top` laid at `alpha` (0 to 1) over the opaque colour `under`, as one opaque `#rrggbb`.
/// Both are `#rrggbb` or `#rgb` (pass them through [`color_or`] first); when either is not,
/// `under` is returned unchanged.
///
/// WHY: the rasteriser blends a translucent fill pixel by pixel but copies an opaque one; over
/// a flat colour both look the same, and on a full-card panel the opaque one saves about a
/// sixth of the card's drawing time. Over an image, keep the translucent fill.
pub fn over(top: &str, alpha: f64, under: &str) -> String {
    let (Some(t), Some(u)) = (rgb(top), rgb(under)) else {
        return under.to_owned();
    };
    let a = if alpha.is_finite() {
        alpha.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |i: usize| (f64::from(t[i]) * a + f64::from(u[i]) * (1.0 - a)).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2))
}

/// The channels of a `#rrggbb` or `#rgb` colour.
fn rgb(color: &str) -> Option<[u8; 3]> {
    let hex = color.strip_prefix('#')?;
    if !hex.is_ascii() {
        return None;
    }
    let channel = |s: &str| u8::from_str_radix(s, 16).ok();
    match hex.len() {
        6 => Some([
            channel(&hex[0..2])?,
            channel(&hex[2..4])?,
            channel(&hex[4..6])?,
        ]),
        3 => {
            let short = |i: usize| channel(&hex[i..=i]).map(|v| v * 17);
            Some([short(0)?, short(1)?, short(2)?])
        }
        _ => None,
    }
}

/// A `<pattern>` (for `<defs>`) that paints the image `href` over the box `x, y, width,
/// height` in user units, cropped to cover it (`slice`) at `opacity`; fill a shape with it as
/// `fill="url(#id)"`. `None` when `href` is not a `data:image/` URL ([`is_image_data_url`]).
///
/// WHY: a round avatar or a rounded background drawn as an `<image>` with a `clip-path` is
/// drawn on a layer of its own and then masked, which costs about as much as all the card's
/// text; a circle or rounded rectangle filled with the image's pattern draws the same pixels
/// directly.
pub fn image_pattern(
    id: &str,
    href: &str,
    (x, y, width, height): (f64, f64, f64, f64),
    opacity: f64,
) -> Option<String> {
    if !is_image_data_url(href) {
        return None;
    }
    let id = escape_xml(id);
    let opacity = if opacity.is_finite() && opacity < 1.0 {
        format!(r#" opacity="{}""#, opacity.max(0.0))
    } else {
        String::new()
    };
    Some(format!(
        r#"<pattern id="{id}" patternUnits="userSpaceOnUse" x="{x}" y="{y}" width="{width}" height="{height}"><image href="{href}" width="{width}" height="{height}" preserveAspectRatio="xMidYMid slice"{opacity}/></pattern>"#
    ))
}

/// `true` for a `data:image/...` URL, the only kind of image a card may embed.
pub fn is_image_data_url(url: &str) -> bool {
    url.starts_with("data:image/") && !url.contains(['"', '<', '>', '\''])
}

/// The fraction of a level done, in `[0, 1]` (`0` when the span is not positive).
pub fn progress_fraction(into: i64, span: i64) -> f64 {
    if span <= 0 {
        return 0.0;
    }
    (into as f64 / span as f64).clamp(0.0, 1.0)
}

/// A text progress bar for embeds, `width` cells: `▰▰▰▱▱▱▱▱▱▱`.
pub fn text_progress_bar(into: i64, span: i64, width: usize) -> String {
    let filled = (progress_fraction(into, span) * width as f64).round() as usize;
    let filled = filled.min(width);
    "▰".repeat(filled) + &"▱".repeat(width - filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_xml("<script>&\"'"),
            "&lt;script&gt;&amp;&quot;&apos;"
        );
        assert_eq!(escape_xml("a\u{1}b"), "ab");
    }

    #[test]
    fn truncates_with_ellipsis() {
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(truncate_chars("abcdefghijk", 5), "abcd…");
        assert_eq!(truncate_chars("ééééééé", 3), "éé…");
    }

    #[test]
    fn numbers_and_initials() {
        assert_eq!(format_thousands(1_899_250), "1,899,250");
        assert_eq!(format_thousands(-1000), "-1,000");
        assert_eq!(format_thousands(999), "999");
        assert_eq!(format_compact(12_345), "12.3K");
        assert_eq!(format_compact(2_000_000), "2M");
        assert_eq!(initials("ada lovelace byron"), "AL");
        assert_eq!(initials("  "), "?");
    }

    #[test]
    fn colours_and_progress() {
        assert_eq!(color_or("#aabbcc", "#000000"), "#aabbcc");
        assert_eq!(color_or("red\"/><script>", "#000000"), "#000000");
        assert_eq!(progress_fraction(50, 100), 0.5);
        assert_eq!(progress_fraction(5, 0), 0.0);
        assert_eq!(text_progress_bar(3, 10, 10), "▰▰▰▱▱▱▱▱▱▱");
        assert_eq!(text_progress_bar(30, 10, 4), "▰▰▰▰");
    }

    #[test]
    fn a_veil_over_a_colour_is_one_opaque_colour() {
        assert_eq!(over("#000000", 0.25, "#23272a"), "#1a1d20");
        assert_eq!(over("#fff", 0.5, "#000000"), "#808080");
        assert_eq!(over("#000", 0.0, "#abc"), "#aabbcc");
        assert_eq!(over("#000000", 7.0, "#ffffff"), "#000000");
        assert_eq!(over("nope", 0.5, "#123456"), "#123456");
        assert_eq!(over("#000000", 0.5, "#ééé"), "#ééé");
    }

    #[test]
    fn image_patterns_take_only_data_urls() {
        let p = image_pattern(
            "av",
            "data:image/png;base64,AAAA",
            (45.0, 45.0, 192.0, 192.0),
            1.0,
        )
        .expect("a data URL");
        assert!(p.starts_with(
            r#"<pattern id="av" patternUnits="userSpaceOnUse" x="45" y="45" width="192""#
        ));
        assert!(p.contains(r#"<image href="data:image/png;base64,AAAA" width="192""#));
        assert!(!p.contains("opacity"));
        let faint = image_pattern("bg", "data:image/png;base64,A", (0.0, 0.0, 9.0, 9.0), 0.18);
        assert!(faint.is_some_and(|p| p.contains(r#"opacity="0.18""#)));
        assert_eq!(
            image_pattern("x", "https://evil/x.png", (0.0, 0.0, 1.0, 1.0), 1.0),
            None
        );
        assert_eq!(
            image_pattern(
                "x",
                "data:image/png;base64,\"/><script>",
                (0.0, 0.0, 1.0, 1.0),
                1.0
            ),
            None
        );
    }
}
