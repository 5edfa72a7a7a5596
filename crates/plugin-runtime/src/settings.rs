//! Typed plugin settings: the JSON Schema a plugin declares in its metadata
//! (`settings-schema`), compiled once at load.
//!
//! WHY in the host, not the plugin: a plugin that parses its own settings can only fall back
//! to its defaults on a typo, silently, at call time. With a schema the host refuses the typo
//! when an admin types it (`/plugins config`, the dashboard), names the key and the reason,
//! fills the defaults the plugin declared, and can show admins which keys exist.

use std::fmt::Write as _;

use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value};

/// Largest schema a plugin may declare, in bytes (a real one is a few KiB).
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// Problems listed when settings are refused (the rest are counted).
const MAX_PROBLEMS: usize = 5;

/// The JSON Schema draft the contract uses.
const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// One top-level key of a plugin's settings, for admins.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingKey {
    pub name: String,
    /// The JSON type(s), e.g. `integer`, `array`, `string | integer`; empty when the schema
    /// does not say.
    pub kind: String,
    pub default: Option<Value>,
    pub description: Option<String>,
}

impl std::fmt::Display for SettingKey {
    /// `min_xp (integer, default 15): Least XP per message.`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        let mut notes = Vec::new();
        if !self.kind.is_empty() {
            notes.push(self.kind.clone());
        }
        if let Some(default) = &self.default {
            notes.push(format!("default {default}"));
        }
        if !notes.is_empty() {
            write!(f, " ({})", notes.join(", "))?;
        }
        if let Some(description) = &self.description {
            write!(f, ": {}", description.trim())?;
        }
        Ok(())
    }
}

/// A plugin's compiled settings schema.
pub struct SettingsSchema {
    text: String,
    validator: jsonschema::Validator,
    defaults: Map<String, Value>,
    keys: Vec<SettingKey>,
}

