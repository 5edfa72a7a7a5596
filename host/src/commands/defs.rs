//! The built-in commands: names, descriptions, options and who may run them.
//!
//! Discord refuses a whole registration if one command breaks its rules, so
//! [`check_definitions`] checks them before anything is sent (and a test runs it on the
//! built-ins).

use super::types::{CommandDef, CommandSource, OptionDef, OptionKind};

/// Settings `/config set` accepts: every `server_config` setting, from the repository.
pub const CONFIG_SETTINGS: &[&str] = crate::db::ServerSetting::NAMES;

/// The boards `/leaderboard period:` offers.
pub const PERIODS: &[&str] = &["all", "week", "month", "season"];

/// Largest XP amount `/xp` accepts (the engine's limit).
pub const MAX_XP_AMOUNT: i64 = crate::engine::MAX_MANUAL_XP;

fn cmd(name: &str, description: &str, admin: bool, options: Vec<OptionDef>) -> CommandDef {
    CommandDef {
        name: name.to_string(),
        description: description.to_string(),
        options,
        admin,
        source: CommandSource::Builtin,
    }
}

fn opt(name: &str, description: &str, kind: OptionKind) -> OptionDef {
    OptionDef::new(name, description, kind)
}

/// Whether `name` is a built-in admin command (answered by [`super::admin`] after the
/// Manage Server check), from the definitions themselves so the two cannot drift apart.
pub fn is_admin_builtin(name: &str) -> bool {
    static ADMIN: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ADMIN
        .get_or_init(|| {
            builtin_commands()
                .into_iter()
                .filter(|d| d.admin)
                .map(|d| d.name)
                .collect()
        })
        .iter()
        .any(|n| n == name)
}

