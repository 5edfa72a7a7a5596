//! The benchmark's activity: a seeded, realistic mix over many guilds, and what the stored
//! counters must say once all of it is committed.
//!
//! Who is active follows Zipf's law, as on real servers: a few guilds and, within a guild, a
//! few members produce most of the traffic (exponent 1.0 over guilds, 1.1 over members).
//! The mix is 70% messages, 15% reactions, 5% commands and 10% voice sessions (a join, and
//! a leave 30 s to 30 min later in event time; a member already in voice posts a message
//! instead). Event times advance 50 ms per activity from a fixed start, so the same seed
//! gives the same activities byte for byte.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::engine::voice::VoiceTracker;
use crate::engine::wit::{from_ms, ms};
use crate::engine::{Activity, ActivityKind, VoiceChange};

/// Event time between two activities.
const STEP_MS: i64 = 50;
/// Voice channels per guild (two, so sessions overlap and members are rarely alone).
const VOICE_CHANNELS: u64 = 2;
/// Text channels per guild.
const TEXT_CHANNELS: u64 = 5;
/// Commands members use.
const COMMANDS: [&str; 4] = ["rank", "leaderboard", "quests", "profile"];
const EMOJIS: [&str; 4] = ["👍", "🎉", "😂", "❤️"];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// Activities to generate (open voice sessions are closed after these, so a few more).
    pub events: usize,
    pub guilds: usize,
    /// Members per guild who may be active.
    pub members: usize,
    pub seed: u64,
}

/// The counters all activities of a workload must add up to once stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Expected {
    pub messages: i64,
    pub reactions: i64,
    pub commands: i64,
    pub voice_changes: i64,
    /// Eligible voice seconds (two or more unmuted members in a channel), as the engine's
    /// voice rules credit them for these changes.
    pub voice_seconds: i64,
}

/// A generated workload.
#[derive(Debug, Clone)]
pub struct Workload {
    pub activities: Vec<Activity>,
    pub guild_ids: Vec<u64>,
    pub expected: Expected,
    /// Distinct (guild, member) pairs that did something.
    pub active_members: usize,
    pub start: DateTime<Utc>,
}

/// Samples ranks 0..n with probability proportional to 1 / (rank + 1)^s.
#[derive(Debug, Clone)]
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n.max(1))
            .map(|k| {
                total += 1.0 / (k as f64).powf(s);
                total
            })
            .collect();
        Self { cumulative }
    }

    pub fn sample(&self, rng: &mut impl Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c < x)
            .min(self.cumulative.len() - 1)
    }
}

/// The guild id of guild number `g` (snowflake-like, never 0).
pub fn guild_id(g: usize) -> u64 {
    1_000_000 + g as u64
}

/// The start of every workload's event time (a Monday morning, far from quest resets).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl Workload {
    /// Generates the activities of `spec`.
    pub fn generate(spec: WorkloadSpec) -> Self {
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let guilds = Zipf::new(spec.guilds.max(1), 1.0);
        let members = Zipf::new(spec.members.max(1), 1.1);
        let start = start_time();
        let mut activities = Vec::with_capacity(spec.events + spec.events / 10);
        let mut in_voice: HashSet<(u64, u64)> = HashSet::new();
        // (leave time in ms, guild, user)
        let mut leaves: BinaryHeap<Reverse<(i64, u64, u64)>> = BinaryHeap::new();
        let mut next_id = 1u64;
        let mut active: HashSet<(u64, u64)> = HashSet::new();
        for i in 0..spec.events {
            let now = start + Duration::milliseconds(i as i64 * STEP_MS);
            if let Some(&Reverse((due, guild, user))) = leaves.peek()
                && due <= ms(now)
            {
                leaves.pop();
                in_voice.remove(&(guild, user));
                activities.push(Activity::new(
                    guild,
                    voice_channel(guild, 0),
                    user,
                    now,
                    ActivityKind::Voice(VoiceChange::Leave),
                ));
                continue;
            }
            let guild = guild_id(guilds.sample(&mut rng));
            let user = members.sample(&mut rng) as u64 + 1;
            active.insert((guild, user));
            let channel = guild * 100 + rng.random_range(0..TEXT_CHANNELS);
            let roll: f64 = rng.random();
            let kind = if roll < 0.85 || in_voice.contains(&(guild, user)) {
                if !(0.70..0.85).contains(&roll) {
                    next_id += 1;
                    ActivityKind::Message {
                        id: next_id,
                        length: rng.random_range(1..400),
                    }
                } else {
                    next_id += 1;
                    ActivityKind::Reaction {
                        message: next_id,
                        emoji: EMOJIS[rng.random_range(0..EMOJIS.len())].to_owned(),
                    }
                }
            } else if roll < 0.90 {
                ActivityKind::Command {
                    name: COMMANDS[rng.random_range(0..COMMANDS.len())].to_owned(),
                }
            } else {
                let channel = voice_channel(guild, rng.random_range(0..VOICE_CHANNELS));
                in_voice.insert((guild, user));
                let stay_ms = rng.random_range(30_000..1_800_000);
                leaves.push(Reverse((ms(now) + stay_ms, guild, user)));
                activities.push(Activity::new(
                    guild,
                    channel,
                    user,
                    now,
                    ActivityKind::Voice(VoiceChange::Join { channel }),
                ));
                continue;
            };
            activities.push(Activity::new(guild, channel, user, now, kind));
        }
        // Close every open session so all voice time is credited by the end.
        while let Some(Reverse((due, guild, user))) = leaves.pop() {
            let at = from_ms(due).max(activities.last().map_or(start, |a| a.at));
            activities.push(Activity::new(
                guild,
                voice_channel(guild, 0),
                user,
                at,
                ActivityKind::Voice(VoiceChange::Leave),
            ));
        }
        let expected = expected(&activities);
        let mut guild_ids: Vec<u64> = (0..spec.guilds.max(1)).map(guild_id).collect();
        guild_ids.sort_unstable();
        Self {
            activities,
            guild_ids,
            expected,
            active_members: active.len(),
            start,
        }
    }

    /// The first `n` activities, with every voice session they open closed at the end (the
    /// per-event baseline runs a prefix of the same workload).
    pub fn prefix(&self, n: usize) -> Workload {
        if n >= self.activities.len() {
            return self.clone();
        }
        let mut activities: Vec<Activity> = self.activities[..n].to_vec();
        let mut open: Vec<(u64, u64)> = Vec::new();
        for a in &activities {
            if let ActivityKind::Voice(change) = a.kind {
                match change {
                    VoiceChange::Join { .. } => open.push((a.guild, a.user)),
                    VoiceChange::Leave => open.retain(|k| *k != (a.guild, a.user)),
                    _ => {}
                }
            }
        }
        let at = activities.last().map_or(self.start, |a| a.at);
        for (guild, user) in open {
            activities.push(Activity::new(
                guild,
                voice_channel(guild, 0),
                user,
                at,
                ActivityKind::Voice(VoiceChange::Leave),
            ));
        }
        let active: HashSet<(u64, u64)> = activities.iter().map(|a| (a.guild, a.user)).collect();
        Workload {
            expected: expected(&activities),
            active_members: active.len(),
            activities,
            guild_ids: self.guild_ids.clone(),
            start: self.start,
        }
    }
}

