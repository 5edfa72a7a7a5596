//! The host's own card, drawn when a style fails (plugin error, limits, invalid SVG): plain,
//! but it still tells the member their name, level and XP. Trusted input only: every text is
//! escaped and nothing is referenced.

use std::fmt::Write as _;

use questline_text::truncate_chars;

use super::color::color_or;
use super::data::{CardData, DEFAULT_PRIMARY, DEFAULT_SECONDARY, DEFAULT_TEXT};

/// Characters of the name shown; more get an ellipsis.
const NAME_CHARS: usize = 26;

/// The fallback card as SVG, in a 934x282 coordinate space scaled to `data`'s size.
pub fn fallback_svg(data: &CardData) -> String {
    let primary = color_or(Some(&data.primary_color), DEFAULT_PRIMARY);
    let secondary = color_or(Some(&data.secondary_color), DEFAULT_SECONDARY);
    let text = color_or(Some(&data.text_color), DEFAULT_TEXT);
    let name = truncate_chars(&data.display_name, NAME_CHARS);
    let fraction = if data.level_span > 0 {
        (data.xp_into_level as f64 / data.level_span as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let bar_w = 814.0;
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 934 282" font-family="DejaVu Sans">"#,
        w = data.width,
        h = data.height
    );
    let _ = write!(
        s,
        r#"<rect width="934" height="282" rx="24" fill="{secondary}"/><text x="60" y="110" font-size="44" font-weight="bold" fill="{text}">{}</text>"#,
        escape(&name)
    );
    let rank = data
        .rank
        .map(|r| format!("Rank #{r}  ·  "))
        .unwrap_or_default();
    let _ = write!(
        s,
        r#"<text x="60" y="160" font-size="26" fill="{text}" fill-opacity="0.8">{rank}Level {}  ·  {} / {} XP</text>"#,
        data.level, data.xp_into_level, data.level_span
    );
    let _ = write!(
        s,
        r#"<rect x="60" y="192" width="{bar_w}" height="30" rx="15" fill="{text}" fill-opacity="0.15"/><rect x="60" y="192" width="{:.1}" height="30" rx="15" fill="{primary}"/>"#,
        (fraction * bar_w).max(30.0)
    );
    let _ = write!(
        s,
        r#"<text x="874" y="258" text-anchor="end" font-size="18" fill="{text}" fill-opacity="0.5">Total {} XP</text></svg>"#,
        data.total_xp
    );
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_ellipsized() {
        let mut data = CardData::sample();
        data.display_name = "<script>&".repeat(10);
        let svg = fallback_svg(&data);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;"));
        assert_eq!(truncate_chars("abcdef", 4), "abc…");
        assert_eq!(truncate_chars("abc", 4), "abc");
    }
}
