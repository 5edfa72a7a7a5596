//! XP: the guild's xp-formula plugin's answers per activity, with active quest multipliers
//! applied, added to each member's delta with the counters.

use std::collections::BTreeMap;

use super::{Member, Round};
use crate::engine::ceiling::{activity_ceiling, clamp_activity_xp};
use crate::engine::error::EngineError;
use crate::engine::metrics::EngineCounters;
use crate::engine::pipeline::Pipeline;
use crate::engine::wit::{Event, Work, mix, ms};
use crate::plugins::{MemberStats, XpContext};

impl Pipeline {
    /// XP per event: one call with every activity; again only for the events whose cooldown
    /// chain the answers changed (an activity that awarded nothing does not start a
    /// cooldown). `rates[i]` is event `i`'s effective rate: the guild's `xp_rate` times the
    /// XP boost that applies to it.
    pub(super) async fn compute_xp(
        &self,
        round: &Round<'_>,
        plugin: &str,
        before: &[MemberStats],
        members: &BTreeMap<u64, Member>,
        rates: &[f64],
    ) -> Result<Vec<i64>, EngineError> {
        let (guild, events, now, base_seed) =
            (round.guild, round.events, round.now, round.base_seed);
        let n = events.len();
        let mut results = vec![0i64; n];
        let mut since_used: Vec<Option<i64>> = vec![None; n];
        // First guess: every message awards.
        let mut todo: Vec<usize> = Vec::new();
        for m in members.values() {
            let mut last = m.stats.last_message_time;
            for &i in &m.events {
                since_used[i] = last.map(|l| (ms(events[i].at) - l).div_euclid(1000));
                if matches!(events[i].work, Work::Message { .. }) {
                    last = Some(ms(events[i].at));
                }
                todo.push(i);
            }
        }
        todo.sort_unstable();
        let mut round = 0u64;
        while !todo.is_empty() && round <= n as u64 {
            round += 1;
            let items: Vec<XpContext> = todo
                .iter()
                .map(|&i| XpContext {
                    activity: events[i].to_wit(),
                    stats: before[i],
                    seconds_since_last_award: since_used[i],
                    xp_rate: rates[i],
                })
                .collect();
            // Settings that cannot be read (the database is away) fail the guild's batch,
            // which is retried, instead of committing it without XP.
            let ctx = self
                .cache
                .context(guild, plugin, ms(now), mix(base_seed ^ (round << 32)))
                .await?;
            let started = std::time::Instant::now();
            let answer = self.plugins.xp_for_activities(plugin, &ctx, items).await;
            self.plugin_time(started);
            match answer {
                Ok(mut xp) => {
                    // The ceiling scales with the highest rate asked for in this call.
                    let top = todo.iter().map(|&i| rates[i]).fold(0.0, f64::max);
                    clamp_activity_xp(
                        &mut xp,
                        activity_ceiling(self.config.max_xp_per_activity, top),
                        plugin,
                        &self.counters,
                    );
                    for (&i, x) in todo.iter().zip(xp) {
                        results[i] = x;
                    }
                }
                Err(e) if e.is_transient() => return Err(e.into()),
                Err(e) => {
                    EngineCounters::add(&self.counters.plugin_failures, 1);
                    tracing::warn!(guild, plugin, error = %e, "xp formula failed; no XP for these activities");
                    for &i in &todo {
                        results[i] = 0;
                    }
                    return Ok(results);
                }
            }
            // Re-check the chains with the real answers.
            todo.clear();
            for m in members.values() {
                let mut last = m.stats.last_message_time;
                for &i in &m.events {
                    let since = last.map(|l| (ms(events[i].at) - l).div_euclid(1000));
                    if since != since_used[i] {
                        since_used[i] = since;
                        todo.push(i);
                    }
                    if matches!(events[i].work, Work::Message { .. }) && results[i] > 0 {
                        last = Some(ms(events[i].at));
                    }
                }
            }
            todo.sort_unstable();
        }
        Ok(results)
    }
}

/// Adds each event's XP (times the member's active multipliers) and counters to its member's
/// delta.
pub(super) fn apply_xp(events: &[Event], xp: &[i64], members: &mut BTreeMap<u64, Member>) {
    for (i, e) in events.iter().enumerate() {
        let Some(m) = members.get_mut(&e.user) else {
            continue;
        };
        let mut gained = xp[i];
        if gained > 0 {
            let factor: f64 = m
                .multipliers
                .iter()
                .filter(|(_, until, from)| *from <= e.at && until.is_none_or(|u| e.at < u))
                .map(|(f, _, _)| f.max(0.0))
                .product();
            if factor != 1.0 && factor.is_finite() {
                gained = (gained as f64 * factor).floor() as i64;
            }
        }
        let d = &mut m.delta;
        d.xp = d.xp.saturating_add(gained);
        match &e.work {
            Work::Message { .. } => {
                d.total_messages += 1;
                if gained > 0 {
                    d.messages += 1;
                    d.last_message_time = d.last_message_time.max(Some(e.at));
                }
            }
            Work::Reaction { .. } => d.total_reactions += 1,
            Work::Voice { seconds } => d.voice_time_seconds += i64::from(*seconds),
            Work::Command { .. } => d.commands_used += 1,
        }
    }
}
