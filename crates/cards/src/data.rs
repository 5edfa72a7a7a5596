//! [`CardData`]: what a card-style plugin is given, and [`CardDataBuilder`], which assembles it
//! from plain values (stats, rank and level progress from the engine, the member's `cards`
//! row, images the host fetched) so the Discord front end, the CLI and tests build it one way.

use serde::{Deserialize, Serialize};

use super::color::color_or;
use super::config::{DEFAULT_HEIGHT, DEFAULT_WIDTH};
use super::fonts::drawable_text;
use super::images::EmbeddedImage;

/// Default colours: Discord's blurple on its dark grey, white ring and text.
pub const DEFAULT_PRIMARY: &str = "#5865f2";
pub const DEFAULT_SECONDARY: &str = "#23272a";
pub const DEFAULT_BORDER: &str = "#ffffff";
pub const DEFAULT_TEXT: &str = "#ffffff";
/// The style used when neither the member nor the guild chose one.
pub const DEFAULT_STYLE: &str = "classic";
/// Longest display name passed to a plugin, in characters (Discord allows 32; nicknames with
/// decorations can be longer). Plugins truncate further to fit their layout.
pub const MAX_NAME_CHARS: usize = 64;
/// Used when nothing of a name can be drawn (e.g. a name made only of emoji).
pub const FALLBACK_NAME: &str = "Member";

/// The card-data record of the WIT contract (`questline:plugin/types.card-data`), host side.
/// Also the format of `questline card render --data card.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardData {
    pub width: u32,
    pub height: u32,
    pub display_name: String,
    /// A `data:` URL the host produced (see [`EmbeddedImage`]).
    pub avatar: Option<String>,
    pub level: u32,
    pub rank: Option<u64>,
    pub xp_into_level: i64,
    pub level_span: i64,
    pub total_xp: i64,
    pub primary_color: String,
    pub secondary_color: String,
    pub border_color: String,
    pub text_color: String,
    /// A `data:` URL the host produced (see [`EmbeddedImage`]).
    pub background: Option<String>,
    pub guild_name: String,
}

impl Default for CardData {
    fn default() -> Self {
        Self::sample()
    }
}

impl CardData {
    /// Fixed sample data: the CLI's default and the golden-image tests' input.
    pub fn sample() -> Self {
        Self {
            width: DEFAULT_WIDTH,
            height: DEFAULT_HEIGHT,
            display_name: "Ada Lovelace".to_owned(),
            avatar: None,
            level: 42,
            rank: Some(3),
            xp_into_level: 1_337,
            level_span: 2_150,
            total_xp: 98_765,
            primary_color: DEFAULT_PRIMARY.to_owned(),
            secondary_color: DEFAULT_SECONDARY.to_owned(),
            border_color: DEFAULT_BORDER.to_owned(),
            text_color: DEFAULT_TEXT.to_owned(),
            background: None,
            guild_name: "Questline Lounge".to_owned(),
        }
    }
}

/// A member's `cards` row, as the storage layer returns it (all optional: a member who never
/// customised has no row, and a stored value may be invalid).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardPrefs {
    pub background_url: Option<String>,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub border_color: Option<String>,
    pub text_color: Option<String>,
    pub card_style: Option<String>,
}

/// Builds [`CardData`] and picks the style.
#[derive(Debug, Clone)]
pub struct CardDataBuilder {
    data: CardData,
    member_style: Option<String>,
    guild_style: Option<String>,
}

impl CardDataBuilder {
    /// `progress` is `(xp into the level, the level's span)` from `LevelTable::progress`.
    pub fn new(display_name: &str, level: u32, total_xp: i64, progress: (i64, i64)) -> Self {
        let mut data = CardData::sample();
        data.display_name = display_name_for_card(display_name);
        data.level = level;
        data.total_xp = total_xp.max(0);
        data.xp_into_level = progress.0.max(0);
        data.level_span = progress.1.max(0);
        data.rank = None;
        data.guild_name = String::new();
        Self {
            data,
            member_style: None,
            guild_style: None,
        }
    }

    pub fn rank(mut self, rank: Option<u64>) -> Self {
        self.data.rank = rank;
        self
    }

