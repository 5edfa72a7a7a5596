//! Level-up messages with placeholders, as MEE6, Lurkr and Polaris users write them.
//!
//! Placeholders: `{user}` (a mention), `{user.name}`, `{level}`, `{xp}`, `{role}` (a mention of
//! the reward role, or empty), `{guild}` ([`PLACEHOLDERS`]). Templates are checked when an
//! admin sets them ([`check_template`]); an unknown placeholder that got in anyway (an
//! import, an older version) is left as typed so the typo is visible rather than silently
//! dropped. The result never exceeds Discord's 2,000-character message limit.

/// Discord's limit for message content, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// The default level-up message.
pub const DEFAULT_LEVEL_UP: &str = "🎉 {user} reached level **{level}**!";

/// Values for the placeholders.
#[derive(Debug, Clone, Default)]
pub struct LevelUpVars<'a> {
    pub user_id: u64,
    pub user_name: &'a str,
    pub level: u32,
    pub xp: i64,
    pub role_id: Option<u64>,
    pub guild_name: &'a str,
}

/// Renders `template` (or the default when empty) with `vars`.
pub fn render_level_up(template: &str, vars: &LevelUpVars<'_>) -> String {
    let template = if template.trim().is_empty() {
        DEFAULT_LEVEL_UP
    } else {
        template
    };
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        match after.find('}') {
            Some(close) => {
                let key = &after[1..close];
                match substitute(key, vars) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&after[..=close]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    questline_text::truncate_chars(&out, MAX_MESSAGE_CHARS)
}

/// Every placeholder and what it becomes, for the docs, errors and `/levelup preview`.
pub const PLACEHOLDERS: [(&str, &str); 6] = [
    (
        "{user}",
        "a mention of the member (pings unless level_up_ping is off)",
    ),
    (
        "{user.name}",
        "the member's display name, without a mention",
    ),
    ("{level}", "the level reached"),
    ("{xp}", "the member's total XP"),
    (
        "{role}",
        "a mention of the reward role given at this level (empty when none)",
    ),
    ("{guild}", "the server's name"),
];

/// The placeholders in `template` that are not in [`PLACEHOLDERS`] (a typo such as
/// `{usr}` would otherwise be sent as typed), in order of appearance.
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        let Some(close) = after.find('}') else { break };
        let key = &after[..=close];
        if !PLACEHOLDERS.iter().any(|(p, _)| *p == key) && !out.iter().any(|k| k == key) {
            out.push(key.to_string());
        }
        rest = &after[close + 1..];
    }
    out
}

/// Refuses a template with an unknown placeholder, naming it and the known ones.
pub fn check_template(template: &str) -> Result<(), String> {
    let unknown = unknown_placeholders(template);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} {} not a placeholder; the placeholders are {}",
        unknown.join(", "),
        if unknown.len() == 1 { "is" } else { "are" },
        PLACEHOLDERS.map(|(p, _)| p).join(", ")
    ))
}

/// A level-up's whole message under a guild's settings: the level's own message or the
/// guild's template (or the default), then, for each reward role given, the guild's
/// `role_reward_message` with `{role}` naming that role. What the engine sends and what
/// `/levelup preview` shows.
pub fn level_up_text(
    cfg: &crate::db::entities::server_config::Model,
    vars: &LevelUpVars<'_>,
    roles_given: &[u64],
) -> String {
    let mut out = render_level_up(cfg.level_up_template(vars.level).unwrap_or(""), vars);
    if let Some(role_message) = cfg
        .role_reward_message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
    {
        for role in roles_given {
            let with_role = LevelUpVars {
                role_id: Some(*role),
                ..vars.clone()
            };
            out.push('\n');
            out.push_str(&render_level_up(role_message, &with_role));
        }
    }
    questline_text::truncate_chars(&out, MAX_MESSAGE_CHARS)
}

fn substitute(key: &str, vars: &LevelUpVars<'_>) -> Option<String> {
    Some(match key {
        "user" => format!("<@{}>", vars.user_id),
        "user.name" => vars.user_name.to_owned(),
        "level" => vars.level.to_string(),
        "xp" => vars.xp.to_string(),
        "role" => vars.role_id.map(|r| format!("<@&{r}>")).unwrap_or_default(),
        "guild" => vars.guild_name.to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> LevelUpVars<'static> {
        LevelUpVars {
            user_id: 42,
            user_name: "alice",
            level: 7,
            xp: 1234,
            role_id: Some(99),
            guild_name: "Café",
        }
    }

    #[test]
    fn placeholders_are_replaced() {
        assert_eq!(
            render_level_up(
                "{user} ({user.name}) is level {level} with {xp} XP in {guild} {role}",
                &vars()
            ),
            "<@42> (alice) is level 7 with 1234 XP in Café <@&99>"
        );
        assert_eq!(
            render_level_up("", &vars()),
            "🎉 <@42> reached level **7**!"
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders_stay_visible() {
        assert_eq!(render_level_up("{lvl} {level", &vars()), "{lvl} {level");
        let no_role = LevelUpVars {
            role_id: None,
            ..vars()
        };
        assert_eq!(render_level_up("gg{role}", &no_role), "gg");
    }

    #[test]
    fn output_respects_discords_limit() {
        let long = "{user.name}".repeat(500);
        let name = "x".repeat(30);
        let v = LevelUpVars {
            user_name: &name,
            ..vars()
        };
        let out = render_level_up(&long, &v);
        assert_eq!(out.chars().count(), MAX_MESSAGE_CHARS);
        assert!(out.ends_with('…'));
    }
}