/// Every built-in command.
pub fn builtin_commands() -> Vec<CommandDef> {
    use OptionKind::*;
    let member = || opt("member", "The member (default: you)", User);
    let amount = || {
        opt("amount", "How much XP (1 to 1,000,000,000)", Integer)
            .required()
            .range(1.0, MAX_XP_AMOUNT as f64)
    };
    let reason = || opt("reason", "Why (kept in the audit log)", String);
    let target = || opt("member", "The member", User).required();
    vec![
        cmd("rank", "Show a member's rank card", false, vec![member()]),
        cmd(
            "leaderboard",
            "The server's XP leaderboard",
            false,
            vec![
                opt("page", "Page number (10 per page)", Integer).range(1.0, 1000.0),
                opt(
                    "period",
                    "all: levels (default); week, month: XP gained in them (UTC); season: the running season",
                    String,
                )
                .choices(PERIODS),
            ],
        ),
        cmd(
            "seasons",
            "The running season and the final standings of past ones",
            false,
            vec![opt("name", "A past season's name (default: list them)", String)],
        ),
        cmd(
            "quests",
            "Your active quests, progress and time left",
            false,
            vec![],
        ),
        cmd(
            "achievements",
            "Achievements a member has earned",
            false,
            vec![member()],
        ),
        cmd(
            "card",
            "Customise your rank card",
            false,
            vec![
                OptionDef::sub(
                    "style",
                    "Pick a card style",
                    vec![opt("name", "Style name", String).required()],
                ),
                OptionDef::sub(
                    "color",
                    "Set a card colour",
                    vec![
                        opt("hex", "A hex colour like #5865f2", String).required(),
                        opt("part", "Which colour (default: primary)", String).choices(&[
                            "primary",
                            "secondary",
                            "border",
                            "text",
                        ]),
                    ],
                ),
                OptionDef::sub(
                    "background",
                    "Set a background image",
                    vec![opt("url", "An https image URL", String).required()],
                ),
                OptionDef::sub("reset", "Back to the default card", vec![]),
            ],
        ),
        cmd(
            "privacy",
            "Your privacy settings",
            false,
            vec![OptionDef::sub(
                "leaderboard",
                "Show or hide yourself on the leaderboard",
                vec![
                    opt("show", "on: listed; off: hidden", String)
                        .required()
                        .choices(&["on", "off"]),
                ],
            )],
        ),
        cmd(
            "config",
            "Show or change this server's Questline settings",
            true,
            vec![
                OptionDef::sub("show", "Show every setting", vec![]),
                OptionDef::sub(
                    "set",
                    "Change one setting",
                    vec![
                        opt("setting", "Which setting", String)
                            .required()
                            .choices(CONFIG_SETTINGS),
                        opt("value", "The new value (empty text clears it)", String),
                    ],
                ),
            ],
        ),
        cmd(
            "xp",
            "Change a member's XP (written to the audit log)",
            true,
            vec![
                OptionDef::sub("add", "Give XP", vec![target(), amount(), reason()]),
                OptionDef::sub("remove", "Take XP away", vec![target(), amount(), reason()]),
                OptionDef::sub(
                    "set",
                    "Set total XP",
                    vec![
                        target(),
                        opt("amount", "Total XP (0 to 1,000,000,000)", Integer)
                            .required()
                            .range(0.0, MAX_XP_AMOUNT as f64),
                        reason(),
                    ],
                ),
                OptionDef::sub("reset", "Reset to 0 XP", vec![target(), reason()]),
            ],
        ),
        cmd(
            "level",
            "Set a member's level (written to the audit log)",
            true,
            vec![OptionDef::sub(
                "set",
                "Give a member exactly the XP this level needs on this server's curve",
                vec![
                    target(),
                    opt("level", "The level (0 or more)", Integer)
                        .required()
                        .range(0.0, f64::from(crate::engine::curve::MAX_LEVEL)),
                    reason(),
                ],
            )],
        ),
        cmd(
            "boost",
            "XP boost events: double-XP weekends, role and channel boosts",
            true,
            vec![
                OptionDef::sub(
                    "start",
                    "Start a boost now; it ends by itself",
                    vec![
                        opt(
                            "multiplier",
                            "XP multiplier (2 = double XP; at most 10)",
                            Number,
                        )
                        .required()
                        .range(1.01, crate::db::MAX_BOOST),
                        opt(
                            "duration",
                            "How long, e.g. 2h, 48h, 1d12h (at most 31d)",
                            String,
                        )
                        .required(),
                        opt("role", "Only members with this role", Role),
                        opt(
                            "channel",
                            "Only activity in this channel (or a category)",
                            Channel,
                        ),
                    ],
                ),
                OptionDef::sub("list", "Running boosts", vec![]),
                OptionDef::sub(
                    "stop",
                    "End a boost now",
                    vec![opt("id", "Boost id (see /boost list)", Integer).required()],
                ),
            ],
        ),
        cmd(
            "season",
            "Seasons: a leaderboard of the XP gained from start to end, archived when it ends",
            true,
            vec![
                OptionDef::sub(
                    "start",
                    "Start a season now",
                    vec![
                        opt("name", "Its name, e.g. Winter 2026", String).required(),
                        opt(
                            "ends",
                            "When it ends by itself: a duration like 30d or a date like 2027-03-01 (default: /season end)",
                            String,
                        ),
                        opt("top", "How many top members are archived (default 10)", Integer)
                            .range(1.0, 100.0),
                        opt("role", "A role for the top members when it ends", Role),
                        opt(
                            "reset",
                            "Reset everyone's level XP when it ends (lifetime XP is kept)",
                            Boolean,
                        ),
                    ],
                ),
                OptionDef::sub(
                    "end",
                    "End the running season now: archive its standings",
                    vec![],
                ),
            ],
        ),
        cmd(
            "levelup",
            "Level-up messages: per-level messages and a preview",
            true,
            vec![
                OptionDef::sub(
                    "preview",
                    "Show exactly what reaching a level would send for you, and where",
                    vec![
                        opt("level", "The level (default: your next one)", Integer)
                            .range(1.0, f64::from(crate::engine::curve::MAX_LEVEL)),
                    ],
                ),
                OptionDef::sub(
                    "message",
                    "Set the message for one level (placeholders: {user} {user.name} {level} {xp} {role} {guild})",
                    vec![
                        opt("level", "The level", Integer)
                            .required()
                            .range(1.0, f64::from(crate::engine::curve::MAX_LEVEL)),
                        opt("text", "The message", String).required(),
                    ],
                ),
                OptionDef::sub(
                    "message-remove",
                    "Use the server's level-up message for this level again",
                    vec![
                        opt("level", "The level", Integer)
                            .required()
                            .range(1.0, f64::from(crate::engine::curve::MAX_LEVEL)),
                    ],
                ),
                OptionDef::sub(
                    "messages",
                    "List the messages set for particular levels",
                    vec![],
                ),
            ],
        ),
        cmd(
            "sync",
            "Give back or take away reward roles so they match members' levels",
            true,
            vec![opt(
                "member",
                "Only this member (default: every member with a reward)",
                User,
            )],
        ),
        cmd(
            "audit",
            "Manual XP changes: who changed whose XP, by how much and why",
            true,
            vec![
                opt("member", "Only changes made to this member", User),
                opt("page", "Page number (10 per page, newest first)", Integer).range(1.0, 1000.0),
            ],
        ),
        cmd(
            "level-roles",
            "Roles given at levels",
            true,
            vec![
                OptionDef::sub(
                    "add",
                    "Give a role at a level",
                    vec![
                        opt("role", "The reward role", Role).required(),
                        opt("level", "The level", Integer)
                            .required()
                            .range(1.0, 10_000.0),
                        opt("stacked", "Keep it when a higher reward comes", Boolean),
                    ],
                ),
                OptionDef::sub(
                    "remove",
                    "Stop giving a role",
                    vec![opt("role", "The role", Role).required()],
                ),
                OptionDef::sub("list", "List level roles", vec![]),
            ],
        ),
        cmd(
            "quest",
            "Manage quests",
            true,
            vec![
                OptionDef::sub(
                    "create",
                    "Create a quest",
                    vec![
                        opt("name", "Quest name", String).required(),
                        opt(
                            "requirement",
                            "What counts: pick one of the loaded quest plugins' types",
                            String,
                        )
                        .required()
                        .autocomplete(),
                        opt("target", "How many (voice time: seconds)", Integer)
                            .required()
                            .range(1.0, 1_000_000.0),
                        opt("reward", "XP reward", Integer)
                            .required()
                            .range(0.0, 1_000_000.0),
                        opt("cycle", "When it resets (default: once)", String)
                            .choices(&["daily", "weekly", "monthly", "once"]),
                        opt("description", "What members see", String),
                    ],
                ),
                OptionDef::sub("list", "List active quests", vec![]),
                OptionDef::sub(
                    "deactivate",
                    "End a quest now",
                    vec![opt("id", "Quest id (see /quest list)", Integer).required()],
                ),
                OptionDef::sub(
                    "reset-now",
                    "Start a new quest period now (end current quests, pick new ones)",
                    vec![
                        opt("cycle", "Which cycle (default: all)", String)
                            .choices(&["daily", "weekly", "monthly"]),
                    ],
                ),
            ],
        ),
        cmd(
            "achievement",
            "Manage achievements",
            true,
            vec![
                OptionDef::sub(
                    "create",
                    "Create an achievement",
                    vec![
                        opt("name", "Achievement name", String).required(),
                        opt(
                            "requirement",
                            "What counts: pick one of the loaded achievement plugins' types",
                            String,
                        )
                        .required()
                        .autocomplete(),
                        opt("target", "Threshold (voice time: seconds)", Integer)
                            .required()
                            .range(1.0, 1_000_000_000.0),
                        opt("reward", "XP reward", Integer)
                            .required()
                            .range(0.0, 1_000_000.0),
                        opt("description", "What members see", String),
                        opt(
                            "badge",
                            "Badge image: an https URL on an allowed image host",
                            String,
                        ),
                    ],
                ),
                OptionDef::sub(
                    "badge",
                    "Set or clear an achievement's badge image",
                    vec![
                        opt("id", "Achievement id (see /achievement list)", Integer).required(),
                        opt(
                            "url",
                            "An https URL on an allowed image host, or none",
                            String,
                        )
                        .required(),
                    ],
                ),
                OptionDef::sub("list", "List achievements", vec![]),
                OptionDef::sub(
                    "delete",
                    "Delete an achievement and members' records of it",
                    vec![opt("id", "Achievement id (see /achievement list)", Integer).required()],
                ),
            ],
        ),
        cmd(
            "plugins",
            "Loaded plugins",
            true,
            vec![
                OptionDef::sub("list", "List plugins and their state", vec![]),
                OptionDef::sub(
                    "enable",
                    "Switch a plugin on for this server",
                    vec![opt("name", "Plugin name (see /plugins list)", String).required()],
                ),
                OptionDef::sub(
                    "disable",
                    "Switch a plugin off for this server",
                    vec![opt("name", "Plugin name (see /plugins list)", String).required()],
                ),
                OptionDef::sub(
                    "config",
                    "Show or set a plugin's settings for this server (JSON)",
                    vec![
                        opt("name", "Plugin name (see /plugins list)", String).required(),
                        opt(
                            "json",
                            "New settings as a JSON object (omit to show)",
                            String,
                        ),
                    ],
                ),
                OptionDef::sub("reload", "Reload plugins from the plugin directory", vec![]),
            ],
        ),
        cmd(
            "import",
            "Import XP from another bot's export (JSON file)",
            true,
            vec![
                opt("format", "Which bot the file comes from", String)
                    .required()
                    .choices(&["mee6", "polaris", "experienced", "questline"]),
                opt("file", "The JSON export file", Attachment).required(),
                opt(
                    "mode",
                    "For members already here: replace or add their XP",
                    String,
                )
                .choices(&["overwrite", "add"]),
            ],
        ),
        cmd(
            "export",
            "This server's XP, roles, quests and settings as JSON",
            true,
            vec![],
        ),
        cmd(
            "gdpr",
            "Your data on this server",
            false,
            vec![
                OptionDef::sub("download", "Get everything stored about you", vec![]),
                OptionDef::sub(
                    "delete",
                    "Erase everything stored about you here",
                    vec![opt("confirm", "True to erase for good", Boolean).required()],
                ),
            ],
        ),
    ]
}

