//! SVG → PNG. The renderer owns the font database and the limits; it trusts nothing in the
//! SVG: no file or network access (`<image>` hrefs resolve only to the images the host itself
//! embedded in the card data), bounded documents (see [`super::sanitize`]), and an output size
//! chosen by the host, never by the document. Anything drawn outside the canvas is clipped by
//! the canvas itself, so long text can never spill out of the card.

use std::sync::Arc;

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use super::config::CardsConfig;
use super::data::CardData;
use super::error::CardError;
use super::fallback::fallback_svg;
use super::fonts::{FAMILY, font_db};
use super::images::data_url_bytes;
use super::sanitize::parse_checked;

/// A rendered card. `error` says why the fallback card was drawn instead of the style's.
#[derive(Debug, Clone)]
pub struct RenderedCard {
    pub png: Vec<u8>,
    pub error: Option<CardError>,
}

impl RenderedCard {
    pub fn is_fallback(&self) -> bool {
        self.error.is_some()
    }
}

/// Rasterises card SVG. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct CardRenderer {
    cfg: Arc<CardsConfig>,
    fonts: Arc<fontdb::Database>,
}

impl std::fmt::Debug for CardRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardRenderer")
            .field("fonts", &self.fonts.len())
            .finish()
    }
}

impl CardRenderer {
    /// A renderer with the process-wide bundled font database.
    pub fn new(cfg: &CardsConfig) -> Self {
        Self::with_fonts(cfg, font_db())
    }

    /// A renderer with a given font database (benchmarks use a fresh one for cold runs).
    pub fn with_fonts(cfg: &CardsConfig, fonts: Arc<fontdb::Database>) -> Self {
        Self {
            cfg: Arc::new(cfg.clone()),
            fonts,
        }
    }

    pub fn config(&self) -> &CardsConfig {
        &self.cfg
    }

    /// Renders a style's `svg` at `data`'s size, or explains why it cannot.
    pub fn render_svg(&self, svg: &str, data: &CardData) -> Result<Vec<u8>, CardError> {
        let (width, height) = self.check_size(data)?;
        let doc = parse_checked(&self.cfg, svg)?;
        // Only the exact images the host embedded may be drawn.
        let allowed: Vec<Vec<u8>> = [&data.avatar, &data.background]
            .into_iter()
            .flatten()
            .filter_map(|url| data_url_bytes(url))
            .collect();
        let options = usvg::Options {
            resources_dir: None,
            font_family: FAMILY.to_owned(),
            fontdb: self.fonts.clone(),
            image_href_resolver: usvg::ImageHrefResolver {
                resolve_data: Box::new(move |mime, bytes, _| {
                    (mime == "image/png" && allowed.iter().any(|a| a[..] == bytes[..]))
                        .then_some(usvg::ImageKind::PNG(bytes))
                }),
                resolve_string: Box::new(|_, _| None),
            },
            ..usvg::Options::default()
        };
        let tree = usvg::Tree::from_xmltree(&doc, &options)
            .map_err(|e| CardError::InvalidSvg(e.to_string()))?;
        rasterise(&tree, width, height)
    }

    /// The host's own plain card (name, level, XP, progress): drawn when a style fails.
    pub fn render_fallback(&self, data: &CardData) -> Vec<u8> {
        let mut safe = data.clone();
        safe.avatar = None;
        safe.background = None;
        if self.check_size(&safe).is_err() {
            safe.width = super::config::DEFAULT_WIDTH;
            safe.height = super::config::DEFAULT_HEIGHT;
        }
        let svg = fallback_svg(&safe);
        self.render_svg(&svg, &safe).unwrap_or_else(|err| {
            // Only reachable if the bundled fonts or encoder are broken; still return a PNG.
            tracing::error!(error = %err, "the fallback card failed to render");
            solid_png(safe.width, safe.height)
        })
    }

    /// The style's card, or the fallback card with the reason.
    pub fn render_or_fallback(
        &self,
        svg: Result<String, CardError>,
        data: &CardData,
    ) -> RenderedCard {
        match svg.and_then(|svg| self.render_svg(&svg, data)) {
            Ok(png) => RenderedCard { png, error: None },
            Err(err) => {
                tracing::warn!(error = %err, "card style failed; drawing the fallback card");
                RenderedCard {
                    png: self.render_fallback(data),
                    error: Some(err),
                }
            }
        }
    }

