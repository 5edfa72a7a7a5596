//! Rank cards: card-style plugins draw SVG, the host rasterises it to PNG.
//!
//! The host owns everything that touches the outside world or could hurt it: fetching avatars
//! and backgrounds ([`images`]: https, allow-list, size/time caps, decode limits, cache),
//! assembling [`CardData`] ([`data`]), bounding and sanitising the plugin's SVG
//! ([`sanitize`]), and rasterising it with the bundled fonts only ([`render`], [`fonts`]).
//! Whatever fails, the member still gets a PNG: the host's plain [`fallback`] card.
//!
//! Module map: [`config`] (`[cards]`) · [`error`] · [`color`] (validation for `/card color`
//! and `/card style`) · [`data`] · [`fonts`] · [`images`] · [`sanitize`] · [`render`] ·
//! [`fallback`] · [`styles`] (calling card-style plugins).

pub mod color;
pub mod config;
pub mod data;
pub mod error;
pub mod fallback;
pub mod fonts;
pub mod images;
pub mod render;
pub mod sanitize;
pub mod styles;

pub use color::{normalize_color, validate_style};
pub use config::{CardsConfig, DEFAULT_HEIGHT, DEFAULT_WIDTH};
pub use data::{CardData, CardDataBuilder, CardPrefs, DEFAULT_STYLE, display_name_for_card};
pub use error::{CardError, ImageError, ValueError};
pub use images::{AVATAR_PX, EmbeddedImage, ImageFetcher, ImageKind, check_url, embed_image};
pub use render::{CardRenderer, RenderedCard};
pub use styles::{StyleEntry, available_styles, render_card, render_card_blocking};
