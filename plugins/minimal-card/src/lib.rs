//! `minimal-card`: a quiet, flat rank card (style `minimal`).
//!
//! Flat background, a small round avatar, the name with rank and level beneath it, and a
//! thin progress line. Drawn in a fixed 934×282 coordinate space, scaled to the requested
//! size.

mod draw;

use questline_plugin_sdk::*;

pub use draw::render_minimal;

/// The style this plugin draws.
pub const STYLE: &str = "minimal";

/// The plugin.
pub struct MinimalCard;

impl Plugin for MinimalCard {
    const NAME: &'static str = "minimal-card";
    const DESCRIPTION: &'static str = "A minimal, clean rank card.";
}

impl CardStyle for MinimalCard {
    fn styles() -> Vec<String> {
        vec![STYLE.to_string()]
    }

    fn render(style: &str, data: &CardData) -> Result<String, String> {
        if style != STYLE {
            return Err(format!(
                "unknown card style `{style}`: minimal-card draws `{STYLE}`"
            ));
        }
        Ok(render_minimal(data))
    }
}

export_plugin!(MinimalCard, kinds: [card_style]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_and_unknown_style() {
        assert_eq!(MinimalCard::styles(), vec!["minimal".to_string()]);
        let data = CardData {
            width: 934,
            height: 282,
            display_name: String::new(),
            avatar: None,
            level: 0,
            rank: None,
            xp_into_level: 0,
            level_span: 0,
            total_xp: 0,
            primary_color: String::new(),
            secondary_color: String::new(),
            border_color: String::new(),
            text_color: String::new(),
            background: None,
            guild_name: String::new(),
        };
        let svg = MinimalCard::render("minimal", &data).expect("renders even empty data");
        assert!(svg.contains("?"), "placeholder initials");
        assert!(MinimalCard::render("classic", &data).is_err());
        assert_eq!(plugin_info::<MinimalCard>().name, "minimal-card");
    }
}