    pub fn guild_name(mut self, name: &str) -> Self {
        self.data.guild_name = drawable_text(name).chars().take(MAX_NAME_CHARS).collect();
        self
    }

    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.data.width = width;
        self.data.height = height;
        self
    }

    /// The member's customisation; invalid stored colours fall back to the defaults.
    pub fn prefs(mut self, prefs: &CardPrefs) -> Self {
        let d = &mut self.data;
        d.primary_color = color_or(prefs.primary_color.as_deref(), DEFAULT_PRIMARY);
        d.secondary_color = color_or(prefs.secondary_color.as_deref(), DEFAULT_SECONDARY);
        d.border_color = color_or(prefs.border_color.as_deref(), DEFAULT_BORDER);
        d.text_color = color_or(prefs.text_color.as_deref(), DEFAULT_TEXT);
        self.member_style = prefs.card_style.clone().filter(|s| !s.trim().is_empty());
        self
    }

    /// The guild's default style, used when the member chose none.
    pub fn guild_default_style(mut self, style: Option<&str>) -> Self {
        self.guild_style = style.map(str::to_owned).filter(|s| !s.trim().is_empty());
        self
    }

    pub fn avatar(mut self, image: Option<&EmbeddedImage>) -> Self {
        self.data.avatar = image.map(|i| i.data_url.clone());
        self
    }

    pub fn background(mut self, image: Option<&EmbeddedImage>) -> Self {
        self.data.background = image.map(|i| i.data_url.clone());
        self
    }

    /// The style to draw (member's, else guild's, else [`DEFAULT_STYLE`]) and the data.
    pub fn build(self) -> (String, CardData) {
        let style = self
            .member_style
            .or(self.guild_style)
            .unwrap_or_else(|| DEFAULT_STYLE.to_owned());
        (style, self.data)
    }
}

/// A display name as cards show it: only characters the bundled fonts draw, at most
/// [`MAX_NAME_CHARS`], never empty.
pub fn display_name_for_card(name: &str) -> String {
    let drawable: String = drawable_text(name).chars().take(MAX_NAME_CHARS).collect();
    let trimmed = drawable.trim();
    if trimmed.is_empty() {
        FALLBACK_NAME.to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_assembles_data_and_picks_member_style_first() {
        let prefs = CardPrefs {
            primary_color: Some("F80".into()),
            text_color: Some("not a colour".into()),
            card_style: Some("minimal".into()),
            ..CardPrefs::default()
        };
        let (style, data) = CardDataBuilder::new("Grace 🚀", 7, 1_234, (34, 400))
            .rank(Some(12))
            .guild_name("Rustaceans")
            .prefs(&prefs)
            .guild_default_style(Some("classic"))
            .build();
        assert_eq!(style, "minimal");
        assert_eq!(data.display_name, "Grace");
        assert_eq!((data.level, data.total_xp), (7, 1_234));
        assert_eq!((data.xp_into_level, data.level_span), (34, 400));
        assert_eq!(data.rank, Some(12));
        assert_eq!(data.primary_color, "#ff8800");
        assert_eq!(data.text_color, DEFAULT_TEXT);
        assert_eq!((data.width, data.height), (934, 282));
        assert_eq!(data.guild_name, "Rustaceans");
    }

    #[test]
    fn guild_style_then_default() {
        let b = || CardDataBuilder::new("x", 0, 0, (0, 100));
        assert_eq!(
            b().guild_default_style(Some("minimal")).build().0,
            "minimal"
        );
        assert_eq!(b().guild_default_style(Some(" ")).build().0, DEFAULT_STYLE);
        assert_eq!(b().build().0, DEFAULT_STYLE);
    }

    #[test]
    fn names_are_cleaned_capped_and_never_empty() {
        assert_eq!(display_name_for_card("🔥🔥"), FALLBACK_NAME);
        assert_eq!(
            display_name_for_card(&"x".repeat(500)).len(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn card_json_round_trips_and_rejects_unknown_fields() {
        let json = serde_json::to_string(&CardData::sample()).unwrap();
        let back: CardData = serde_json::from_str(&json).unwrap();
        assert_eq!(back, CardData::sample());
        let partial: CardData = serde_json::from_str(r#"{"level": 5}"#).unwrap();
        assert_eq!(partial.level, 5);
        assert!(serde_json::from_str::<CardData>(r#"{"levle": 5}"#).is_err());
    }
}
