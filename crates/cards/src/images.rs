//! Avatars and backgrounds: fetched by the host only, under a policy, decoded under limits and
//! re-encoded as small PNG `data:` URLs that a plugin can place but never fetch itself.
//!
//! The URL of a background is typed by a member, so everything about it is hostile until
//! checked: the scheme (https only), the host (allow-list), the size (capped while streaming),
//! the time (timeout) and the content (decoded with dimension and allocation limits, so a tiny
//! file claiming 100000x100000 pixels is refused before any pixel buffer is allocated).

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use image::{ImageFormat, ImageReader, imageops::FilterType};

use super::config::{CardsConfig, DEFAULT_HEIGHT, DEFAULT_WIDTH};
use super::error::ImageError;

/// What an image is for; decides the size it is re-encoded at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageKind {
    /// Square, drawn in a circle ([`AVATAR_PX`] across on the default card).
    Avatar,
    /// Fills the card.
    Background,
}

impl ImageKind {
    /// The size the image is cropped and scaled to (cover), so the card embeds no more pixels
    /// than it can show. Both are the sizes the default `classic` card draws them at: an image
    /// drawn at its own pixel size is copied, while a scaled one is resampled bicubically for
    /// every card (that resampling was a third of a warm card's time).
    pub fn target_size(self) -> (u32, u32) {
        match self {
            Self::Avatar => (AVATAR_PX, AVATAR_PX),
            Self::Background => (DEFAULT_WIDTH, DEFAULT_HEIGHT),
        }
    }
}

/// The side of an embedded avatar, in pixels: the diameter of the `classic` card's avatar.
pub const AVATAR_PX: u32 = 192;

/// A checked image, ready to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedImage {
    /// `data:image/png;base64,...`
    pub data_url: String,
    pub width: u32,
    pub height: u32,
}

/// Checks `url` against the fetch policy; returns the parsed URL to fetch.
pub fn check_url(cfg: &CardsConfig, url: &str) -> Result<reqwest::Url, ImageError> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| ImageError::BadUrl(url.to_owned()))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| ImageError::BadUrl(url.to_owned()))?
        .to_ascii_lowercase();
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    let scheme_ok = parsed.scheme() == "https"
        || (cfg.allow_insecure_loopback && loopback && parsed.scheme() == "http");
    if !scheme_ok {
        return Err(ImageError::NotHttps(url.to_owned()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ImageError::BadUrl(url.to_owned()));
    }
    if !cfg
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host))
    {
        return Err(ImageError::HostNotAllowed {
            host,
            allowed: cfg.allowed_hosts.join(", "),
        });
    }
    Ok(parsed)
}

/// Decodes `bytes` (PNG, JPEG, WebP or GIF) under the configured limits, crops and scales it
/// for `kind`, and re-encodes it as a PNG `data:` URL.
pub fn embed_image(
    cfg: &CardsConfig,
    bytes: &[u8],
    kind: ImageKind,
) -> Result<EmbeddedImage, ImageError> {
    if bytes.len() as u64 > cfg.max_image_bytes {
        return Err(ImageError::TooLarge {
            max: cfg.max_image_bytes,
        });
    }
    let decode_err = |e: image::ImageError| ImageError::Decode(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => {
            return Err(ImageError::Decode(
                "not a PNG, JPEG, WebP or GIF image".to_owned(),
            ));
        }
    }
    let max = cfg.max_image_dimension;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(max);
    limits.max_image_height = Some(max);
    limits.max_alloc = Some(cfg.max_decode_bytes);
    reader.limits(limits);
    // Dimensions come from the header: refuse before allocating a pixel buffer.
    let (width, height) = reader.into_dimensions().map_err(decode_err)?;
    if width > max || height > max || width == 0 || height == 0 {
        return Err(ImageError::TooManyPixels { width, height, max });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(max);
    limits.max_image_height = Some(max);
    limits.max_alloc = Some(cfg.max_decode_bytes);
    reader.limits(limits);
    let decoded = reader.decode().map_err(decode_err)?;
    let (tw, th) = kind.target_size();
    let scaled = decoded
        .resize_to_fill(tw, th, FilterType::Triangle)
        .into_rgba8();
    let mut png = Vec::new();
    scaled
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(decode_err)?;
    Ok(EmbeddedImage {
        data_url: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&png)
        ),
        width: scaled.width(),
        height: scaled.height(),
    })
}