fn voice_channel(guild: u64, n: u64) -> u64 {
    guild * 100 + 50 + n
}

/// What the stored counters must add up to after `activities` (in this order).
fn expected(activities: &[Activity]) -> Expected {
    let mut e = Expected::default();
    let mut voice = VoiceTracker::new();
    for a in activities {
        match &a.kind {
            ActivityKind::Message { .. } => e.messages += 1,
            ActivityKind::Reaction { .. } => e.reactions += 1,
            ActivityKind::Command { .. } => e.commands += 1,
            ActivityKind::Voice(change) => {
                e.voice_changes += 1;
                e.voice_seconds += voice
                    .apply(a.guild, a.user, *change, ms(a.at), None)
                    .iter()
                    .map(|c| i64::from(c.seconds))
                    .sum::<i64>();
            }
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> WorkloadSpec {
        WorkloadSpec {
            events: 5_000,
            guilds: 10,
            members: 200,
            seed: 3,
        }
    }

    #[test]
    fn same_seed_same_workload_and_every_session_closes() {
        let a = Workload::generate(spec());
        let b = Workload::generate(spec());
        assert_eq!(a.activities, b.activities);
        assert_eq!(a.expected, b.expected);
        let c = Workload::generate(WorkloadSpec { seed: 4, ..spec() });
        assert_ne!(a.activities, c.activities);
        let joins = a
            .activities
            .iter()
            .filter(|x| matches!(x.kind, ActivityKind::Voice(VoiceChange::Join { .. })))
            .count();
        let leaves = a
            .activities
            .iter()
            .filter(|x| matches!(x.kind, ActivityKind::Voice(VoiceChange::Leave)))
            .count();
        assert_eq!(joins, leaves);
        assert!(
            a.expected.voice_seconds > 0,
            "overlapping sessions earn time"
        );
        let e = a.expected;
        assert_eq!(
            (e.messages + e.reactions + e.commands + e.voice_changes) as usize,
            a.activities.len()
        );
        assert!(e.messages > e.reactions && e.reactions > e.commands);
    }

    #[test]
    fn zipf_favours_low_ranks() {
        let z = Zipf::new(1_000, 1.1);
        let mut rng = StdRng::seed_from_u64(1);
        let mut top = 0;
        for _ in 0..10_000 {
            let r = z.sample(&mut rng);
            assert!(r < 1_000);
            if r < 10 {
                top += 1;
            }
        }
        assert!(top > 3_000, "the top 1% of members send {top} of 10000");
    }

    #[test]
    fn a_prefix_closes_its_sessions() {
        let w = Workload::generate(spec());
        let p = w.prefix(1_000);
        let joins = p.activities[..1_000]
            .iter()
            .filter(|x| matches!(x.kind, ActivityKind::Voice(VoiceChange::Join { .. })))
            .count();
        let leaves = p
            .activities
            .iter()
            .filter(|x| matches!(x.kind, ActivityKind::Voice(VoiceChange::Leave)))
            .count();
        assert_eq!(joins, leaves);
        assert_eq!(p.activities[..1_000], w.activities[..1_000]);
    }
}
