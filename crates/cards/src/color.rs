//! Validation of what members type into `/card color` and `/card style`: accepted forms are
//! normalised so the database only ever holds `#rrggbb` and known style names.

use super::error::ValueError;

/// Normalises a hex colour to lowercase `#rrggbb`. Accepts `#rrggbb`, `rrggbb`, `#rgb`, `rgb`
/// (surrounding spaces ignored).
pub fn normalize_color(input: &str) -> Result<String, ValueError> {
    let bad = || ValueError::BadColor {
        input: input.to_owned(),
    };
    let trimmed = input.trim();
    let hex = trimmed.strip_prefix('#').unwrap_or(trimmed);
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let hex = hex.to_ascii_lowercase();
    match hex.len() {
        6 => Ok(format!("#{hex}")),
        3 => Ok(hex.chars().fold(String::from("#"), |mut s, c| {
            s.push(c);
            s.push(c);
            s
        })),
        _ => Err(bad()),
    }
}

/// `color` when it is already a valid colour (normalised), else `fallback`. Used when
/// assembling card data from stored rows, which may predate validation.
pub fn color_or(color: Option<&str>, fallback: &str) -> String {
    color
        .and_then(|c| normalize_color(c).ok())
        .unwrap_or_else(|| fallback.to_owned())
}

/// Checks `style` against the styles the loaded card-style plugins draw (case-insensitive;
/// returns the canonical spelling).
pub fn validate_style<S: AsRef<str>>(style: &str, available: &[S]) -> Result<String, ValueError> {
    let wanted = style.trim();
    available
        .iter()
        .map(AsRef::as_ref)
        .find(|s| s.eq_ignore_ascii_case(wanted))
        .map(str::to_owned)
        .ok_or_else(|| ValueError::UnknownStyle {
            style: wanted.to_owned(),
            available: list(available),
        })
}

/// `a, b, c` (or `none are loaded`), for error messages.
pub(crate) fn list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return "none (no card-style plugin is loaded)".to_owned();
    }
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_hex_forms() {
        assert_eq!(normalize_color("#5865F2").unwrap(), "#5865f2");
        assert_eq!(normalize_color("5865f2").unwrap(), "#5865f2");
        assert_eq!(normalize_color(" #5aF ").unwrap(), "#55aaff");
        assert_eq!(normalize_color("abc").unwrap(), "#aabbcc");
    }

    #[test]
    fn rejects_bad_colours_with_a_hint() {
        for bad in [
            "", "#", "red", "#12345", "#1234567", "#ggg", "12 34 56", "#-12345",
        ] {
            let err = normalize_color(bad).unwrap_err();
            assert!(err.to_string().contains("#5865f2"), "{bad}: {err}");
        }
    }

    #[test]
    fn color_or_falls_back_on_invalid_or_missing() {
        assert_eq!(color_or(Some("fff"), "#000000"), "#ffffff");
        assert_eq!(color_or(Some("nope"), "#000000"), "#000000");
        assert_eq!(color_or(None, "#123456"), "#123456");
    }

    #[test]
    fn styles_are_checked_case_insensitively() {
        let styles = ["classic", "minimal"];
        assert_eq!(validate_style("Classic", &styles).unwrap(), "classic");
        let err = validate_style("fancy", &styles).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown card style `fancy`: choose one of `classic`, `minimal`"
        );
        let none: [&str; 0] = [];
        assert!(validate_style("classic", &none).is_err());
    }
}
