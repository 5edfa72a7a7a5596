//! XP for one activity: base award, exclusions, multipliers, rounding.

use questline_plugin_sdk::{ActivityKind, XpContext};

use crate::config::{Config, Stacking};

/// XP for `ctx` under `cfg`; `roll(lo, hi)` draws the message award (inclusive range).
///
/// Order: exclusions → base award (messages honour the cooldown; reactions, commands and
/// voice do not) → multipliers (any 0× bans XP) → server `xp_rate` → floor, with a minimum
/// of 1 whenever something was earned (the Lurkr rule, so a small multiplier never rounds a
/// message down to nothing).
pub fn award(
    cfg: &Config,
    ctx: &XpContext,
    roll: impl FnOnce(std::ops::RangeInclusive<i64>) -> i64,
) -> i64 {
    let activity = &ctx.activity;
    let in_no_xp_channel = cfg.no_xp_channels.contains(&activity.channel)
        || activity
            .parent_channel
            .is_some_and(|p| cfg.no_xp_channels.contains(&p));
    if in_no_xp_channel || activity.roles.iter().any(|r| cfg.no_xp_roles.contains(r)) {
        return 0;
    }

    let base: f64 = match &activity.kind {
        ActivityKind::Message(_) => {
            let cooling = ctx
                .seconds_since_last_award
                .is_some_and(|s| s < cfg.cooldown_seconds);
            if cooling {
                return 0;
            }
            let (lo, hi) = (cfg.min_xp.max(0), cfg.max_xp.max(0));
            roll(lo.min(hi)..=hi.max(lo)) as f64
        }
        ActivityKind::Reaction(_) => cfg.reaction_xp.max(0) as f64,
        ActivityKind::Command(_) => cfg.command_xp.max(0) as f64,
        ActivityKind::Voice(v) => cfg.voice_xp_per_minute.max(0.0) * f64::from(v.seconds) / 60.0,
    };
    if base <= 0.0 || !base.is_finite() {
        return 0;
    }

    let channel = channel_multiplier(cfg, ctx);
    let role = role_multiplier(cfg, ctx);
    let banned = channel == Some(0.0) || role == Some(0.0) || ctx.xp_rate <= 0.0;
    if banned || !ctx.xp_rate.is_finite() {
        return 0;
    }
    let multiplier = stack(cfg.stacking, channel, role);
    let xp = (base * multiplier * ctx.xp_rate).floor();
    if !xp.is_finite() {
        return 0;
    }
    (xp as i64).max(1)
}

/// The channel's multiplier, else its parent's (thread → channel → category), if any.
fn channel_multiplier(cfg: &Config, ctx: &XpContext) -> Option<f64> {
    let a = &ctx.activity;
    cfg.channel_multipliers
        .get(&a.channel)
        .or_else(|| {
            a.parent_channel
                .and_then(|p| cfg.channel_multipliers.get(&p))
        })
        .map(|m| m.max(0.0))
}

/// The member's role multiplier: 0 if any held role bans XP, else the largest.
fn role_multiplier(cfg: &Config, ctx: &XpContext) -> Option<f64> {
    let held: Vec<f64> = ctx
        .activity
        .roles
        .iter()
        .filter_map(|r| cfg.role_multipliers.get(r))
        .map(|m| m.max(0.0))
        .collect();
    if held.contains(&0.0) {
        return Some(0.0);
    }
    held.into_iter().reduce(f64::max)
}

