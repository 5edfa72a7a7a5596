//! Validation that reports *every* bad key, not just the first one serde trips over.
//!
//! The schema is the default [`Config`] as JSON: its keys are the allowed keys and the type
//! of each default is the allowed type (`null` marks an optional key without a default,
//! whose type serde checks). A file is walked against it (unknown keys, wrong types), then
//! deserialized and checked by [`Config::validate`] (ranges, URL schemes, addresses).

use serde_json::Value as Json;

use super::Config;
use crate::problem::Problem;

/// The allowed keys and their defaults.
pub fn schema() -> Json {
    serde_json::to_value(Config::default()).unwrap_or(Json::Null)
}

/// Every leaf key of `schema` as (`a.b.c`, default), in schema order.
pub fn leaves(schema: &Json) -> Vec<(String, Json)> {
    fn walk(prefix: &str, v: &Json, out: &mut Vec<(String, Json)>) {
        match v {
            Json::Object(map) => {
                for (k, child) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&path, child, out);
                }
            }
            other => out.push((prefix.to_string(), other.clone())),
        }
    }
    let mut out = Vec::new();
    walk("", schema, &mut out);
    out
}

/// The value at `a.b.c` in a TOML table.
pub fn lookup<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let mut current = table.get(parts.next()?)?;
    for part in parts {
        current = current.as_table()?.get(part)?;
    }
    Some(current)
}

/// Checks a whole file's text: syntax, keys, types, then the value rules.
pub fn check_text(text: &str) -> Vec<Problem> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return vec![Problem::syntax(e.to_string())],
    };
    let problems = check_table(&table, &schema());
    if !problems.is_empty() {
        return problems;
    }
    match toml::Value::Table(table).try_into::<Config>() {
        Ok(config) => config.validate(),
        Err(e) => vec![Problem::syntax(e.to_string())],
    }
}

/// Unknown keys and wrong types, all of them.
pub fn check_table(table: &toml::Table, schema: &Json) -> Vec<Problem> {
    let mut out = Vec::new();
    walk_table("", table, schema, &mut out);
    out
}

fn walk_table(prefix: &str, table: &toml::Table, schema: &Json, out: &mut Vec<Problem>) {
    let Json::Object(allowed) = schema else {
        return;
    };
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match allowed.get(key) {
            None => {
                let names: Vec<&str> = allowed.keys().map(String::as_str).collect();
                let place = if prefix.is_empty() {
                    "sections are".to_string()
                } else {
                    format!("keys in [{prefix}] are")
                };
                out.push(Problem {
                    key: path,
                    value: None,
                    allowed: format!("unknown key; the allowed {place}: {}", names.join(", ")),
                });
            }
            Some(expected) => {
                if let (Json::Object(_), toml::Value::Table(inner)) = (expected, value) {
                    walk_table(&path, inner, expected, out);
                } else if let Some(allowed) = type_mismatch(expected, value) {
                    out.push(Problem::value(&path, value.to_string(), allowed));
                }
            }
        }
    }
}

/// What is allowed, when `value` does not have the type of `default`.
pub(crate) fn type_mismatch(default: &Json, value: &toml::Value) -> Option<String> {
    use toml::Value as T;
    let ok = match (default, value) {
        (Json::Null, _) => true,
        (Json::Bool(_), T::Boolean(_)) => true,
        (Json::Number(n), T::Integer(i)) if n.is_u64() => *i >= 0,
        (Json::Number(n), T::Integer(_)) if n.is_i64() => true,
        (Json::Number(n), T::Integer(_) | T::Float(_)) if n.is_f64() => true,
        (Json::String(_), T::String(_)) => true,
        (Json::Array(items), T::Array(values)) => match items.first() {
            Some(first) => values.iter().all(|v| type_mismatch(first, v).is_none()),
            None => true,
        },
        _ => false,
    };
    (!ok).then(|| describe(default))
}

/// "a whole number ≥ 0 (default 10)" and the like.
pub(crate) fn describe(default: &Json) -> String {
    let kind = kind(default);
    match default {
        Json::Null | Json::Object(_) => kind,
        other => format!("{kind} (default {other})"),
    }
}

fn kind(default: &Json) -> String {
    match default {
        Json::Bool(_) => "true or false".to_string(),
        Json::Number(n) if n.is_u64() => "a whole number ≥ 0".to_string(),
        Json::Number(n) if n.is_i64() => "a whole number".to_string(),
        Json::Number(_) => "a number".to_string(),
        Json::String(_) => "a quoted string".to_string(),
        Json::Array(items) => match items.first() {
            Some(Json::String(_)) | None => "a list of strings".to_string(),
            Some(other) => format!("a list of {}", kind(other)),
        },
        Json::Object(_) => "a table (section)".to_string(),
        Json::Null => "a value".to_string(),
    }
}
