//! Discord sends a member's whole voice state on every change; the engine wants changes
//! (join, leave, mute, …). [`VoiceStates`] remembers the last state per member and turns a
//! new one into the changes between them.

use std::collections::HashMap;

use crate::engine::VoiceChange;

/// A member's voice state, as far as XP cares: muted or deafened by anyone counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceSnapshot {
    pub channel: Option<u64>,
    pub muted: bool,
    pub deafened: bool,
}

/// Last known voice state of each `(guild, user)`.
#[derive(Debug, Default)]
pub struct VoiceStates {
    states: HashMap<(u64, u64), VoiceSnapshot>,
}

impl VoiceStates {
    /// Records `now` and returns the changes from the previous state, in the order the
    /// engine must apply them (join before mute, so a member who joins muted is muted).
    pub fn update(&mut self, guild: u64, user: u64, now: VoiceSnapshot) -> Vec<VoiceChange> {
        let before = self.states.get(&(guild, user)).copied();
        let mut out = Vec::new();
        match now.channel {
            None => {
                self.states.remove(&(guild, user));
                if before.and_then(|b| b.channel).is_some() {
                    out.push(VoiceChange::Leave);
                }
                return out;
            }
            Some(channel) => {
                // A fresh join starts unmuted and undeafened in the engine.
                let (was_muted, was_deaf) = match before {
                    Some(b) if b.channel.is_some() => (b.muted, b.deafened),
                    _ => (false, false),
                };
                if before.and_then(|b| b.channel) != Some(channel) {
                    out.push(VoiceChange::Join { channel });
                }
                match (was_muted, now.muted) {
                    (false, true) => out.push(VoiceChange::Mute),
                    (true, false) => out.push(VoiceChange::Unmute),
                    _ => {}
                }
                match (was_deaf, now.deafened) {
                    (false, true) => out.push(VoiceChange::Deafen),
                    (true, false) => out.push(VoiceChange::Undeafen),
                    _ => {}
                }
            }
        }
        self.states.insert((guild, user), now);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(channel: Option<u64>, muted: bool, deafened: bool) -> VoiceSnapshot {
        VoiceSnapshot {
            channel,
            muted,
            deafened,
        }
    }

    #[test]
    fn states_become_changes() {
        let mut v = VoiceStates::default();
        assert_eq!(
            v.update(1, 2, s(Some(5), true, false)),
            vec![VoiceChange::Join { channel: 5 }, VoiceChange::Mute]
        );
        assert_eq!(
            v.update(1, 2, s(Some(5), false, false)),
            vec![VoiceChange::Unmute]
        );
        assert_eq!(
            v.update(1, 2, s(Some(6), false, true)),
            vec![VoiceChange::Join { channel: 6 }, VoiceChange::Deafen]
        );
        assert_eq!(
            v.update(1, 2, s(None, false, false)),
            vec![VoiceChange::Leave]
        );
        // Leaving again (or a leave for someone never seen) changes nothing.
        assert!(v.update(1, 2, s(None, false, false)).is_empty());
        assert!(v.update(1, 3, s(None, false, false)).is_empty());
    }
}
