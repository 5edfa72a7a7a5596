//! The bundled fonts: the only fonts the renderer knows.
//!
//! Loading the machine's fonts would make a card look different on every host and break the
//! golden-image tests, so the font database holds exactly the files under `crates/cards/assets/fonts/`,
//! compiled into the binary, and every generic family (`sans-serif`, `serif`, ...) maps to them.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb;
use skrifa::MetadataProvider;

/// The family every generic family resolves to.
pub const FAMILY: &str = "DejaVu Sans";

static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// The shared font database, built on first use (parsing the faces once per process).
pub fn font_db() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(fresh_font_db).clone()
}

/// A newly built font database; what a cold render pays for (see `benches/cards.rs`).
pub fn fresh_font_db() -> Arc<fontdb::Database> {
    let mut db = fontdb::Database::new();
    db.load_font_source(fontdb::Source::Binary(Arc::new(REGULAR)));
    db.load_font_source(fontdb::Source::Binary(Arc::new(BOLD)));
    db.set_sans_serif_family(FAMILY);
    db.set_serif_family(FAMILY);
    db.set_monospace_family(FAMILY);
    db.set_cursive_family(FAMILY);
    db.set_fantasy_family(FAMILY);
    Arc::new(db)
}

/// Whether the bundled regular face has a glyph for `c`.
pub fn has_glyph(c: char) -> bool {
    static CHARMAP: OnceLock<Option<skrifa::FontRef<'static>>> = OnceLock::new();
    CHARMAP
        .get_or_init(|| skrifa::FontRef::new(REGULAR).ok())
        .as_ref()
        .is_some_and(|font| font.charmap().map(c).is_some())
}

/// `text` with every character the bundled fonts cannot draw removed (emoji, CJK, control
/// characters), whitespace runs collapsed and ends trimmed; so a card shows no missing-glyph
/// boxes. May return an empty string.
pub fn drawable_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if !c.is_control() && has_glyph(c) {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_greek_cyrillic_are_drawable() {
        assert_eq!(drawable_text("Zoë Ωμέγα Привет"), "Zoë Ωμέγα Привет");
    }

    #[test]
    fn emoji_cjk_and_controls_are_dropped_cleanly() {
        assert_eq!(drawable_text("Kai 🔥🔥 \u{7}  Li 李"), "Kai Li");
        assert_eq!(drawable_text("🎮🎮"), "");
        assert_eq!(drawable_text("  a\t\nb  "), "a b");
    }

    #[test]
    fn the_database_holds_only_the_bundled_faces() {
        let db = fresh_font_db();
        assert_eq!(db.len(), 2);
        assert!(
            db.faces()
                .all(|f| f.families.iter().any(|(n, _)| n == FAMILY))
        );
    }
}
