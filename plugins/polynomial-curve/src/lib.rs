//! `polynomial-curve`: the level curve as a polynomial `a·L³ + b·L² + c·L + d`, optionally
//! rounded to a multiple, with the presets of the bots people migrate from (Polaris, Lurkr,
//! Arcane, linear). Messages earn a random amount in a range, at most once per cooldown.

mod curve;
mod settings;

use questline_plugin_sdk::*;

pub use curve::{Curve, Preset};
pub use settings::Settings;

/// The plugin.
pub struct PolynomialCurve;

impl Plugin for PolynomialCurve {
    const NAME: &'static str = "polynomial-curve";
    const DESCRIPTION: &'static str = "Level curves as a configurable polynomial, with Polaris (default), Lurkr, Arcane and linear presets.";
    const CAPABILITIES: &'static [(Capability, &'static str)] = &[
        (
            Capability::Log,
            "warns when a server's curve is unusable and the default is used",
        ),
        (
            Capability::Config,
            "reads the server's preset or coefficients and XP range",
        ),
        (
            Capability::Random,
            "rolls the XP of each message within the range",
        ),
    ];

    fn settings_schema() -> Option<String> {
        Some(settings_schema::<settings::Raw>())
    }
}

/// XP for one activity: messages only, honouring the cooldown; `xp_rate` applies, floored,
/// at least 1 when anything was earned.
pub fn award(
    settings: &Settings,
    ctx: &XpContext,
    roll: impl FnOnce(std::ops::RangeInclusive<i64>) -> i64,
) -> i64 {
    if !matches!(ctx.activity.kind, ActivityKind::Message(_)) {
        return 0;
    }
    if ctx
        .seconds_since_last_award
        .is_some_and(|s| s < settings.cooldown_seconds)
    {
        return 0;
    }
    if !(ctx.xp_rate > 0.0 && ctx.xp_rate.is_finite()) {
        return 0;
    }
    let base = roll(settings.min_xp..=settings.max_xp);
    if base <= 0 {
        return 0;
    }
    ((base as f64 * ctx.xp_rate).floor() as i64).max(1)
}

impl XpFormula for PolynomialCurve {
    fn xp_for_activity(ctx: &XpContext) -> i64 {
        award(&config::<Settings>(), ctx, random_range)
    }

    fn xp_for_activities(items: Vec<XpContext>) -> Vec<i64> {
        let settings = config::<Settings>();
        items
            .iter()
            .map(|c| award(&settings, c, random_range))
            .collect()
    }

    fn total_xp_for_level(level: u32) -> i64 {
        config::<Settings>().curve.total_xp(level)
    }
}

export_plugin!(PolynomialCurve, kinds: [xp_formula]);

#[cfg(test)]
mod tests {
    use super::*;

    fn msg_ctx(since: Option<i64>, rate: f64) -> XpContext {
        XpContext {
            activity: Activity::message(1, 2, 3, 0, 10),
            stats: MemberStats::default(),
            seconds_since_last_award: since,
            xp_rate: rate,
        }
    }

    #[test]
    fn metadata() {
        let info = plugin_info::<PolynomialCurve>();
        assert_eq!(info.name, "polynomial-curve");
        assert_eq!(info.kinds, vec![PluginKind::XpFormula]);
    }

    #[test]
    fn default_is_polaris_through_the_host_config() {
        testing::reset();
        assert_eq!(PolynomialCurve::total_xp_for_level(1), 200);
        assert_eq!(PolynomialCurve::total_xp_for_level(10), 7_000);
        testing::set_config(r#"{"preset": "linear"}"#);
        assert_eq!(PolynomialCurve::total_xp_for_level(3), 30_000);
    }

    #[test]
    fn per_message_range_and_cooldown() {
        let s: Settings = config_from_str(r#"{"preset": "lurkr"}"#);
        assert_eq!((s.min_xp, s.max_xp, s.cooldown_seconds), (15, 40, 60));
        assert_eq!(award(&s, &msg_ctx(Some(30), 1.0), |_| 20), 0);
        assert_eq!(award(&s, &msg_ctx(Some(60), 1.0), |r| *r.end()), 40);
        assert_eq!(award(&s, &msg_ctx(None, 0.01), |r| *r.start()), 1);
        let voice = XpContext {
            activity: Activity::voice(1, 2, 3, 0, 60),
            ..msg_ctx(None, 1.0)
        };
        assert_eq!(award(&s, &voice, |_| 20), 0);
        let custom: Settings =
            config_from_str(r#"{"min_xp": 5, "max_xp": 6, "cooldown_seconds": 0}"#);
        assert_eq!(award(&custom, &msg_ctx(Some(0), 2.0), |r| *r.start()), 10);
    }

    #[test]
    fn rolls_come_from_host_random() {
        testing::reset();
        testing::set_config(r#"{"preset": "polaris"}"#);
        let rolls: Vec<i64> = (0..200)
            .map(|_| PolynomialCurve::xp_for_activity(&msg_ctx(None, 1.0)))
            .collect();
        assert!(rolls.iter().all(|x| (50..=100).contains(x)));
        assert!(rolls.iter().any(|x| *x != rolls[0]));
    }
}
