//! `classic-card`: the classic rank card (style `classic`).
//!
//! A rounded panel (optionally over the member's background image), the avatar in a ringed
//! circle, the display name, rank and level in the top right, and a thick progress bar with
//! the XP into the level. Drawn in a fixed 934×282 coordinate space and scaled to the
//! requested size, so any size keeps the layout.

mod draw;

use questline_plugin_sdk::*;

pub use draw::render_classic;

/// The style this plugin draws.
pub const STYLE: &str = "classic";

/// The plugin.
pub struct ClassicCard;

impl Plugin for ClassicCard {
    const NAME: &'static str = "classic-card";
    const DESCRIPTION: &'static str =
        "The classic rank card: avatar, name, level, rank and a progress bar.";
}

impl CardStyle for ClassicCard {
    fn styles() -> Vec<String> {
        vec![STYLE.to_string()]
    }

    fn render(style: &str, data: &CardData) -> Result<String, String> {
        if style != STYLE {
            return Err(format!(
                "unknown card style `{style}`: classic-card draws `{STYLE}`"
            ));
        }
        Ok(render_classic(data))
    }
}

export_plugin!(ClassicCard, kinds: [card_style]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_and_unknown_style() {
        assert_eq!(ClassicCard::styles(), vec!["classic".to_string()]);
        let data = CardData {
            width: 934,
            height: 282,
            display_name: "x".into(),
            avatar: None,
            level: 1,
            rank: None,
            xp_into_level: 0,
            level_span: 100,
            total_xp: 100,
            primary_color: "#000000".into(),
            secondary_color: "#000000".into(),
            border_color: "#000000".into(),
            text_color: "#ffffff".into(),
            background: None,
            guild_name: "g".into(),
        };
        assert!(ClassicCard::render("classic", &data).is_ok_and(|s| s.starts_with("<svg")));
        let err = ClassicCard::render("fancy", &data).unwrap_err();
        assert!(err.contains("fancy") && err.contains("classic"));
        assert_eq!(
            plugin_info::<ClassicCard>().kinds,
            vec![PluginKind::CardStyle]
        );
    }
}