/// The PNG bytes of a `data:image/png;base64,` URL (what [`embed_image`] produced).
pub fn data_url_bytes(url: &str) -> Option<Vec<u8>> {
    let b64 = url.strip_prefix("data:image/png;base64,")?;
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Fetches, checks and caches images. Cheap to clone.
#[derive(Clone)]
pub struct ImageFetcher {
    cfg: Arc<CardsConfig>,
    client: reqwest::Client,
    cache: moka::future::Cache<(String, ImageKind), Arc<EmbeddedImage>>,
}

impl std::fmt::Debug for ImageFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageFetcher")
            .field("cached", &self.cache.entry_count())
            .finish()
    }
}

impl ImageFetcher {
    pub fn new(cfg: &CardsConfig) -> Result<Self, ImageError> {
        let cfg = Arc::new(cfg.clone());
        let redirect_cfg = cfg.clone();
        // Each redirect hop must pass the same policy as the first URL (an allowed host must
        // not be able to bounce us to an internal address).
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                attempt.stop()
            } else if check_url(&redirect_cfg, attempt.url().as_str()).is_ok() {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(cfg.fetch_timeout_ms))
            .redirect(redirects)
            .user_agent(concat!("questline/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ImageError::Fetch(e.to_string()))?;
        let cache = moka::future::Cache::builder()
            .max_capacity(cfg.cache_capacity)
            .time_to_live(Duration::from_secs(cfg.cache_ttl_secs))
            .build();
        Ok(Self { cfg, client, cache })
    }

    pub fn config(&self) -> &CardsConfig {
        &self.cfg
    }

    /// The checked image at `url`, from the cache or fetched (concurrent requests for one URL
    /// share one fetch). Failures are not cached.
    pub async fn fetch(
        &self,
        url: &str,
        kind: ImageKind,
    ) -> Result<Arc<EmbeddedImage>, ImageError> {
        let checked = check_url(&self.cfg, url)?;
        self.cache
            .try_get_with((checked.to_string(), kind), async {
                let bytes = self.download(checked.clone()).await?;
                let cfg = self.cfg.clone();
                let embedded = tokio::task::spawn_blocking(move || embed_image(&cfg, &bytes, kind))
                    .await
                    .map_err(|e| ImageError::Decode(e.to_string()))??;
                Ok(Arc::new(embedded))
            })
            .await
            .map_err(|e: Arc<ImageError>| (*e).clone())
    }

    /// [`Self::fetch`], logging and swallowing failures: a card renders without the image.
    pub async fn fetch_or_none(
        &self,
        url: Option<&str>,
        kind: ImageKind,
    ) -> Option<Arc<EmbeddedImage>> {
        let url = url?.trim();
        if url.is_empty() {
            return None;
        }
        match self.fetch(url, kind).await {
            Ok(image) => Some(image),
            Err(err) => {
                tracing::warn!(%url, ?kind, error = %err, "card image unavailable; rendering without it");
                None
            }
        }
    }

    /// The bytes at `url` (at most `max` of them), under the same policy as images: https,
    /// an allowed host (each redirect checked too), the fetch timeout. `questline plugin
    /// install URL` downloads plugins through it.
    pub async fn fetch_bytes(&self, url: &str, max: u64) -> Result<Vec<u8>, ImageError> {
        let checked = check_url(&self.cfg, url)?;
        self.download_at_most(checked, max).await
    }

    async fn download(&self, url: reqwest::Url) -> Result<Vec<u8>, ImageError> {
        self.download_at_most(url, self.cfg.max_image_bytes).await
    }

    async fn download_at_most(&self, url: reqwest::Url, max: u64) -> Result<Vec<u8>, ImageError> {
        let ms = self.cfg.fetch_timeout_ms;
        let work = async {
            let fetch_err = |e: reqwest::Error| {
                if e.is_timeout() {
                    ImageError::Timeout { ms }
                } else {
                    ImageError::Fetch(e.to_string())
                }
            };
            let mut resp = self.client.get(url).send().await.map_err(fetch_err)?;
            if !resp.status().is_success() {
                return Err(ImageError::Status(resp.status().as_u16()));
            }
            if resp.content_length().is_some_and(|len| len > max) {
                return Err(ImageError::TooLarge { max });
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(fetch_err)? {
                if (body.len() + chunk.len()) as u64 > max {
                    return Err(ImageError::TooLarge { max });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        tokio::time::timeout(Duration::from_millis(ms), work)
            .await
            .map_err(|_| ImageError::Timeout { ms })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(width, height, |x, y| {
            image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
        });
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn url_policy_is_https_and_allow_listed() {
        let cfg = CardsConfig::default();
        let ok = "https://cdn.discordapp.com/avatars/1/abc.png?size=256";
        assert_eq!(check_url(&cfg, ok).unwrap().as_str(), ok);
        assert!(check_url(&cfg, "https://MEDIA.discordapp.net/x.png").is_ok());
        assert!(matches!(
            check_url(&cfg, "http://cdn.discordapp.com/a.png"),
            Err(ImageError::NotHttps(_))
        ));
        assert!(matches!(
            check_url(&cfg, "file:///etc/passwd"),
            Err(ImageError::NotHttps(_) | ImageError::BadUrl(_))
        ));
        let err = check_url(&cfg, "https://evil.example/a.png").unwrap_err();
        assert!(err.to_string().contains("cdn.discordapp.com"), "{err}");
        assert!(matches!(
            check_url(&cfg, "https://cdn.discordapp.com.evil.example/a.png"),
            Err(ImageError::HostNotAllowed { .. })
        ));
        assert!(matches!(
            check_url(&cfg, "https://user:pw@cdn.discordapp.com/a.png"),
            Err(ImageError::BadUrl(_))
        ));
        assert!(matches!(
            check_url(&cfg, "not a url"),
            Err(ImageError::BadUrl(_))
        ));
        // Loopback http only with the test-only flag, and still only for allowed hosts.
        let mut test_cfg = cfg.clone();
        test_cfg.allowed_hosts.push("127.0.0.1".into());
        assert!(check_url(&test_cfg, "http://127.0.0.1:9/a.png").is_err());
        test_cfg.allow_insecure_loopback = true;
        assert!(check_url(&test_cfg, "http://127.0.0.1:9/a.png").is_ok());
        assert!(check_url(&test_cfg, "http://10.0.0.1/a.png").is_err());
    }

    #[test]
    fn images_are_cropped_scaled_and_reencoded() {
        let cfg = CardsConfig::default();
        let avatar = embed_image(&cfg, &png(300, 200), ImageKind::Avatar).unwrap();
        assert_eq!((avatar.width, avatar.height), (AVATAR_PX, AVATAR_PX));
        let bytes = data_url_bytes(&avatar.data_url).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"));
        let bg = embed_image(&cfg, &png(64, 64), ImageKind::Background).unwrap();
        assert_eq!((bg.width, bg.height), (934, 282));
    }

    #[test]
    fn decompression_bombs_and_junk_are_refused() {
        let cfg = CardsConfig::default();
        // A valid PNG header claiming 100000x100000 RGBA over a few bytes of data.
        let bomb = base64::engine::general_purpose::STANDARD
            .decode("iVBORw0KGgoAAAANSUhEUgABhqAAAYagCAYAAACoUgvIAAAADElEQVR4nGNgoAwAAABAAAG3NHzvAAAAAElFTkSuQmCC")
            .unwrap();
        assert!(bomb.len() < 100);
        let err = embed_image(&cfg, &bomb, ImageKind::Background).unwrap_err();
        assert!(
            matches!(
                err,
                ImageError::Decode(_) | ImageError::TooManyPixels { .. }
            ),
            "{err:?}"
        );
        // Within the dimension limit but over the allocation limit.
        let mut small = cfg.clone();
        small.max_decode_bytes = 1024;
        assert!(embed_image(&small, &png(100, 100), ImageKind::Avatar).is_err());
        assert!(matches!(
            embed_image(&cfg, b"GIF89a not really", ImageKind::Avatar),
            Err(ImageError::Decode(_))
        ));
        assert!(matches!(
            embed_image(&cfg, b"<svg/>", ImageKind::Avatar),
            Err(ImageError::Decode(_))
        ));
        let mut tiny = cfg.clone();
        tiny.max_image_bytes = 10;
        assert!(matches!(
            embed_image(&tiny, &png(8, 8), ImageKind::Avatar),
            Err(ImageError::TooLarge { max: 10 })
        ));
    }
}
