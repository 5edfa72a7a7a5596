//! Gateway payloads built from the fixtures in `tests/discord-fixtures/`, patched per
//! scenario. Each builder returns the event's `d` object.

use serde_json::{Value, json};

use super::{APP_ID, BOT_ID, GENERAL, GUILD};

/// Every fixture file: `(file name, full gateway frame or REST object)`.
pub const FIXTURES: [(&str, &str); 8] = [
    (
        "ready.json",
        include_str!("../../discord-fixtures/ready.json"),
    ),
    (
        "guild_create.json",
        include_str!("../../discord-fixtures/guild_create.json"),
    ),
    (
        "message_create.json",
        include_str!("../../discord-fixtures/message_create.json"),
    ),
    (
        "message_reaction_add.json",
        include_str!("../../discord-fixtures/message_reaction_add.json"),
    ),
    (
        "voice_state_update.json",
        include_str!("../../discord-fixtures/voice_state_update.json"),
    ),
    (
        "interaction_create.json",
        include_str!("../../discord-fixtures/interaction_create.json"),
    ),
    (
        "guild_member_remove.json",
        include_str!("../../discord-fixtures/guild_member_remove.json"),
    ),
    (
        "message_object.json",
        include_str!("../../discord-fixtures/message_object.json"),
    ),
];

