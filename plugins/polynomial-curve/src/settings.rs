//! Configuration, validated once per configuration change.
//!
//! WHY `serde(from)`: the SDK caches parsed configuration by its raw text, so validating
//! inside deserialisation means a curve is checked once when a guild changes it, not on every
//! call.

use questline_plugin_sdk::{JsonSchema, warn};
use serde::{Deserialize, Serialize};

use crate::curve::{Curve, Preset};

/// What a guild can set; every field is optional.
///
/// `{"preset": "lurkr"}`, or a custom curve `{"a": 1, "b": 50, "c": 100, "round_to": 100}`
/// (given coefficients replace the preset's curve; missing ones are 0), plus
/// `min_xp`, `max_xp`, `cooldown_seconds` (default: the preset's). It is also the plugin's
/// settings schema.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields, title = "polynomial-curve settings")]
pub(crate) struct Raw {
    /// A named curve: polaris, polaris-generous, lurkr, arcane-linear or linear.
    preset: Preset,
    /// Custom curve: the L³ coefficient (any of a, b, c, d replaces the preset's curve).
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<f64>,
    /// Custom curve: the L² coefficient.
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<f64>,
    /// Custom curve: the L coefficient.
    #[serde(skip_serializing_if = "Option::is_none")]
    c: Option<f64>,
    /// Custom curve: the constant term.
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<f64>,
    /// Round each level's total XP to a multiple of this (default: the preset's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    round_to: Option<i64>,
    /// Least XP per message (default: the preset's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    min_xp: Option<i64>,
    /// Most XP per message (default: the preset's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    max_xp: Option<i64>,
    /// Seconds between two message awards (default: the preset's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    cooldown_seconds: Option<i64>,
}

/// The effective, validated settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "Raw")]
pub struct Settings {
    /// The level curve (always valid).
    pub curve: Curve,
    /// Least XP per message.
    pub min_xp: i64,
    /// Most XP per message (≥ `min_xp`).
    pub max_xp: i64,
    /// Seconds between message awards.
    pub cooldown_seconds: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Raw::default().into()
    }
}

impl From<Raw> for Settings {
    fn from(raw: Raw) -> Self {
        let custom = raw.a.is_some() || raw.b.is_some() || raw.c.is_some() || raw.d.is_some();
        let mut curve = if custom {
            Curve {
                a: raw.a.unwrap_or(0.0),
                b: raw.b.unwrap_or(0.0),
                c: raw.c.unwrap_or(0.0),
                d: raw.d.unwrap_or(0.0),
                round_to: 1,
            }
        } else {
            raw.preset.curve()
        };
        if let Some(round_to) = raw.round_to {
            curve.round_to = round_to;
        }
        if let Err(why) = curve.validate() {
            warn!(
                "polynomial-curve: {why}; using the default Polaris curve until the configuration is fixed"
            );
            curve = Preset::default().curve();
        }
        let (min, max, cooldown) = raw.preset.message_xp();
        let min_xp = raw.min_xp.unwrap_or(min).max(0);
        let max_xp = raw.max_xp.unwrap_or(max).max(0);
        Settings {
            curve,
            min_xp: min_xp.min(max_xp),
            max_xp: max_xp.max(min_xp),
            cooldown_seconds: raw.cooldown_seconds.unwrap_or(cooldown).max(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use questline_plugin_sdk::{Level, config_from_str, testing};

    #[test]
    fn custom_coefficients_and_rounding() {
        let s: Settings = config_from_str(r#"{"a": 0, "b": 0, "c": 250, "round_to": 1}"#);
        assert_eq!(s.curve.total_xp(4), 1_000);
        let s: Settings = config_from_str(r#"{"preset": "polaris", "round_to": 1}"#);
        assert_eq!(s.curve.total_xp(1), 151);
    }

    #[test]
    fn invalid_curve_falls_back_with_a_warning() {
        testing::reset();
        let s: Settings = config_from_str(r#"{"a": -1, "b": 10}"#);
        assert_eq!(s.curve, Preset::Polaris.curve());
        assert!(
            testing::logs()
                .iter()
                .any(|(l, m)| *l == Level::Warn && m.contains("highest-order"))
        );
    }

    #[test]
    fn the_settings_schema_names_every_key_and_only_the_preset_has_a_default() {
        let schema: serde_json::Value =
            serde_json::from_str(&questline_plugin_sdk::settings_schema::<Raw>()).unwrap();
        let props = schema["properties"].as_object().unwrap();
        let mut keys: Vec<&str> = props.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "a",
                "b",
                "c",
                "cooldown_seconds",
                "d",
                "max_xp",
                "min_xp",
                "preset",
                "round_to"
            ]
        );
        let with_default: Vec<&str> = props
            .iter()
            .filter(|(_, p)| p.get("default").is_some())
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(with_default, ["preset"]);
        assert_eq!(props["preset"]["default"], "polaris");
    }

    #[test]
    fn preset_names_and_defaults() {
        let s: Settings = config_from_str(r#"{"preset": "polaris-generous"}"#);
        assert_eq!(s.curve, Preset::PolarisGenerous.curve());
        let s: Settings =
            config_from_str(r#"{"preset": "arcane-linear", "min_xp": 40, "max_xp": 10}"#);
        assert_eq!((s.min_xp, s.max_xp), (10, 40));
        assert_eq!(Settings::default().curve, Preset::Polaris.curve());
    }
}