/// Whether `name` is a valid command or option name: 1-32 characters, lowercase letters,
/// digits, `-` and `_` (Discord's rule, restricted to ASCII).
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn check_options(path: &str, options: &[OptionDef], depth: usize) -> Result<(), String> {
    if options.len() > 25 {
        return Err(format!("{path} has {} options; at most 25", options.len()));
    }
    let mut seen_optional = false;
    for o in options {
        let here = format!("{path} {}", o.name);
        if !valid_name(&o.name) {
            return Err(format!(
                "option name `{here}` breaks Discord's naming rules"
            ));
        }
        if !(1..=100).contains(&o.description.chars().count()) {
            return Err(format!("{here}: the description must be 1-100 characters"));
        }
        if o.choices.len() > 25 {
            return Err(format!("{here}: at most 25 choices"));
        }
        if o.autocomplete && (!o.choices.is_empty() || o.kind != OptionKind::String) {
            return Err(format!(
                "{here}: autocomplete is for string options without fixed choices"
            ));
        }
        if o.kind == OptionKind::SubCommand {
            if depth > 0 {
                return Err(format!("{here}: subcommands cannot nest here"));
            }
            check_options(&here, &o.options, depth + 1)?;
        } else {
            if o.required && seen_optional {
                return Err(format!("{here}: required options must come first"));
            }
            seen_optional |= !o.required;
        }
    }
    Ok(())
}