impl std::fmt::Debug for SettingsSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SettingsSchema")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl SettingsSchema {
    /// Compiles a plugin's schema text, or says what is wrong with it.
    ///
    /// It must be a draft 2020-12 schema (no other `$schema`) of an object (`"type":
    /// "object"`), with no reference outside itself (nothing is fetched), and its own
    /// top-level defaults must be valid settings.
    pub fn compile(text: &str) -> Result<Self, String> {
        if text.len() > MAX_SCHEMA_BYTES {
            return Err(format!(
                "its settings-schema is {} bytes, over the {MAX_SCHEMA_BYTES}-byte limit",
                text.len()
            ));
        }
        let schema: Value = serde_json::from_str(text)
            .map_err(|e| format!("its settings-schema is not JSON: {e}"))?;
        let Some(root) = schema.as_object() else {
            return Err("its settings-schema must be a JSON object (a JSON Schema)".into());
        };
        if let Some(draft) = root.get("$schema")
            && draft.as_str().map(|d| d.trim_end_matches('#')) != Some(DRAFT_2020_12)
        {
            return Err(format!(
                "its settings-schema declares `$schema` {draft}; the contract uses JSON Schema \
                 draft 2020-12 ({DRAFT_2020_12}), or leave `$schema` out"
            ));
        }
        if root.get("type").and_then(Value::as_str) != Some("object") {
            return Err(
                "its settings-schema must describe an object: add `\"type\": \"object\"` at the \
                 top (settings are a JSON object of keys)"
                    .into(),
            );
        }
        let validator = jsonschema::draft202012::options()
            .build(&schema)
            .map_err(|e| format!("its settings-schema is not a valid JSON Schema: {e}"))?;
        let properties = root.get("properties").and_then(Value::as_object);
        let defaults: Map<String, Value> = properties
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.get("default")?.clone())))
            .collect();
        let keys = properties
            .into_iter()
            .flatten()
            .map(|(name, prop)| SettingKey {
                name: name.clone(),
                kind: kind_of(prop, root),
                default: prop.get("default").cloned(),
                description: prop
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
            .collect();
        let compiled = Self {
            text: text.to_owned(),
            validator,
            defaults,
            keys,
        };
        let with_defaults = compiled.with_defaults(&Value::Object(Map::new()));
        compiled.validate(&with_defaults).map_err(|problems| {
            format!("its settings-schema's own defaults are not valid settings: {problems}")
        })?;
        Ok(compiled)
    }

    /// The schema as the plugin declared it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The top-level keys, in the schema's order.
    pub fn keys(&self) -> &[SettingKey] {
        &self.keys
    }

    /// Checks settings against the schema. The error lists each problem with the key it is
    /// about, and for an unknown key the closest known one.
    pub fn validate(&self, settings: &Value) -> Result<(), SettingsProblems> {
        let mut problems = Vec::new();
        let mut more = 0usize;
        for error in self.validator.iter_errors(settings) {
            let texts = self.describe(&error);
            for text in texts {
                if problems.len() < MAX_PROBLEMS {
                    problems.push(text);
                } else {
                    more += 1;
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SettingsProblems { problems, more })
        }
    }

    /// `settings` with the schema's top-level defaults for the keys it does not set (what the
    /// plugin's `config.get` returns). Anything but an object is returned as it is.
    pub fn with_defaults(&self, settings: &Value) -> Value {
        let mut out = settings.clone();
        if let Value::Object(map) = &mut out {
            for (key, default) in &self.defaults {
                map.entry(key.clone()).or_insert_with(|| default.clone());
            }
        }
        out
    }

    /// Whether any top-level key has a default (when none has, settings pass through as is).
    pub fn has_defaults(&self) -> bool {
        !self.defaults.is_empty()
    }

    fn describe(&self, error: &jsonschema::ValidationError<'_>) -> Vec<String> {
        if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
            let at = error.instance_path().as_str();
            return unexpected
                .iter()
                .map(|key| {
                    if at.is_empty() {
                        self.unknown_key(key)
                    } else {
                        format!("`{}`: `{key}` is not an allowed key there", key_path(at))
                    }
                })
                .collect();
        }
        let at = error.instance_path().as_str();
        let reason = error.to_string();
        if at.is_empty() {
            vec![reason]
        } else {
            vec![format!("`{}`: {reason}", key_path(at))]
        }
    }

    fn unknown_key(&self, key: &str) -> String {
        let mut text = format!("`{key}` is not a setting of this plugin");
        let closest = self
            .keys
            .iter()
            .map(|k| (strsim::levenshtein(key, &k.name), &k.name))
            .filter(|(distance, name)| *distance <= (name.len() / 3).max(2))
            .min_by_key(|(distance, _)| *distance);
        if let Some((_, name)) = closest {
            let _ = write!(text, " (did you mean `{name}`?)");
        }
        if !self.keys.is_empty() {
            let names: Vec<&str> = self.keys.iter().map(|k| k.name.as_str()).collect();
            let _ = write!(text, "; its settings are {}", names.join(", "));
        }
        text
    }
}

/// Why settings were refused: each problem names its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsProblems {
    pub problems: Vec<String>,
    /// Problems beyond the ones listed.
    pub more: usize,
}

impl std::fmt::Display for SettingsProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problems.join("; "))?;
        if self.more > 0 {
            write!(f, "; and {} more", self.more)?;
        }
        Ok(())
    }
}