    fn check_size(&self, data: &CardData) -> Result<(u32, u32), CardError> {
        let (w, h) = (data.width, data.height);
        if w == 0 || h == 0 || w > self.cfg.max_width || h > self.cfg.max_height {
            return Err(CardError::BadSize {
                width: w,
                height: h,
                max_width: self.cfg.max_width,
                max_height: self.cfg.max_height,
            });
        }
        Ok((w, h))
    }
}

/// Draws `tree` scaled to exactly `width`x`height`, whatever size the document claims.
fn rasterise(tree: &usvg::Tree, width: u32, height: u32) -> Result<Vec<u8>, CardError> {
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| CardError::Encode(format!("cannot allocate {width}x{height}")))?;
    let size = tree.size();
    let transform = tiny_skia::Transform::from_scale(
        width as f32 / size.width(),
        height as f32 / size.height(),
    );
    resvg::render(tree, transform, &mut pixmap.as_mut());
    encode_png(&pixmap)
}

/// PNG with fast compression: a card is shown once, so encoding speed matters more than size.
/// Of the fast (fdeflate) encodings, the Paeth filter gives the smallest file of a card with an
/// avatar (~73 KB at 934x282, against ~31 KB at the default level) in about 60% of the time of
/// the adaptive filter (which tries all five filters on every row), and the others are larger.
fn encode_png(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, CardError> {
    use image::ImageEncoder as _;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let rgba = demultiplied(pixmap);
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Paeth)
        .write_image(
            &rgba,
            pixmap.width(),
            pixmap.height(),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| CardError::Encode(e.to_string()))?;
    Ok(out)
}

/// The pixmap's premultiplied RGBA as straight RGBA, which PNG stores. A card is almost all
/// opaque pixels, which are the same in both: copy everything, then fix the few others.
fn demultiplied(pixmap: &tiny_skia::Pixmap) -> Vec<u8> {
    let mut rgba = pixmap.data().to_vec();
    for px in rgba.chunks_exact_mut(4) {
        let alpha = u32::from(px[3]);
        if alpha != 0 && alpha != 255 {
            for c in &mut px[..3] {
                // Rounded, and within 0..=255 since a premultiplied channel is <= alpha.
                *c = ((u32::from(*c) * 255 + alpha / 2) / alpha).min(255) as u8;
            }
        }
    }
    rgba
}

fn solid_png(width: u32, height: u32) -> Vec<u8> {
    tiny_skia::Pixmap::new(width.max(1), height.max(1))
        .map(|mut p| {
            p.fill(tiny_skia::Color::from_rgba8(0x23, 0x27, 0x2a, 0xff));
            p
        })
        .and_then(|p| p.encode_png().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demultiplying_rounds_every_premultiplied_pixel_to_the_nearest_value() {
        let pairs: Vec<(u8, u8)> = (0..=255u8)
            .flat_map(|a| (0..=a).map(move |c| (c, a)))
            .collect();
        let mut pixmap = tiny_skia::Pixmap::new(pairs.len() as u32, 1).expect("pixmap");
        for (px, &(c, a)) in pixmap.pixels_mut().iter_mut().zip(&pairs) {
            *px = tiny_skia::PremultipliedColorU8::from_rgba(c, c / 2, 0, a).expect("c <= a");
        }
        let ours = demultiplied(&pixmap);
        for (i, px) in pixmap.pixels().iter().enumerate() {
            let (c, a) = pairs[i];
            let got = &ours[i * 4..i * 4 + 4];
            assert_eq!(got[3], a, "alpha kept");
            for (value, premultiplied) in [(got[0], c), (got[1], c / 2)] {
                let exact = if a == 0 {
                    0.0
                } else {
                    f64::from(premultiplied) * 255.0 / f64::from(a)
                };
                assert!(
                    (f64::from(value) - exact).abs() <= 0.5,
                    "{premultiplied} at alpha {a}: {value}, exactly {exact}"
                );
            }
            // tiny-skia's own (floating-point) conversion agrees within its rounding.
            let theirs = px.demultiply();
            assert!(got[0].abs_diff(theirs.red()) <= 1 && got[1].abs_diff(theirs.green()) <= 1);
        }
    }
}
