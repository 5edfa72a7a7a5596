//! Discord ids (snowflakes) in configuration.
//!
//! Ids are 64-bit; JSON numbers lose precision above 2^53 in many tools, so operators often
//! write ids as strings. These helpers accept both, so a config works however it was written.
//! Map keys are JSON strings anyway; serde_json parses them into `u64` keys directly
//! (`HashMap<u64, f64>` just works).

use serde::{Deserialize, Deserializer};

use crate::types::Snowflake;

/// Parses an id written as decimal digits (surrounding spaces allowed).
pub fn parse_snowflake(text: &str) -> Option<Snowflake> {
    text.trim().parse().ok()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FlexId {
    Number(u64),
    Text(String),
}

/// `#[serde(deserialize_with = "questline_plugin_sdk::ids::deserialize_ids")]` for a
/// `Vec<Snowflake>` written as numbers, strings, or a mix.
pub fn deserialize_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Snowflake>, D::Error> {
    let raw: Vec<FlexId> = Vec::deserialize(d)?;
    raw.into_iter()
        .map(|id| match id {
            FlexId::Number(n) => Ok(n),
            FlexId::Text(s) => parse_snowflake(&s).ok_or_else(|| {
                serde::de::Error::custom(format!("`{s}` is not a Discord id (digits only)"))
            }),
        })
        .collect()
}

/// `#[schemars(schema_with = "questline_plugin_sdk::ids::ids_schema")]` beside
/// [`deserialize_ids`]: the settings schema then accepts ids as numbers or digit strings,
/// as the field does.
pub fn ids_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {"anyOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": "^\\s*[0-9]+\\s*$"}
        ]}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Cfg {
        #[serde(deserialize_with = "deserialize_ids")]
        ids: Vec<Snowflake>,
    }

    #[test]
    fn ids_as_numbers_or_strings() {
        let c: Cfg = serde_json::from_str(r#"{"ids": [1, "1234567890123456789", " 7 "]}"#).unwrap();
        assert_eq!(c.ids, vec![1, 1234567890123456789, 7]);
        assert!(serde_json::from_str::<Cfg>(r#"{"ids": ["abc"]}"#).is_err());
    }

    #[test]
    fn map_keys_parse_as_u64() {
        let m: std::collections::HashMap<u64, f64> =
            serde_json::from_str(r#"{"1234567890123456789": 1.5}"#).unwrap();
        assert_eq!(m.get(&1234567890123456789), Some(&1.5));
    }
}
