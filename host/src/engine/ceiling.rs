//! Ceilings on the XP plugins may award (`[engine] max_xp_per_activity`, `max_reward_xp`).
//! A formula that answers `i64::MAX` for one message, or a quest template worth a billion,
//! would otherwise level every member to the top in one batch. Answers above a ceiling are
//! clamped, counted (`questline_engine_xp_clamped_total`) and logged with the plugin's name,
//! so an operator sees which plugin misbehaves; nothing is refused, so no activity is lost.

use super::metrics::EngineCounters;

/// The most XP one activity may earn in a guild: `max_xp_per_activity` at `xp_rate` 1,
/// scaled up by a higher rate (an admin who sets 1,000× XP means it), never down.
pub(crate) fn activity_ceiling(max_xp_per_activity: i64, xp_rate: f64) -> i64 {
    let scaled = max_xp_per_activity as f64 * xp_rate.max(1.0);
    if scaled.is_finite() && scaled < i64::MAX as f64 {
        scaled as i64
    } else {
        i64::MAX
    }
}

/// `values` within `0..=max`, in place; returns how many were above `max`. One log line per
/// call names the plugin and the largest answer.
pub(crate) fn clamp_activity_xp(
    values: &mut [i64],
    max: i64,
    plugin: &str,
    counters: &EngineCounters,
) -> usize {
    let mut clamped = 0;
    let mut largest = 0;
    for v in values.iter_mut() {
        if *v > max {
            largest = largest.max(*v);
            *v = max;
            clamped += 1;
        } else if *v < 0 {
            *v = 0;
        }
    }
    if clamped > 0 {
        EngineCounters::add(&counters.xp_clamped, clamped as u64);
        tracing::warn!(
            plugin,
            clamped,
            largest,
            max,
            "xp formula answered more XP than [engine] max_xp_per_activity allows; clamped"
        );
    }
    clamped
}

/// A reward a plugin defined (`what`: "quest" or "achievement"), within `0..=max`.
pub(crate) fn clamp_reward(
    reward: i64,
    max: i64,
    plugin: &str,
    what: &'static str,
    counters: &EngineCounters,
) -> i64 {
    if reward > max {
        EngineCounters::add(&counters.xp_clamped, 1);
        tracing::warn!(
            plugin,
            what,
            reward,
            max,
            "plugin defined a reward above [engine] max_reward_xp; clamped"
        );
        max
    } else {
        reward.max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_above_the_ceiling_are_clamped_and_counted() {
        let counters = EngineCounters::default();
        let mut xp = [20, i64::MAX, -5, 10_000, 10_001];
        assert_eq!(clamp_activity_xp(&mut xp, 10_000, "p", &counters), 2);
        assert_eq!(xp, [20, 10_000, 0, 10_000, 10_000]);
        assert_eq!(clamp_reward(5, 100, "p", "quest", &counters), 5);
        assert_eq!(clamp_reward(-5, 100, "p", "quest", &counters), 0);
        assert_eq!(
            clamp_reward(i64::MAX, 100, "p", "achievement", &counters),
            100
        );
        assert_eq!(counters.snapshot().xp_clamped, 3);
    }

    #[test]
    fn a_guilds_xp_rate_raises_the_ceiling_and_never_lowers_it() {
        assert_eq!(activity_ceiling(10_000, 1.0), 10_000);
        assert_eq!(activity_ceiling(10_000, 0.5), 10_000);
        assert_eq!(activity_ceiling(10_000, 1_000.0), 10_000_000);
        assert_eq!(activity_ceiling(10_000, f64::INFINITY), i64::MAX);
    }
}
