//! Checks recorded REST calls against Discord's own OpenAPI description (vendored in
//! `tests/discord-api-spec/`, MIT-licensed, trimmed by its `trim.py` to every operation and
//! the request-body schemas), plus the rules the spec leaves loose: message content length,
//! command names, option and command counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::Call;

/// Discord's OpenAPI description, compiled into the test support so no file outside the
/// repository is ever read.
const OPENAPI: &str = include_str!("../../discord-api-spec/openapi.json");

/// Discord's OpenAPI description, compiled lazily per operation.
pub struct Spec {
    components: Value,
    paths: Vec<(Vec<String>, Value)>,
    compiled: Mutex<HashMap<(String, String), Arc<jsonschema::Validator>>>,
}

fn template_matches(template: &[String], path: &[&str]) -> bool {
    template.len() == path.len()
        && template
            .iter()
            .zip(path)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p)
}

impl Spec {
    /// Parses the vendored spec.
    pub fn load() -> Spec {
        let doc: Value = serde_json::from_str(OPENAPI).expect("the vendored openapi.json is JSON");
        let paths = doc["paths"]
            .as_object()
            .expect("spec has paths")
            .iter()
            .map(|(k, v)| {
                (
                    k.trim_start_matches('/')
                        .split('/')
                        .map(str::to_string)
                        .collect(),
                    v.clone(),
                )
            })
            .collect();
        Spec {
            components: doc["components"].clone(),
            paths,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// The operation for `method path`: `(template, operation object)`.
    fn operation(&self, method: &str, path: &str) -> Option<(String, Value)> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        // Prefer literal segments over parameters (`@original` vs `{message_id}`).
        let mut best: Option<(usize, String, Value)> = None;
        for (template, item) in &self.paths {
            if !template_matches(template, &segs) {
                continue;
            }
            let Some(op) = item.get(method.to_ascii_lowercase()) else {
                continue;
            };
            let literal = template.iter().filter(|t| !t.starts_with('{')).count();
            if best.as_ref().is_none_or(|(l, _, _)| literal > *l) {
                best = Some((literal, format!("/{}", template.join("/")), op.clone()));
            }
        }
        best.map(|(_, t, op)| (t, op))
    }

    fn validator(
        &self,
        method: &str,
        template: &str,
        op: &Value,
    ) -> Option<Arc<jsonschema::Validator>> {
        let key = (method.to_string(), template.to_string());
        if let Some(v) = self.compiled.lock().unwrap().get(&key) {
            return Some(v.clone());
        }
        let schema = op
            .pointer("/requestBody/content/application~1json/schema")?
            .clone();
        // The operation's schema at the root, the components beside it for `$ref`s.
        let mut root = match schema {
            Value::Object(m) => Value::Object(m),
            other => json!({"allOf": [other]}),
        };
        root["components"] = self.components.clone();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema of {method} {template} does not compile: {e}"));
        let v = Arc::new(validator);
        self.compiled.lock().unwrap().insert(key, v.clone());
        Some(v)
    }

    /// Checks one call: the operation exists in the spec, and its JSON body (a multipart
    /// request's `payload_json`) validates against the operation's request schema.
    pub fn check(&self, call: &Call) -> Result<(), String> {
        let (template, op) = self.operation(&call.method, &call.path).ok_or_else(|| {
            format!(
                "{} {} is not an operation in Discord's spec",
                call.method, call.path
            )
        })?;
        let Some(body) = &call.json else {
            if op.pointer("/requestBody/required") == Some(&Value::Bool(true)) {
                return Err(format!("{} {template} needs a body", call.method));
            }
            return Ok(());
        };
        let mut body = body.clone();
        normalise_attachment_ids(&mut body);
        let Some(validator) = self.validator(&call.method, &template, &op) else {
            return Err(format!(
                "{} {template} takes no JSON body, but one was sent",
                call.method
            ));
        };
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} {} ({template}) breaks the spec: {}\nbody: {}",
                call.method,
                call.path,
                errors.join("; "),
                body
            ))
        }
    }
}

/// serenity sends attachment placeholder ids as integers; the spec wants strings (a known
/// quirk, not ours to fix).
fn normalise_attachment_ids(body: &mut Value) {
    if let Some(t) = body.pointer_mut("/attachments") {
        fix(t);
    }
    if let Some(t) = body.pointer_mut("/data/attachments") {
        fix(t);
    }
    // Likewise `default_member_permissions`: Discord documents a string of bits (what
    // serenity sends); the OpenAPI description types it as an integer.
    if let Some(commands) = body.as_array_mut() {
        for c in commands {
            if let Some(bits) = c
                .get("default_member_permissions")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<u64>().ok())
            {
                c["default_member_permissions"] = json!(bits);
            }
        }
    }
    fn fix(list: &mut Value) {
        if let Some(items) = list.as_array_mut() {
            for a in items {
                if let Some(id) = a.get("id").and_then(Value::as_u64) {
                    a["id"] = json!(id.to_string());
                }
            }
        }
    }
}

