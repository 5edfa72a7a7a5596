//! Who may see a guild's leaderboard: one decision for the page and the JSON API alike.

use crate::db::LeaderboardVisibility;

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Nobody logged in.
    Anonymous,
    /// The console's own web view: the operator on the loopback address, read-only.
    Local,
    /// A logged-in Discord user: whether they are in the guild, and whether they manage it
    /// (Manage Server or Administrator), as Discord said at login.
    Discord { member: bool, manager: bool },
}

/// What the viewer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Granted,
    /// The board exists for viewers who log in (401).
    LoginRequired,
    /// Logged in, but not allowed (403).
    Denied,
    /// As if the board did not exist (404): an `off` board reveals nothing.
    Hidden,
}

/// The decision (see the module docs). The console's local view sees its guild's board
/// whatever its visibility: the operator at the keyboard is every role at once.
pub fn leaderboard(visibility: LeaderboardVisibility, viewer: Viewer) -> Access {
    use LeaderboardVisibility as V;
    match (visibility, viewer) {
        (_, Viewer::Local) => Access::Granted,
        (V::Off, _) => Access::Hidden,
        (V::Public, _) => Access::Granted,
        (V::Members | V::Managers, Viewer::Anonymous) => Access::LoginRequired,
        (V::Members, Viewer::Discord { member, manager }) => {
            if member || manager {
                Access::Granted
            } else {
                Access::Denied
            }
        }
        (V::Managers, Viewer::Discord { manager, .. }) => {
            if manager {
                Access::Granted
            } else {
                Access::Denied
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeaderboardVisibility as V;

    const OUTSIDER: Viewer = Viewer::Discord {
        member: false,
        manager: false,
    };
    const MEMBER: Viewer = Viewer::Discord {
        member: true,
        manager: false,
    };
    const MANAGER: Viewer = Viewer::Discord {
        member: true,
        manager: true,
    };

    #[test]
    fn every_visibility_against_every_viewer() {
        use Access::*;
        let viewers = [Viewer::Anonymous, OUTSIDER, MEMBER, MANAGER, Viewer::Local];
        let expected: [(V, [Access; 5]); 4] = [
            (V::Public, [Granted, Granted, Granted, Granted, Granted]),
            (
                V::Members,
                [LoginRequired, Denied, Granted, Granted, Granted],
            ),
            (
                V::Managers,
                [LoginRequired, Denied, Denied, Granted, Granted],
            ),
            (V::Off, [Hidden, Hidden, Hidden, Hidden, Granted]),
        ];
        for (visibility, row) in expected {
            for (viewer, want) in viewers.iter().zip(row) {
                assert_eq!(
                    leaderboard(visibility, *viewer),
                    want,
                    "{visibility} for {viewer:?}"
                );
            }
        }
    }
}
