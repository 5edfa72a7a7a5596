//! `daily-bonus`: `/daily` grants a random XP bonus once per UTC day per member.
//!
//! The last claimed UTC day per member lives in the key-value store. The claim is recorded
//! before the grant is returned, so a store failure means no bonus (and a clear message),
//! never a bonus that can be claimed twice.

use questline_plugin_sdk::*;
use serde::{Deserialize, Serialize};

/// The command's name.
pub const COMMAND: &str = "daily";

/// Configuration: `{"min_xp": 50, "max_xp": 150}` (both optional); also the settings schema.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields, title = "daily-bonus settings")]
pub struct Config {
    /// Least bonus.
    #[schemars(range(min = 0, max = 1_000_000))]
    pub min_xp: i64,
    /// Most bonus.
    #[schemars(range(min = 0, max = 1_000_000))]
    pub max_xp: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_xp: 50,
            max_xp: 150,
        }
    }
}

/// The plugin.
pub struct DailyBonus;

impl Plugin for DailyBonus {
    const NAME: &'static str = "daily-bonus";
    const DESCRIPTION: &'static str =
        "A /daily command granting a bounded random XP bonus once per UTC day.";
    const CAPABILITIES: &'static [(Capability, &'static str)] = &[
        (
            Capability::Log,
            "warns when a claim cannot be recorded or settings do not parse",
        ),
        (Capability::Kv, "remembers the last day each member claimed"),
        (Capability::Config, "reads the server's bonus range"),
        (Capability::Random, "rolls the bonus within the range"),
    ];

    fn settings_schema() -> Option<String> {
        Some(settings_schema::<Config>())
    }
}

fn key(user: Snowflake) -> String {
    format!("daily:{user}")
}

/// Runs `/daily` for the invocation's member at the invocation's time.
pub fn claim(inv: &CommandInvocation, cfg: &Config) -> Result<Vec<Intent>, String> {
    let today = utc_day(inv.at);
    let last: Option<i64> = kv::get_json(&key(inv.user)).map_err(|e| {
        warn!(
            "daily-bonus: reading the last claim of {} failed: {e}",
            inv.user
        );
        "I couldn't check your daily bonus right now; please try again in a minute.".to_string()
    })?;
    if last == Some(today) {
        let wait = next_utc_midnight(inv.at) - inv.at;
        return Ok(vec![Intent::ephemeral(format!(
            "You've already claimed today's bonus. The next one is ready in {} (at 00:00 UTC).",
            format_duration(wait)
        ))]);
    }
    let (lo, hi) = (cfg.min_xp.max(0), cfg.max_xp.max(0));
    let amount = random_range(lo.min(hi)..=hi.max(lo));
    kv::set_json(&key(inv.user), &today).map_err(|e| {
        warn!(
            "daily-bonus: recording the claim of {} failed: {e}",
            inv.user
        );
        "I couldn't record your daily bonus right now, so none was given; please try again later."
            .to_string()
    })?;
    let embed = Embed::new()
        .title("Daily bonus claimed!")
        .description(format!(
            "<@{}> earned **{amount} XP**. Come back tomorrow for more.",
            inv.user
        ))
        .color(0xF1C40F)
        .field("Bonus", format!("{amount} XP"), true)
        .field(
            "Next bonus",
            format!("in {}", format_duration(next_utc_midnight(inv.at) - inv.at)),
            true,
        );
    Ok(vec![
        Intent::embed(embed, false),
        Intent::grant_xp(inv.user, amount, "daily bonus"),
    ])
}

impl Commands for DailyBonus {
    fn specs() -> Vec<CommandSpec> {
        vec![CommandSpec::new(
            COMMAND,
            "Claim your daily XP bonus (once per UTC day).",
        )]
    }

    fn run(invocation: CommandInvocation) -> Result<Vec<Intent>, String> {
        if invocation.name != COMMAND {
            return Err(format!(
                "daily-bonus has no command `/{}`; try `/{COMMAND}`",
                invocation.name
            ));
        }
        claim(&invocation, &config::<Config>())
    }
}

export_plugin!(DailyBonus, kinds: [commands]);

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(user: Snowflake, at: Timestamp) -> CommandInvocation {
        CommandInvocation {
            name: COMMAND.into(),
            options: Vec::new(),
            guild: 1,
            channel: 2,
            user,
            roles: Vec::new(),
            at,
            stats: MemberStats::default(),
        }
    }

    fn granted(intents: &[Intent]) -> Option<i64> {
        intents.iter().find_map(|i| match i {
            Intent::GrantXp(g) => Some(g.amount),
            _ => None,
        })
    }

    #[test]
    fn once_per_utc_day() {
        testing::reset();
        let day = 20_000 * DAY_MS;
        let first = DailyBonus::run(invocation(7, day + 3_600_000)).unwrap();
        let amount = granted(&first).expect("first claim grants XP");
        assert!((50..=150).contains(&amount));
        assert!(matches!(&first[0], Intent::Reply(r) if !r.ephemeral && r.embed.is_some()));

        // 22:30 later the same day: refused, ephemeral, with the time until reset.
        let again = DailyBonus::run(invocation(7, day + 22 * 3_600_000 + 30 * 60_000)).unwrap();
        assert_eq!(granted(&again), None);
        match &again[..] {
            [Intent::Reply(r)] => {
                assert!(r.ephemeral);
                assert!(r.content.contains("1h 30m"), "{}", r.content);
            }
            other => panic!("unexpected {other:?}"),
        }

        // Another member, and the next day, may claim.
        assert!(granted(&DailyBonus::run(invocation(8, day + 5)).unwrap()).is_some());
        assert!(granted(&DailyBonus::run(invocation(7, day + DAY_MS)).unwrap()).is_some());
    }

    #[test]
    fn configured_bounds() {
        testing::reset();
        testing::set_config(r#"{"min_xp": 500, "max_xp": 500}"#);
        assert_eq!(
            granted(&DailyBonus::run(invocation(1, 0)).unwrap()),
            Some(500)
        );
        testing::set_config(r#"{"min_xp": 9, "max_xp": 3}"#);
        let amount = granted(&DailyBonus::run(invocation(2, 0)).unwrap()).unwrap();
        assert!((3..=9).contains(&amount));
    }

    #[test]
    fn store_failure_grants_nothing() {
        testing::reset();
        // A value the store holds that is not a day number: reading fails cleanly.
        kv::set("daily:5", b"{oops").unwrap();
        let err = DailyBonus::run(invocation(5, 0)).unwrap_err();
        assert!(err.contains("try again"));
    }

    #[test]
    fn spec_and_unknown_command() {
        let specs = DailyBonus::specs();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].name, "daily");
        assert!(!specs[0].admin_only);
        let mut inv = invocation(1, 0);
        inv.name = "weekly".into();
        assert!(DailyBonus::run(inv).unwrap_err().contains("/daily"));
        assert_eq!(
            plugin_info::<DailyBonus>().kinds,
            vec![PluginKind::Commands]
        );
    }
}
