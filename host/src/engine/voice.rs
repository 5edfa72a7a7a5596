//! Voice time from voice state changes.
//!
//! Discord tells us when members join, leave, move, mute and deafen; XP bots credit time spent
//! in voice only while it is *eligible*: not muted, not deafened, not alone and not in the AFK
//! channel (Arcane, Amari, LevelUp, Axobot all agree). Eligibility of one member depends on
//! who else is in the channel, so every change first settles the time of everyone in the
//! channels it touches, then applies the change. `settle_all` credits running sessions (the
//! engine calls it periodically and at shutdown), so long sessions earn as they go.

use std::collections::HashMap;

/// A voice state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceChange {
    Join { channel: u64 },
    Leave,
    Mute,
    Unmute,
    Deafen,
    Undeafen,
}

/// Eligible seconds credited to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceCredit {
    pub guild: u64,
    pub user: u64,
    pub channel: u64,
    pub seconds: u32,
}

#[derive(Debug, Clone, Copy)]
struct Session {
    channel: u64,
    muted: bool,
    deafened: bool,
    /// Milliseconds up to which time has been accounted.
    since_ms: i64,
}

/// Tracks voice sessions across guilds.
#[derive(Debug, Default)]
pub struct VoiceTracker {
    sessions: HashMap<(u64, u64), Session>,
}

impl VoiceTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a change for `(guild, user)` at `now_ms`; `afk_channel` is the guild's AFK
    /// channel, whose time never counts. Returns the credits this settles.
    pub fn apply(
        &mut self,
        guild: u64,
        user: u64,
        change: VoiceChange,
        now_ms: i64,
        afk_channel: Option<u64>,
    ) -> Vec<VoiceCredit> {
        let mut credits = Vec::new();
        let old_channel = self.sessions.get(&(guild, user)).map(|s| s.channel);
        let new_channel = match change {
            VoiceChange::Join { channel } => Some(channel),
            _ => old_channel,
        };
        for channel in [old_channel, new_channel].into_iter().flatten() {
            self.settle_channel(guild, channel, now_ms, afk_channel, &mut credits);
        }
        let key = (guild, user);
        match change {
            VoiceChange::Join { channel } => {
                let (muted, deafened) = self
                    .sessions
                    .get(&key)
                    .map_or((false, false), |s| (s.muted, s.deafened));
                self.sessions.insert(
                    key,
                    Session {
                        channel,
                        muted,
                        deafened,
                        since_ms: now_ms,
                    },
                );
            }
            VoiceChange::Leave => {
                self.sessions.remove(&key);
            }
            VoiceChange::Mute
            | VoiceChange::Unmute
            | VoiceChange::Deafen
            | VoiceChange::Undeafen => {
                if let Some(s) = self.sessions.get_mut(&key) {
                    match change {
                        VoiceChange::Mute => s.muted = true,
                        VoiceChange::Unmute => s.muted = false,
                        VoiceChange::Deafen => s.deafened = true,
                        _ => s.deafened = false,
                    }
                }
            }
        }
        credits
    }

    /// Credits every running session up to `now_ms`.
    pub fn settle_all(
        &mut self,
        now_ms: i64,
        afk_channel: impl Fn(u64) -> Option<u64>,
    ) -> Vec<VoiceCredit> {
        let mut channels: Vec<(u64, u64)> = self
            .sessions
            .iter()
            .map(|(&(g, _), s)| (g, s.channel))
            .collect();
        channels.sort_unstable();
        channels.dedup();
        let mut credits = Vec::new();
        for (guild, channel) in channels {
            self.settle_channel(guild, channel, now_ms, afk_channel(guild), &mut credits);
        }
        credits
    }

    /// Guilds with someone in voice, sorted (whose AFK channels a settle needs).
    pub fn guilds(&self) -> Vec<u64> {
        let mut g: Vec<u64> = self.sessions.keys().map(|&(g, _)| g).collect();
        g.sort_unstable();
        g.dedup();
        g
    }

    /// Members currently in voice.
    pub fn active(&self) -> usize {
        self.sessions.len()
    }

    fn settle_channel(
        &mut self,
        guild: u64,
        channel: u64,
        now_ms: i64,
        afk_channel: Option<u64>,
        credits: &mut Vec<VoiceCredit>,
    ) {
        let present = self
            .sessions
            .iter()
            .filter(|(key, s)| key.0 == guild && s.channel == channel)
            .count();
        let counts = present >= 2 && afk_channel != Some(channel);
        for (&(g, user), s) in self.sessions.iter_mut() {
            if g != guild || s.channel != channel {
                continue;
            }
            let elapsed_ms = now_ms.saturating_sub(s.since_ms).max(0);
            let seconds = u32::try_from(elapsed_ms / 1000).unwrap_or(u32::MAX);
            if counts && !s.muted && !s.deafened && seconds > 0 {
                credits.push(VoiceCredit {
                    guild,
                    user,
                    channel,
                    seconds,
                });
            }
            // Keep the sub-second remainder so repeated settling loses nothing.
            s.since_ms = now_ms.max(s.since_ms) - elapsed_ms % 1000;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: u64 = 1;
    const S: i64 = 1000;

    fn total(credits: &[VoiceCredit], user: u64) -> u32 {
        credits
            .iter()
            .filter(|c| c.user == user)
            .map(|c| c.seconds)
            .sum()
    }

    #[test]
    fn alone_time_does_not_count_company_does() {
        let mut v = VoiceTracker::new();
        let mut all = Vec::new();
        all.extend(v.apply(G, 10, VoiceChange::Join { channel: 5 }, 0, None));
        all.extend(v.apply(G, 11, VoiceChange::Join { channel: 5 }, 60 * S, None));
        all.extend(v.apply(G, 11, VoiceChange::Leave, 180 * S, None));
        all.extend(v.apply(G, 10, VoiceChange::Leave, 300 * S, None));
        assert_eq!(total(&all, 10), 120);
        assert_eq!(total(&all, 11), 120);
    }

    #[test]
    fn muted_deafened_and_afk_time_does_not_count() {
        let mut v = VoiceTracker::new();
        let mut all = Vec::new();
        all.extend(v.apply(G, 10, VoiceChange::Join { channel: 5 }, 0, Some(9)));
        all.extend(v.apply(G, 11, VoiceChange::Join { channel: 5 }, 0, Some(9)));
        all.extend(v.apply(G, 10, VoiceChange::Mute, 30 * S, Some(9)));
        all.extend(v.apply(G, 10, VoiceChange::Unmute, 90 * S, Some(9)));
        all.extend(v.apply(G, 11, VoiceChange::Deafen, 100 * S, Some(9)));
        all.extend(v.apply(G, 10, VoiceChange::Join { channel: 9 }, 120 * S, Some(9)));
        all.extend(v.apply(G, 11, VoiceChange::Join { channel: 9 }, 130 * S, Some(9)));
        all.extend(v.settle_all(500 * S, |_| Some(9)));
        assert_eq!(total(&all, 10), 30 + 30);
        assert_eq!(total(&all, 11), 100);
    }

    #[test]
    fn settling_keeps_sub_second_remainders() {
        let mut v = VoiceTracker::new();
        let mut all = Vec::new();
        all.extend(v.apply(G, 10, VoiceChange::Join { channel: 5 }, 0, None));
        all.extend(v.apply(G, 11, VoiceChange::Join { channel: 5 }, 0, None));
        for i in 1..=10 {
            all.extend(v.settle_all(i * 1500, |_| None));
        }
        assert_eq!(total(&all, 10), 15);
        assert_eq!(v.active(), 2);
    }
}