fn stack(mode: Stacking, channel: Option<f64>, role: Option<f64>) -> f64 {
    let (c, r) = (channel.unwrap_or(1.0), role.unwrap_or(1.0));
    match mode {
        Stacking::Multiply => c * r,
        Stacking::Add => (1.0 + (c - 1.0) + (r - 1.0)).max(0.0),
        Stacking::Largest => c.max(r),
        Stacking::Channel => channel.or(role).unwrap_or(1.0),
        Stacking::Role => role.or(channel).unwrap_or(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use questline_plugin_sdk::{Activity, MemberStats, config_from_str};

    fn ctx(activity: Activity, since: Option<i64>, rate: f64) -> XpContext {
        XpContext {
            activity,
            stats: MemberStats::default(),
            seconds_since_last_award: since,
            xp_rate: rate,
        }
    }

    fn msg() -> Activity {
        Activity::message(1, 100, 7, 0, 12)
    }

    fn fixed(n: i64) -> impl FnOnce(std::ops::RangeInclusive<i64>) -> i64 {
        move |r| {
            assert!(r.contains(&n), "roll {n} outside {r:?}");
            n
        }
    }

    #[test]
    fn cooldown_applies_to_messages_only() {
        let cfg = Config {
            reaction_xp: 3,
            command_xp: 4,
            voice_xp_per_minute: 10.0,
            ..Config::default()
        };
        assert_eq!(award(&cfg, &ctx(msg(), Some(59), 1.0), fixed(20)), 0);
        assert_eq!(award(&cfg, &ctx(msg(), Some(60), 1.0), fixed(20)), 20);
        assert_eq!(award(&cfg, &ctx(msg(), None, 1.0), fixed(15)), 15);
        let reaction = Activity::reaction(1, 100, 7, 0, "👍");
        assert_eq!(award(&cfg, &ctx(reaction, Some(1), 1.0), fixed(20)), 3);
        let command = Activity::command(1, 100, 7, 0, "rank");
        assert_eq!(award(&cfg, &ctx(command, Some(1), 1.0), fixed(20)), 4);
        let voice = Activity::voice(1, 100, 7, 0, 90);
        assert_eq!(award(&cfg, &ctx(voice, Some(1), 1.0), fixed(20)), 15);
    }

    #[test]
    fn voice_reactions_commands_off_by_default() {
        let cfg = Config::default();
        for a in [
            Activity::voice(1, 100, 7, 0, 600),
            Activity::reaction(1, 100, 7, 0, "x"),
            Activity::command(1, 100, 7, 0, "x"),
        ] {
            assert_eq!(award(&cfg, &ctx(a, None, 1.0), fixed(20)), 0);
        }
    }

    #[test]
    fn exclusions() {
        let cfg: Config =
            config_from_str(r#"{"no_xp_channels": ["100", 555], "no_xp_roles": [9]}"#);
        assert_eq!(award(&cfg, &ctx(msg(), None, 1.0), fixed(20)), 0);
        let thread = Activity::message(1, 300, 7, 0, 5).with_parent(555);
        assert_eq!(award(&cfg, &ctx(thread, None, 1.0), fixed(20)), 0);
        let muted = Activity::message(1, 301, 7, 0, 5).with_roles(vec![8, 9]);
        assert_eq!(award(&cfg, &ctx(muted, None, 1.0), fixed(20)), 0);
        let fine = Activity::message(1, 301, 7, 0, 5).with_roles(vec![8]);
        assert_eq!(award(&cfg, &ctx(fine, None, 1.0), fixed(20)), 20);
    }

    #[test]
    fn stacking_modes() {
        let cfg_for = |mode: &str| -> Config {
            config_from_str(&format!(
                r#"{{"channel_multipliers": {{"50": 2.0}}, "role_multipliers": {{"8": 1.5, "9": 3.0}}, "stacking": "{mode}"}}"#
            ))
        };
        let a = || {
            Activity::message(1, 300, 7, 0, 5)
                .with_parent(50)
                .with_roles(vec![8, 9])
        };
        let xp = |mode: &str| award(&cfg_for(mode), &ctx(a(), None, 1.0), fixed(20));
        assert_eq!(xp("multiply"), 120); // 20 × 2 × 3 (largest role)
        assert_eq!(xp("add"), 80); // 20 × (1 + 1 + 2)
        assert_eq!(xp("largest"), 60);
        assert_eq!(xp("channel"), 40);
        assert_eq!(xp("role"), 60);
        // Only a role multiplier: channel mode falls back to it.
        let no_channel = Activity::message(1, 301, 7, 0, 5).with_roles(vec![8]);
        assert_eq!(
            award(&cfg_for("channel"), &ctx(no_channel, None, 1.0), fixed(20)),
            30
        );
    }

    #[test]
    fn zero_multiplier_bans_in_every_mode() {
        for mode in ["multiply", "add", "largest", "channel", "role"] {
            let cfg: Config = config_from_str(&format!(
                r#"{{"channel_multipliers": {{"100": 0}}, "role_multipliers": {{"8": 5}}, "stacking": "{mode}"}}"#
            ));
            let a = msg().with_roles(vec![8]);
            assert_eq!(award(&cfg, &ctx(a, None, 1.0), fixed(20)), 0, "{mode}");
        }
    }

    #[test]
    fn xp_rate_floor_and_minimum_one() {
        let cfg = Config::default();
        assert_eq!(award(&cfg, &ctx(msg(), None, 1.5), fixed(15)), 22); // 22.5 floored
        assert_eq!(award(&cfg, &ctx(msg(), None, 0.01), fixed(15)), 1); // 0.15 → minimum 1
        assert_eq!(award(&cfg, &ctx(msg(), None, 0.0), fixed(15)), 0); // server rate 0 = off
        let tiny: Config = config_from_str(r#"{"channel_multipliers": {"100": 0.01}}"#);
        assert_eq!(award(&tiny, &ctx(msg(), None, 1.0), fixed(20)), 1);
    }

    #[test]
    fn inverted_range_is_normalised() {
        let cfg = Config {
            min_xp: 30,
            max_xp: 10,
            ..Config::default()
        };
        assert_eq!(
            award(&cfg, &ctx(msg(), None, 1.0), |r| {
                assert_eq!(r, 10..=30);
                *r.end()
            }),
            30
        );
    }
}