/// Discord's command and option name rule (`^[-_\p{L}\p{N}]{1,32}$`, lowercase where a
/// lowercase form exists).
pub fn valid_command_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name
            .chars()
            .all(|c| c == '-' || c == '_' || c.is_alphanumeric())
        && name.to_lowercase() == name
}

fn check_options(path: &str, options: &[Value]) -> Result<(), String> {
    if options.len() > 25 {
        return Err(format!("{path}: {} options (max 25)", options.len()));
    }
    for o in options {
        let name = o["name"].as_str().unwrap_or("");
        if !valid_command_name(name) {
            return Err(format!("{path}: option name `{name}` is invalid"));
        }
        let d = o["description"].as_str().unwrap_or("").chars().count();
        if !(1..=100).contains(&d) {
            return Err(format!(
                "{path} {name}: description of {d} characters (1-100)"
            ));
        }
        if let Some(choices) = o.get("choices").and_then(Value::as_array)
            && choices.len() > 25
        {
            return Err(format!("{path} {name}: more than 25 choices"));
        }
        if let Some(sub) = o.get("options").and_then(Value::as_array) {
            check_options(&format!("{path} {name}"), sub)?;
        }
    }
    Ok(())
}

/// The rules the spec leaves loose, for every call: content ≤ 2,000 characters; command
/// registrations with valid names, 1-100 character descriptions, ≤ 25 options, ≤ 100 commands.
/// Discord's embed limits: at most 10 embeds; title 256, description 4,096, 25 fields with
/// non-empty names (256) and values (1,024), 6,000 characters in all.
fn check_embeds(embeds: &[Value]) -> Result<(), String> {
    if embeds.len() > 10 {
        return Err(format!("{} embeds (max 10)", embeds.len()));
    }
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    for e in embeds {
        let mut total = len(&e["title"]) + len(&e["description"]);
        if len(&e["title"]) > 256 || len(&e["description"]) > 4_096 {
            return Err("embed title or description too long".into());
        }
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            return Err(format!("{} embed fields (max 25)", fields.len()));
        }
        for f in &fields {
            let (name, value) = (len(&f["name"]), len(&f["value"]));
            if name == 0 || name > 256 || value == 0 || value > 1_024 {
                return Err(format!("embed field of {name}/{value} characters"));
            }
            total += name + value;
        }
        if total > 6_000 {
            return Err(format!("embed of {total} characters (max 6,000)"));
        }
    }
    Ok(())
}

pub fn check_discord_rules(call: &Call) -> Result<(), String> {
    if let Some(c) = call.content() {
        let n = c.chars().count();
        if n > 2_000 {
            return Err(format!(
                "{} {}: content of {n} characters",
                call.method, call.path
            ));
        }
    }
    let embeds = call
        .json
        .as_ref()
        .and_then(|j| j.get("embeds").or_else(|| j.pointer("/data/embeds")))
        .and_then(Value::as_array);
    if let Some(embeds) = embeds {
        check_embeds(embeds).map_err(|e| format!("{} {}: {e}", call.method, call.path))?;
    }
    let registration = call.method == "PUT"
        && call.path.starts_with("/applications/")
        && call.path.ends_with("/commands");
    if registration {
        let list = call
            .json
            .as_ref()
            .and_then(Value::as_array)
            .ok_or("command registration without a list")?;
        if list.len() > 100 {
            return Err(format!("{} commands (max 100)", list.len()));
        }
        let mut names = std::collections::HashSet::new();
        for c in list {
            let name = c["name"].as_str().unwrap_or("");
            if !valid_command_name(name) {
                return Err(format!("command name `{name}` is invalid"));
            }
            if !names.insert(name.to_string()) {
                return Err(format!("command `{name}` registered twice"));
            }
            let d = c["description"].as_str().unwrap_or("").chars().count();
            if !(1..=100).contains(&d) {
                return Err(format!("/{name}: description of {d} characters (1-100)"));
            }
            check_options(
                &format!("/{name}"),
                c.get("options")
                    .and_then(Value::as_array)
                    .map_or(&[], |v| v),
            )?;
        }
    }
    Ok(())
}