fn fixture(name: &str) -> Value {
    let text = FIXTURES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("no fixture {name}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

fn d(name: &str) -> Value {
    fixture(name)["d"].clone()
}

fn user(id: u64, name: &str) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": name, "avatar": null})
}

pub fn ready() -> Value {
    d("ready.json")
}

pub fn guild_create() -> Value {
    d("guild_create.json")
}

/// A REST Message object.
pub fn message_object() -> Value {
    fixture("message_object.json")
}

pub fn bot_user() -> Value {
    json!({"id": BOT_ID.to_string(), "username": "questline", "discriminator": "0", "global_name": null, "avatar": null, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0})
}

pub fn application() -> Value {
    json!({
        "id": APP_ID.to_string(), "name": "Questline", "icon": null, "description": "",
        "rpc_origins": [], "bot_public": true, "bot_require_code_grant": false,
        "terms_of_service_url": null, "privacy_policy_url": null,
        "owner": bot_user(), "verify_key": "0", "team": null, "flags": 0,
        "summary": "", "bot": bot_user()
    })
}

/// MESSAGE_CREATE from `author` (named `name`) in `channel` of the fixture guild.
pub fn message(id: u64, channel: u64, author: u64, name: &str, content: &str) -> Value {
    let mut m = d("message_create.json");
    m["id"] = json!(id.to_string());
    m["channel_id"] = json!(channel.to_string());
    m["author"] = user(author, name);
    m["content"] = json!(content);
    m["timestamp"] = json!(chrono::Utc::now().to_rfc3339());
    m
}

/// The same message sent by a bot.
pub fn bot_message(id: u64, channel: u64, author: u64) -> Value {
    let mut m = message(id, channel, author, "somebot", "beep");
    m["author"]["bot"] = json!(true);
    m
}

/// A message in a DM (no guild).
pub fn dm_message(id: u64, author: u64) -> Value {
    let mut m = message(id, 999, author, "dm", "hi");
    if let Some(o) = m.as_object_mut() {
        o.remove("guild_id");
        o.remove("member");
    }
    m
}

/// A message posted through a webhook.
pub fn webhook_message(id: u64, channel: u64) -> Value {
    let mut m = message(id, channel, 300_000_000_000_000_999, "hook", "hello");
    m["webhook_id"] = json!("300000000000000999");
    m
}

/// MESSAGE_REACTION_ADD by `user` on `message`.
pub fn reaction(user_id: u64, name: &str, message: u64) -> Value {
    let mut r = d("message_reaction_add.json");
    r["user_id"] = json!(user_id.to_string());
    r["member"]["user"] = user(user_id, name);
    r["message_id"] = json!(message.to_string());
    r
}

/// VOICE_STATE_UPDATE: `user` in `channel` (None = left).
pub fn voice(user_id: u64, name: &str, channel: Option<u64>, self_mute: bool) -> Value {
    let mut v = d("voice_state_update.json");
    v["user_id"] = json!(user_id.to_string());
    v["member"]["user"] = user(user_id, name);
    v["channel_id"] = channel.map_or(Value::Null, |c| json!(c.to_string()));
    v["self_mute"] = json!(self_mute);
    v
}

/// An option of a slash command as Discord sends it.
pub fn opt(name: &str, kind: u8, value: Value) -> Value {
    json!({"name": name, "type": kind, "value": value})
}

/// A subcommand with its options.
pub fn sub(name: &str, options: Vec<Value>) -> Value {
    json!({"name": name, "type": 1, "options": options})
}

/// INTERACTION_CREATE: `user` runs `/name` with `options`, holding `permissions` bits.
pub fn interaction(
    id: u64,
    user_id: u64,
    name: &str,
    command: &str,
    options: Vec<Value>,
    permissions: u64,
) -> Value {
    let mut i = d("interaction_create.json");
    i["id"] = json!(id.to_string());
    i["token"] = json!(format!("token-{id}"));
    i["data"]["name"] = json!(command);
    i["data"]["options"] = Value::Array(options);
    i["member"]["user"] = user(user_id, name);
    i["member"]["permissions"] = json!(permissions.to_string());
    i["guild_id"] = json!(GUILD.to_string());
    i["channel_id"] = json!(GENERAL.to_string());
    i
}

/// An option being typed in, as Discord sends it in an autocomplete request.
pub fn focused(name: &str, typed: &str) -> Value {
    json!({"name": name, "type": 3, "value": typed, "focused": true})
}

/// INTERACTION_CREATE of type 4: `user` is typing an option of `/command` (one option of
/// `options` is [`focused`]).
pub fn autocomplete(
    id: u64,
    user_id: u64,
    command: &str,
    options: Vec<Value>,
    permissions: u64,
) -> Value {
    let mut i = interaction(id, user_id, "member", command, options, permissions);
    i["type"] = json!(4);
    i
}

/// Adds `users` to the interaction's resolved data (what Discord sends for user options).
pub fn resolve_users(mut interaction: Value, users: &[(u64, &str)]) -> Value {
    let mut map = serde_json::Map::new();
    for (id, name) in users {
        map.insert(id.to_string(), user(*id, name));
    }
    interaction["data"]["resolved"] = json!({"users": map});
    interaction
}

/// Adds an uploaded file to the interaction's resolved data (what Discord sends for an
/// attachment option, whose value is the attachment's id).
pub fn resolve_attachment(
    mut interaction: Value,
    id: u64,
    filename: &str,
    url: &str,
    size: usize,
) -> Value {
    interaction["data"]["resolved"]["attachments"] = json!({
        id.to_string(): {
            "id": id.to_string(),
            "filename": filename,
            "size": size,
            "url": url,
            "proxy_url": url,
            "content_type": "application/json",
        }
    });
    interaction
}

/// GUILD_MEMBER_REMOVE: `user` left (or was removed from) the fixture guild.
pub fn member_remove(user_id: u64, name: &str) -> Value {
    let mut m = d("guild_member_remove.json");
    m["user"] = user(user_id, name);
    m
}

/// GUILD_BAN_ADD or GUILD_BAN_REMOVE: `user` banned from (or unbanned in) the fixture guild.
pub fn ban(user_id: u64, name: &str) -> Value {
    json!({"guild_id": GUILD.to_string(), "user": user(user_id, name)})
}

/// GUILD_MEMBER_ADD: `user` joined the fixture guild.
pub fn member_add(user_id: u64, name: &str) -> Value {
    json!({
        "guild_id": GUILD.to_string(), "user": user(user_id, name), "nick": null, "avatar": null,
        "roles": [], "joined_at": chrono::Utc::now().to_rfc3339(), "premium_since": null,
        "deaf": false, "mute": false, "flags": 0, "pending": false
    })
}
