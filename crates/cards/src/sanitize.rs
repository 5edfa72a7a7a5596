//! Checks on plugin SVG before it is rasterised.
//!
//! A card style is untrusted code; its SVG is bounded here (bytes, element count, nesting),
//! elements that have no business on a card (`<script>`, `<foreignObject>`) are refused, and
//! DTDs (entity expansion) are not parsed at all. The parsed document is handed to usvg, so
//! the text is parsed once.

use resvg::usvg::roxmltree;

use super::config::CardsConfig;
use super::error::CardError;

/// Elements a card may not contain. usvg would ignore them, but a style that emits them is
/// either broken or probing, and its author should hear about it.
const FORBIDDEN: &[&str] = &["script", "foreignObject", "iframe", "object", "embed"];

/// Parses `svg` and checks it against the limits in `cfg`.
pub fn parse_checked<'a>(
    cfg: &CardsConfig,
    svg: &'a str,
) -> Result<roxmltree::Document<'a>, CardError> {
    if svg.len() > cfg.max_svg_bytes {
        return Err(CardError::SvgTooLarge {
            size: svg.len(),
            max: cfg.max_svg_bytes,
        });
    }
    // Cheap upper bound before building a tree: every element starts with `<` + a name.
    let opening_tags = svg
        .as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
        .count();
    if opening_tags > cfg.max_svg_elements {
        return Err(CardError::TooManyElements {
            max: cfg.max_svg_elements,
        });
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(svg, options)
        .map_err(|e| CardError::InvalidSvg(e.to_string()))?;
    check_tree(cfg, doc.root_element())?;
    Ok(doc)
}

/// Walks the tree iteratively (a recursive walk could itself be made to overflow the stack).
fn check_tree(cfg: &CardsConfig, root: roxmltree::Node<'_, '_>) -> Result<(), CardError> {
    let mut elements = 0usize;
    let mut stack = vec![(root, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        elements += 1;
        if elements > cfg.max_svg_elements {
            return Err(CardError::TooManyElements {
                max: cfg.max_svg_elements,
            });
        }
        if depth > cfg.max_svg_depth {
            return Err(CardError::TooDeep {
                max: cfg.max_svg_depth,
            });
        }
        let name = node.tag_name().name();
        if let Some(bad) = FORBIDDEN.iter().find(|f| f.eq_ignore_ascii_case(name)) {
            return Err(CardError::Forbidden {
                element: (*bad).to_owned(),
            });
        }
        stack.extend(
            node.children()
                .filter(|c| c.is_element())
                .map(|c| (c, depth + 1)),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> CardsConfig {
        CardsConfig::default()
    }

    #[test]
    fn a_plain_card_passes() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>"#;
        assert!(parse_checked(&cfg(), svg).is_ok());
    }

    #[test]
    fn limits_apply() {
        let c = cfg();
        let huge = format!("<svg>{}</svg>", " ".repeat(c.max_svg_bytes));
        assert!(matches!(
            parse_checked(&c, &huge),
            Err(CardError::SvgTooLarge { .. })
        ));
        let many = format!("<svg>{}</svg>", "<g/>".repeat(c.max_svg_elements + 1));
        assert!(matches!(
            parse_checked(&c, &many),
            Err(CardError::TooManyElements { .. })
        ));
        let deep = format!(
            "<svg>{}{}</svg>",
            "<g>".repeat(c.max_svg_depth + 1),
            "</g>".repeat(c.max_svg_depth + 1)
        );
        assert!(matches!(
            parse_checked(&c, &deep),
            Err(CardError::TooDeep { .. })
        ));
    }

    #[test]
    fn scripts_and_dtds_are_refused() {
        let c = cfg();
        let script = r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(
            parse_checked(&c, script).unwrap_err(),
            CardError::Forbidden {
                element: "script".into()
            }
        );
        let laughs = r#"<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"><text>&a;</text></svg>"#;
        assert!(matches!(
            parse_checked(&c, laughs),
            Err(CardError::InvalidSvg(_))
        ));
    }
}
