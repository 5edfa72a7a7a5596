//! Level-up messages with placeholders, as MEE6, Lurkr and Polaris users write them.
//!
//! Placeholders: `{user}` (a mention), `{user.name}`, `{level}`, `{xp}`, `{role}` (a mention of
//! the reward role, or empty), `{guild}`. Unknown placeholders are left as typed so a typo is
//! visible in the output rather than silently dropped. The result never exceeds Discord's
//! 2,000-character message limit.

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
