//! Calling card-style plugins: finding which plugin draws a style, and rendering a card with
//! it. Every failure (unknown style, plugin error or timeout, SVG over the limits) ends in the
//! host's fallback card, with the reason.

use questline_plugin_runtime::{self as plugins, CallContext, PluginHost, PluginKind};

use super::color::list;
use super::data::{CardData, DEFAULT_STYLE};
use super::error::CardError;
use super::render::{CardRenderer, RenderedCard};

/// One style and the plugin that draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleEntry {
    pub style: String,
    pub plugin: String,
}

/// Every style the loaded card-style plugins draw, sorted by style. When two plugins offer a
/// style of the same name, the plugin whose name sorts first wins (deterministic). A plugin
/// that fails to answer is skipped (and logged).
pub fn available_styles(host: &PluginHost, ctx: &CallContext) -> Vec<StyleEntry> {
    let mut plugin_names = host.plugins_with_kind(PluginKind::CardStyle);
    plugin_names.sort();
    let mut entries: Vec<StyleEntry> = Vec::new();
    for plugin in plugin_names {
        match host.card_styles_blocking(&plugin, ctx) {
            Ok(styles) => {
                for style in styles {
                    if !entries.iter().any(|e| e.style == style) {
                        entries.push(StyleEntry {
                            style,
                            plugin: plugin.clone(),
                        });
                    }
                }
            }
            Err(err) => {
                tracing::warn!(%plugin, error = %err, "card-style plugin did not list its styles")
            }
        }
    }
    entries.sort_by(|a, b| a.style.cmp(&b.style));
    entries
}

/// The style names, for `/card style` validation ([`super::validate_style`]).
pub fn style_names(entries: &[StyleEntry]) -> Vec<String> {
    entries.iter().map(|e| e.style.clone()).collect()
}

/// The contract's record for `data`.
pub fn to_wit(data: &CardData) -> plugins::CardData {
    plugins::CardData {
        width: data.width,
        height: data.height,
        display_name: data.display_name.clone(),
        avatar: data.avatar.clone(),
        level: data.level,
        rank: data.rank,
        xp_into_level: data.xp_into_level,
        level_span: data.level_span,
        total_xp: data.total_xp,
        primary_color: data.primary_color.clone(),
        secondary_color: data.secondary_color.clone(),
        border_color: data.border_color.clone(),
        text_color: data.text_color.clone(),
        background: data.background.clone(),
        guild_name: data.guild_name.clone(),
    }
}

/// Asks the plugin drawing `style` for the card's SVG. An unknown style falls back to
/// [`DEFAULT_STYLE`] when it exists (a stored style whose plugin was removed).
pub fn render_svg_blocking(
    host: &PluginHost,
    ctx: &CallContext,
    style: &str,
    data: &CardData,
) -> Result<String, CardError> {
    let entries = available_styles(host, ctx);
    let entry = entries
        .iter()
        .find(|e| e.style == style)
        .or_else(|| {
            let default = entries.iter().find(|e| e.style == DEFAULT_STYLE);
            if default.is_some() {
                tracing::info!(%style, "card style not loaded; drawing the default style");
            }
            default
        })
        .ok_or_else(|| CardError::UnknownStyle {
            style: style.to_owned(),
            available: list(&style_names(&entries)),
        })?;
    match host.card_render_blocking(&entry.plugin, ctx, &entry.style, &to_wit(data)) {
        Ok(Ok(svg)) => Ok(svg),
        Ok(Err(refusal)) => Err(CardError::Plugin(format!(
            "`{}` refused to draw `{}`: {refusal}",
            entry.plugin, entry.style
        ))),
        Err(err) => Err(CardError::Plugin(format!("`{}`: {err}", entry.plugin))),
    }
}

/// Renders `data` in `style`: the style's card, or the fallback card and the reason.
pub fn render_card_blocking(
    host: &PluginHost,
    renderer: &CardRenderer,
    ctx: &CallContext,
    style: &str,
    data: &CardData,
) -> RenderedCard {
    renderer.render_or_fallback(render_svg_blocking(host, ctx, style, data), data)
}

/// [`render_card_blocking`] on the blocking thread pool (rasterising takes milliseconds of
/// CPU; it must not stall the async runtime).
pub async fn render_card(
    host: PluginHost,
    renderer: CardRenderer,
    ctx: CallContext,
    style: String,
    data: CardData,
) -> RenderedCard {
    let fallback_data = data.clone();
    let fallback_renderer = renderer.clone();
    tokio::task::spawn_blocking(move || render_card_blocking(&host, &renderer, &ctx, &style, &data))
        .await
        .unwrap_or_else(|join| {
            let err = CardError::Plugin(format!("the render task failed: {join}"));
            fallback_renderer.render_or_fallback(Err(err), &fallback_data)
        })
}
