//! Errors of the card subsystem. Each says what went wrong and, where a person can act on it,
//! what to do.

/// A card could not be rendered as the plugin drew it (the caller then gets a fallback card).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("the card style returned an SVG of {size} bytes; at most {max} are rasterised")]
    SvgTooLarge { size: usize, max: usize },
    #[error("the card style returned an SVG with more than {max} elements; simplify the drawing")]
    TooManyElements { max: usize },
    #[error("the card style returned an SVG nested deeper than {max} elements")]
    TooDeep { max: usize },
    #[error("the card style returned an SVG with a <{element}> element, which cards may not use")]
    Forbidden { element: String },
    #[error("the card style returned invalid SVG: {0}")]
    InvalidSvg(String),
    #[error(
        "card size {width}x{height} is not allowed (at most {max_width}x{max_height}, at least 1x1)"
    )]
    BadSize {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
    },
    #[error("could not encode the card as PNG: {0}")]
    Encode(String),
    #[error("no loaded card-style plugin draws the style `{style}`; available: {available}")]
    UnknownStyle { style: String, available: String },
    #[error("the card-style plugin failed: {0}")]
    Plugin(String),
}

/// A member-supplied value (colour, style) is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("`{input}` is not a colour: use a hex colour like #5865f2, 5865f2 or #58f")]
    BadColor { input: String },
    #[error("unknown card style `{style}`: choose one of {available}")]
    UnknownStyle { style: String, available: String },
}

/// An image (avatar or background) could not be used; the card renders without it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("`{0}` is not a valid URL")]
    BadUrl(String),
    #[error("only https image URLs are allowed, not `{0}`")]
    NotHttps(String),
    #[error("images may only come from {allowed}; `{host}` is not allowed")]
    HostNotAllowed { host: String, allowed: String },
    #[error("the image is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("fetching the image timed out after {ms} ms")]
    Timeout { ms: u64 },
    #[error("fetching the image failed: {0}")]
    Fetch(String),
    #[error("the image server answered HTTP {0}")]
    Status(u16),
    #[error("the image could not be decoded: {0}")]
    Decode(String),
    #[error("the image is {width}x{height}; at most {max}x{max} is accepted")]
    TooManyPixels { width: u32, height: u32, max: u32 },
}