/// Checks a whole registration against Discord's rules (names, lengths, counts, unique
/// names). Returns what is wrong.
pub fn check_definitions(defs: &[CommandDef]) -> Result<(), String> {
    if defs.len() > 100 {
        return Err(format!("{} commands; Discord allows 100", defs.len()));
    }
    let mut names = std::collections::HashSet::new();
    for d in defs {
        if !valid_name(&d.name) {
            return Err(format!(
                "command name `{}` breaks Discord's naming rules",
                d.name
            ));
        }
        if !names.insert(d.name.as_str()) {
            return Err(format!("command `{}` is defined twice", d.name));
        }
        if !(1..=100).contains(&d.description.chars().count()) {
            return Err(format!(
                "/{}: the description must be 1-100 characters",
                d.name
            ));
        }
        check_options(&format!("/{}", d.name), &d.options, 0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_follow_discords_rules() {
        let defs = builtin_commands();
        check_definitions(&defs).expect("built-in commands are valid");
        assert!(defs.iter().any(|d| d.name == "rank" && !d.admin));
        assert!(defs.iter().any(|d| d.name == "xp" && d.admin));
    }

    #[test]
    fn bad_definitions_are_refused() {
        let mut defs = builtin_commands();
        defs[0].name = "Rank".into();
        assert!(check_definitions(&defs).unwrap_err().contains("Rank"));
        let mut defs = builtin_commands();
        let dup = defs[0].clone();
        defs.push(dup);
        assert!(check_definitions(&defs).unwrap_err().contains("twice"));
        assert!(!valid_name(&"x".repeat(33)));
        assert!(valid_name("level-roles"));
    }
}
