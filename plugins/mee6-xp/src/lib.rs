//! `mee6-xp`: MEE6-compatible XP.
//!
//! The MEE6 curve (total XP for level L = 5·L·(2L²+27L+91)/6) and a random 15–25 XP per
//! message at most once every 60 s, plus what servers ask for when they leave MEE6: no-XP
//! channels and roles, role and channel multipliers with a stacking mode (as Polaris), voice,
//! reaction and command XP. Everything is configurable; see [`Config`].

mod award;
mod config;
mod curve;

use questline_plugin_sdk::*;

pub use award::award;
pub use config::{Config, Stacking};
pub use curve::total_xp_for_level;

/// The plugin.
pub struct Mee6Xp;

impl Plugin for Mee6Xp {
    const NAME: &'static str = "mee6-xp";
    const DESCRIPTION: &'static str = "MEE6-compatible XP: the MEE6 curve, 15-25 XP per message with a 60 s cooldown, multipliers and exclusions.";
    const CAPABILITIES: &'static [(Capability, &'static str)] = &[
        (
            Capability::Log,
            "warns when a server's settings do not parse",
        ),
        (
            Capability::Config,
            "reads the server's XP range, cooldown, multipliers and exclusions",
        ),
        (
            Capability::Random,
            "rolls the XP of each message within the range",
        ),
    ];

    fn settings_schema() -> Option<String> {
        Some(settings_schema::<Config>())
    }
}

impl XpFormula for Mee6Xp {
    fn xp_for_activity(ctx: &XpContext) -> i64 {
        award(&config::<Config>(), ctx, random_range)
    }

    fn xp_for_activities(items: Vec<XpContext>) -> Vec<i64> {
        // One config look-up per batch: every item of a call belongs to the same guild.
        let cfg = config::<Config>();
        items
            .iter()
            .map(|ctx| award(&cfg, ctx, random_range))
            .collect()
    }

    fn total_xp_for_level(level: u32) -> i64 {
        total_xp_for_level(level)
    }
}

export_plugin!(Mee6Xp, kinds: [xp_formula]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata() {
        let info = plugin_info::<Mee6Xp>();
        assert_eq!(info.name, "mee6-xp");
        assert_eq!(info.version, "0.1.0");
        assert_eq!(info.kinds, vec![PluginKind::XpFormula]);
        assert_eq!(info.contract, CONTRACT_VERSION);
        let uses: Vec<Capability> = info.capabilities.iter().map(|c| c.capability).collect();
        assert_eq!(
            uses,
            [Capability::Log, Capability::Config, Capability::Random]
        );
    }

    #[test]
    fn the_settings_schema_matches_the_config_type() {
        let schema: serde_json::Value =
            serde_json::from_str(&Mee6Xp::settings_schema().unwrap()).unwrap();
        let props = schema["properties"].as_object().unwrap();
        // Every key the type parses is in the schema, with the type's default.
        let defaults = serde_json::to_value(Config::default()).unwrap();
        for (key, value) in defaults.as_object().unwrap() {
            assert_eq!(&props[key]["default"], value, "{key}");
        }
        assert_eq!(props.len(), defaults.as_object().unwrap().len());
        assert_eq!(schema["additionalProperties"], false);
        let stacking = schema["$defs"]["Stacking"].to_string();
        for mode in ["multiply", "add", "largest", "channel", "role"] {
            assert!(stacking.contains(mode), "{stacking}");
        }
    }

    #[test]
    fn batch_uses_guild_config_and_host_random() {
        testing::reset();
        testing::set_config(r#"{"min_xp": 7, "max_xp": 7, "cooldown_seconds": 10}"#);
        let ctx = |since| XpContext {
            activity: Activity::message(1, 2, 3, 0, 10),
            stats: MemberStats::default(),
            seconds_since_last_award: since,
            xp_rate: 1.0,
        };
        let xp = Mee6Xp::xp_for_activities(vec![ctx(None), ctx(Some(5)), ctx(Some(10))]);
        assert_eq!(xp, vec![7, 0, 7]);
    }

    #[test]
    fn default_rolls_stay_in_range_and_vary() {
        testing::reset();
        testing::seed(42);
        let ctx = XpContext {
            activity: Activity::message(1, 2, 3, 0, 10),
            stats: MemberStats::default(),
            seconds_since_last_award: None,
            xp_rate: 1.0,
        };
        let rolls: Vec<i64> = (0..500).map(|_| Mee6Xp::xp_for_activity(&ctx)).collect();
        assert!(rolls.iter().all(|x| (15..=25).contains(x)));
        assert!(
            rolls.contains(&15) && rolls.contains(&25),
            "both ends reachable"
        );
    }

    #[test]
    fn bad_config_warns_and_uses_defaults() {
        testing::reset();
        testing::set_config(r#"{"min_xp": "lots"}"#);
        let ctx = XpContext {
            activity: Activity::message(1, 2, 3, 0, 10),
            stats: MemberStats::default(),
            seconds_since_last_award: None,
            xp_rate: 1.0,
        };
        let xp = Mee6Xp::xp_for_activity(&ctx);
        assert!((15..=25).contains(&xp));
        assert!(
            testing::logs()
                .iter()
                .any(|(l, m)| *l == Level::Warn && m.contains("invalid plugin configuration"))
        );
    }
}
