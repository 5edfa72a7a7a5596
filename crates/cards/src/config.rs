//! `[cards]` section: where card images may come from and how much the host will rasterise.
//!
//! Every limit exists because its input is untrusted: image URLs come from members
//! (`/card background`), SVG comes from plugins. Defaults are safe for production; operators
//! may extend the host allow-list (e.g. their own image CDN) but never drop the https rule.

use serde::{Deserialize, Serialize};

/// Rank-card settings. Unknown keys are rejected so a typo does not silently use a default.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CardsConfig {
    /// Hosts images may be fetched from (exact names, lowercase). Discord's CDN by default.
    pub allowed_hosts: Vec<String>,
    /// Largest image body accepted, in bytes (the download stops as soon as it is exceeded).
    pub max_image_bytes: u64,
    /// Whole-request timeout for one image fetch, in milliseconds.
    pub fetch_timeout_ms: u64,
    /// Largest width or height an image may declare before it is decoded.
    pub max_image_dimension: u32,
    /// Most memory the decoder may allocate for one image, in bytes.
    pub max_decode_bytes: u64,
    /// Fetched images kept in memory.
    pub cache_capacity: u64,
    /// How long a fetched image is reused, in seconds.
    pub cache_ttl_secs: u64,
    /// Largest SVG document rasterised, in bytes.
    pub max_svg_bytes: usize,
    /// Most XML elements in one SVG document.
    pub max_svg_elements: usize,
    /// Deepest element nesting in one SVG document.
    pub max_svg_depth: usize,
    /// Largest card width and height in pixels.
    pub max_width: u32,
    pub max_height: u32,
    /// Test-only: also allow `http://127.0.0.1`/`localhost` so tests can serve images from a
    /// loopback server. Never read from a configuration file.
    #[serde(skip)]
    pub allow_insecure_loopback: bool,
}

/// The card size when a caller does not choose one (MEE6's card size, which users know).
pub const DEFAULT_WIDTH: u32 = 934;
pub const DEFAULT_HEIGHT: u32 = 282;

impl Default for CardsConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: vec![
                "cdn.discordapp.com".to_owned(),
                "media.discordapp.net".to_owned(),
            ],
            max_image_bytes: 8 * 1024 * 1024,
            fetch_timeout_ms: 5_000,
            max_image_dimension: 4_096,
            max_decode_bytes: 64 * 1024 * 1024,
            cache_capacity: 512,
            cache_ttl_secs: 600,
            max_svg_bytes: 512 * 1024,
            max_svg_elements: 5_000,
            max_svg_depth: 48,
            max_width: 2 * DEFAULT_WIDTH,
            max_height: 2 * DEFAULT_HEIGHT,
            allow_insecure_loopback: false,
        }
    }
}
