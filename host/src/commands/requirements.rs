//! What `/quest create` and `/achievement create` count: the requirement types the loaded
//! quest-type and achievement-check plugins declare, offered while the admin types
//! (autocomplete, the dashboard's list) and checked when the command runs, so a quest or an
//! achievement that no plugin can ever advance is refused instead of stored.
//!
//! A quest's type is stored as the plugin named it when it is one of the member counters
//! the database knows (`total_messages`, ...), and as `plugin:<name>:<type>` otherwise, so
//! the quest phase finds its plugin; achievements are stored with the plugin's own name.

use super::Commands;
use super::types::CommandError;

/// Which command's requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum For {
    Quest,
    Achievement,
}

impl For {
    fn what(self) -> &'static str {
        match self {
            For::Quest => "quest",
            For::Achievement => "achievement",
        }
    }
}

/// One requirement type on offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// What is stored (and what the admin picks).
    pub value: String,
    /// What is shown: the type, what its target counts, and its plugin.
    pub label: String,
}

/// What a target of `kind` counts, for the admin choosing it (voice is in seconds).
pub fn unit(kind: &str) -> &'static str {
    match kind {
        "total_messages" | "messages" => "messages sent",
        "total_reactions" | "reactions" => "reactions added",
        "voice_time_seconds" | "voice" => "seconds in voice (3600 = 1 hour)",
        "commands_used" | "commands" => "commands used",
        "level" => "the level reached",
        "streak_days" => "days in a row with activity",
        _ => "as the plugin counts it",
    }
}

/// The plugins of `target`'s kind and their declared types.
async fn declared(c: &Commands, target: For) -> Result<Vec<(String, Vec<String>)>, CommandError> {
    let engine = c.engine.get().await;
    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
    let cache = engine.pipeline().plugin_cache();
    Ok(match target {
        For::Quest => cache.quest_plugins().await,
        For::Achievement => cache.achievement_plugins().await,
    })
}

/// How a plugin's `kind` is stored for `target`.
fn stored(target: For, plugin: &str, kind: &str) -> String {
    let counter = crate::db::quests::REQUIREMENT_TYPES.contains(&kind);
    match target {
        For::Quest if !counter => format!("plugin:{plugin}:{kind}"),
        _ => kind.to_string(),
    }
}

/// Every type the loaded plugins offer for `target`, in plugin order, without repeats.
pub async fn offered(c: &Commands, target: For) -> Result<Vec<Offer>, CommandError> {
    let mut out: Vec<Offer> = Vec::new();
    for (plugin, kinds) in declared(c, target).await? {
        for kind in kinds {
            let value = stored(target, &plugin, &kind);
            if out.iter().any(|o| o.value == value) {
                continue;
            }
            out.push(Offer {
                label: format!("{kind}: {} ({plugin})", unit(&kind)),
                value,
            });
        }
    }
    Ok(out)
}

/// The stored form of what the admin typed, or a refusal that lists what is accepted.
pub async fn resolve(c: &Commands, target: For, typed: &str) -> Result<String, CommandError> {
    let typed = typed.trim();
    let offers = offered(c, target).await?;
    // The stored form itself, or the bare type of exactly one plugin.
    if let Some(o) = offers.iter().find(|o| o.value == typed) {
        return Ok(o.value.clone());
    }
    let bare: Vec<&Offer> = offers
        .iter()
        .filter(|o| o.value.rsplit(':').next() == Some(typed))
        .collect();
    match bare.as_slice() {
        [one] => Ok(one.value.clone()),
        [] => {
            let list = offers
                .iter()
                .map(|o| format!("`{}`", o.value))
                .collect::<Vec<_>>()
                .join(", ");
            Err(CommandError::Usage(if offers.is_empty() {
                format!(
                    "no {} plugin is loaded, so no {} could ever be earned; load one (see /plugins list)",
                    match target {
                        For::Quest => "quest-type",
                        For::Achievement => "achievement-check",
                    },
                    target.what()
                )
            } else {
                format!(
                    "`{}` is not a requirement the loaded plugins count, so this {} could never be earned; use one of {list}",
                    super::types::fit_to(typed.to_string(), 60),
                    target.what()
                )
            }))
        }
        several => Err(CommandError::Usage(format!(
            "several plugins count `{typed}`; name one: {}",
            several
                .iter()
                .map(|o| format!("`{}`", o.value))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Up to 25 offers matching what the admin has typed so far (Discord's autocomplete).
pub fn matching<'a>(offers: &'a [Offer], typed: &str) -> Vec<&'a Offer> {
    let typed = typed.trim().to_lowercase();
    offers
        .iter()
        .filter(|o| typed.is_empty() || o.label.to_lowercase().contains(&typed))
        .take(25)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_stay_bare_and_plugin_types_are_named_for_quests() {
        assert_eq!(
            stored(For::Quest, "counter-quests", "total_messages"),
            "total_messages"
        );
        assert_eq!(
            stored(For::Quest, "streak-quests", "streak_days"),
            "plugin:streak-quests:streak_days"
        );
        assert_eq!(
            stored(For::Achievement, "core-achievements", "voice"),
            "voice"
        );
    }

    #[test]
    fn autocomplete_matches_anywhere_in_the_label() {
        let offers = vec![
            Offer {
                value: "voice_time_seconds".into(),
                label: "voice_time_seconds: seconds in voice (3600 = 1 hour) (counter-quests)"
                    .into(),
            },
            Offer {
                value: "total_messages".into(),
                label: "total_messages: messages sent (counter-quests)".into(),
            },
        ];
        let got: Vec<_> = matching(&offers, "VOICE")
            .iter()
            .map(|o| o.value.as_str())
            .collect();
        assert_eq!(got, vec!["voice_time_seconds"]);
        assert_eq!(matching(&offers, "").len(), 2);
        assert!(matching(&offers, "xyz").is_empty());
    }
}