/// A JSON pointer into settings as admins write keys: `/multipliers/123` → `multipliers.123`.
fn key_path(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The JSON type a property schema allows, following one local `$ref`.
fn kind_of(prop: &Value, root: &Map<String, Value>) -> String {
    let resolved = prop
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/"))
        .and_then(|path| {
            let mut segments = path.split('/');
            let first = root.get(segments.next()?)?;
            segments.try_fold(first, |v, seg| v.get(seg))
        });
    let prop = resolved.unwrap_or(prop);
    match prop.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => {
            let consts: Vec<String> = ["oneOf", "anyOf", "enum"]
                .iter()
                .filter_map(|k| prop.get(*k).and_then(Value::as_array))
                .flatten()
                .filter_map(|v| v.get("const").or(Some(v)).and_then(Value::as_str))
                .map(|s| format!("\"{s}\""))
                .collect();
            consts.join(" | ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> SettingsSchema {
        SettingsSchema::compile(
            &json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "min_xp": {"type": "integer", "minimum": 0, "default": 15, "description": "Least XP"},
                    "max_xp": {"type": "integer", "minimum": 0, "default": 25},
                    "role_multipliers": {
                        "type": "object",
                        "additionalProperties": false,
                        "patternProperties": {"^\\d+$": {"type": "number"}},
                        "default": {}
                    },
                    "stacking": {"$ref": "#/$defs/Stacking", "default": "multiply"}
                },
                "$defs": {"Stacking": {"oneOf": [
                    {"type": "string", "const": "multiply"},
                    {"type": "string", "const": "add"}
                ]}}
            })
            .to_string(),
        )
        .expect("a valid schema")
    }

    #[test]
    fn a_typo_is_refused_with_the_key_and_the_closest_setting() {
        let err = schema()
            .validate(&json!({"min_xpp": 3}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`min_xpp` is not a setting"), "{err}");
        assert!(err.contains("did you mean `min_xp`?"), "{err}");
        let known = err.split("its settings are ").nth(1).unwrap_or_default();
        let mut known: Vec<&str> = known.split(", ").collect();
        known.sort_unstable();
        assert_eq!(known, ["max_xp", "min_xp", "role_multipliers", "stacking"]);
    }

    #[test]
    fn a_wrong_value_names_its_key_and_the_reason() {
        let s = schema();
        let err = s
            .validate(&json!({"min_xp": "lots"}))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`min_xp`: "), "{err}");
        assert!(err.contains("integer"), "{err}");
        let err = s
            .validate(&json!({"role_multipliers": {"123": "x", "abc": 2}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`role_multipliers.123`"), "{err}");
        assert!(err.contains("`abc`"), "{err}");
        assert!(s.validate(&json!({"stacking": "add"})).is_ok());
        assert!(s.validate(&json!({"stacking": "sideways"})).is_err());
    }

    #[test]
    fn defaults_fill_missing_top_level_keys_only() {
        let s = schema();
        assert_eq!(
            s.with_defaults(&json!({"min_xp": 3})),
            json!({"min_xp": 3, "max_xp": 25, "role_multipliers": {}, "stacking": "multiply"})
        );
        let key = |name: &str| s.keys().iter().find(|k| k.name == name).cloned().unwrap();
        assert_eq!(key("min_xp").kind, "integer");
        assert_eq!(key("min_xp").description.as_deref(), Some("Least XP"));
        assert_eq!(key("stacking").kind, "\"multiply\" | \"add\"");
        assert_eq!(
            key("min_xp").to_string(),
            "min_xp (integer, default 15): Least XP"
        );
    }

    #[test]
    fn bad_schemas_are_refused_with_the_reason() {
        for (schema, expected) in [
            ("{", "not JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"properties": {}}"#, "must describe an object"),
            (
                r#"{"type": "object", "$schema": "http://json-schema.org/draft-07/schema"}"#,
                "draft 2020-12",
            ),
            (
                r#"{"type": "object", "properties": {"a": {"type": "wat"}}}"#,
                "not a valid JSON Schema",
            ),
            (
                r#"{"type": "object", "properties": {"a": {"type": "integer", "default": "x"}}}"#,
                "own defaults are not valid",
            ),
            (
                r#"{"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}"#,
                "not a valid JSON Schema",
            ),
        ] {
            let err = SettingsSchema::compile(schema).unwrap_err();
            assert!(err.contains(expected), "{schema}: {err}");
        }
    }
}
