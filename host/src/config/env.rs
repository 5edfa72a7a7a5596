//! Environment overrides.
//!
//! Scheme: `QUESTLINE_` + the key's path with dots as underscores, upper case:
//! `[database] max_connections` is `QUESTLINE_DATABASE_MAX_CONNECTIONS`, `[database.cache.quest]
//! ttl_ms` is `QUESTLINE_DATABASE_CACHE_QUEST_TTL_MS`. Names are matched against the known
//! keys (not split on underscores), so keys that contain underscores are unambiguous. A
//! variable that starts with a section's prefix (`QUESTLINE_ENGINE_...`) but names no key is
//! an error (a typo must not silently do nothing); other `QUESTLINE_*` variables
//! (`QUESTLINE_CONFIG`, `QUESTLINE_LOG`, test settings) are not configuration keys and are
//! left alone.
//!
//! Values are read by the default's type: numbers, `true`/`false`, lists as
//! `a, b, c` or a TOML array `["a", "b"]`. The conventional `DATABASE_URL` and
//! `DISCORD_TOKEN` are honoured too (weaker than their `QUESTLINE_` forms).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::check::{describe, leaves, type_mismatch};
use crate::problem::Problem;

/// Conventional variables and the key each sets (when that key exists).
const ALIASES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("DISCORD_TOKEN", "discord.token"),
];

/// The variable name for a key path.
pub fn var_name(path: &str) -> String {
    format!("QUESTLINE_{}", path.replace('.', "_").to_uppercase())
}

/// Applies the overrides in `vars` to `table`; returns every bad variable.
pub fn apply(
    table: &mut toml::Table,
    schema: &Json,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Vec<Problem> {
    let keys: BTreeMap<String, (String, Json)> = leaves(schema)
        .into_iter()
        .map(|(path, default)| (var_name(&path), (path, default)))
        .collect();
    let sections: Vec<String> = schema
        .as_object()
        .map(|m| {
            m.keys()
                .map(|s| format!("QUESTLINE_{}_", s.to_uppercase()))
                .collect()
        })
        .unwrap_or_default();
    let vars: BTreeMap<String, String> = vars.into_iter().collect();
    let mut problems = Vec::new();

    let mut set = |name: &str,
                   path: &str,
                   default: &Json,
                   raw: &str,
                   problems: &mut Vec<Problem>| {
        match parse(default, raw) {
            Some(value) => {
                seed_parents(table, schema, path);
                insert(table, path, value)
            }
            None => problems.push(Problem::value(
                name,
                format!("{raw:?}"),
                format!("{path} expects {}", describe(default)),
            )),
        }
    };
    for (alias, path) in ALIASES {
        if let (Some(raw), Some((_, (_, default)))) =
            (vars.get(*alias), keys.iter().find(|(_, (p, _))| p == path))
        {
            set(alias, path, default, raw, &mut problems);
        }
    }
    for (name, raw) in &vars {
        match keys.get(name) {
            Some((path, default)) => set(name, path, default, raw, &mut problems),
            None if sections.iter().any(|s| name.starts_with(s.as_str())) => {
                let section = &sections
                    .iter()
                    .find(|s| name.starts_with(s.as_str()))
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let known: Vec<&str> = keys
                    .keys()
                    .filter(|k| k.starts_with(section.as_str()))
                    .map(String::as_str)
                    .collect();
                problems.push(Problem::value(
                    name,
                    format!("{raw:?}"),
                    format!("names no configuration key; known: {}", known.join(", ")),
                ));
            }
            None => {}
        }
    }
    problems
}

/// `raw` read as the type of `default`, or `None` when it cannot be.
fn parse(default: &Json, raw: &str) -> Option<toml::Value> {
    use toml::Value as T;
    let trimmed = raw.trim();
    let value = match default {
        Json::String(_) => T::String(raw.to_string()),
        Json::Bool(_) => T::Boolean(match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => return None,
        }),
        Json::Number(n) if n.is_f64() => T::Float(trimmed.parse().ok()?),
        Json::Number(_) => T::Integer(trimmed.parse().ok()?),
        Json::Array(items) => {
            if trimmed.starts_with('[') {
                toml_value(trimmed)?
            } else {
                let element = items
                    .first()
                    .cloned()
                    .unwrap_or(Json::String(String::new()));
                let parts = trimmed
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| parse(&element, s))
                    .collect::<Option<Vec<_>>>()?;
                T::Array(parts)
            }
        }
        // Optional keys: a TOML literal when it is one (`42`, `true`), else a string.
        Json::Null => toml_value(trimmed).unwrap_or_else(|| T::String(raw.to_string())),
        Json::Object(_) => return None,
    };
    type_mismatch(default, &value).is_none().then_some(value)
}

fn toml_value(text: &str) -> Option<toml::Value> {
    let table: toml::Table = toml::from_str(&format!("v = {text}")).ok()?;
    table.get("v").cloned()
}

fn insert(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = entry else {
            return;
        };
        current = next;
    }
    current.insert(last.to_string(), value);
}

/// Tables a variable reaches into that the file does not have are filled with their
/// defaults first, so `QUESTLINE_DATABASE_CACHE_QUEST_TTL_MS` alone keeps the default
/// `capacity` of `[database.cache.quest]` (whose keys are all required in a file).
fn seed_parents(table: &mut toml::Table, schema: &Json, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut current = table;
    let mut defaults = schema;
    for part in &parts[..parts.len().saturating_sub(1)] {
        defaults = match defaults.get(part) {
            Some(d) => d,
            None => return,
        };
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| to_toml(defaults).unwrap_or(toml::Value::Table(toml::Table::new())));
        let toml::Value::Table(next) = entry else {
            return;
        };
        current = next;
    }
}

/// A JSON default as TOML (`null`s, which TOML cannot hold, are left out).
fn to_toml(v: &Json) -> Option<toml::Value> {
    use toml::Value as T;
    Some(match v {
        Json::Null => return None,
        Json::Bool(b) => T::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => T::Integer(i),
            None => T::Float(n.as_f64()?),
        },
        Json::String(s) => T::String(s.clone()),
        Json::Array(a) => T::Array(a.iter().filter_map(to_toml).collect()),
        Json::Object(m) => T::Table(
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), to_toml(v)?)))
                .collect(),
        ),
    })
}
