//! Levels from total XP under a plugin's curve.
//!
//! A curve plugin only answers `total-xp-for-level(L)` (strictly increasing). Storing total XP
//! and deriving the level means a curve change re-levels everyone with no data migration. The
//! engine asks the plugin once for a table of thresholds and then finds levels by binary
//! search, instead of a wasm call per lookup.

/// The highest level the engine tracks: the one plugins' curves are checked up to at load.
pub const MAX_LEVEL: u32 = crate::plugins::MAX_LEVEL;

/// Thresholds `total[L]` = total XP needed for level `L`, with `total[0] = 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelTable {
    totals: Vec<i64>,
}

/// A curve that is not strictly increasing, or does not start at 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurveError {
    #[error("total XP for level 0 must be 0, got {0}")]
    NonZeroStart(i64),
    #[error(
        "the curve must be strictly increasing: level {level} needs {total} XP, level {prev_level} needed {prev}"
    )]
    NotIncreasing {
        level: u32,
        total: i64,
        prev_level: u32,
        prev: i64,
    },
}

impl LevelTable {
    /// Builds the table from `total_xp_for_level` for levels `0..=max_level`; stops early
    /// (capping the maximum level) when values reach `i64::MAX`, so a steep curve cannot overflow.
    pub fn build(
        max_level: u32,
        mut total_xp_for_level: impl FnMut(u32) -> i64,
    ) -> Result<Self, CurveError> {
        let first = total_xp_for_level(0);
        if first != 0 {
            return Err(CurveError::NonZeroStart(first));
        }
        let mut totals = vec![0];
        for level in 1..=max_level {
            let total = total_xp_for_level(level);
            let prev = totals[totals.len() - 1];
            if total <= prev {
                return Err(CurveError::NotIncreasing {
                    level,
                    total,
                    prev_level: level - 1,
                    prev,
                });
            }
            totals.push(total);
            if total == i64::MAX {
                break;
            }
        }
        Ok(Self { totals })
    }

    /// A table of level 0 alone, for a batch that changes no XP because no curve was usable
    /// (the commit never looks a level up then).
    pub fn level_zero_only() -> Self {
        Self { totals: vec![0] }
    }

    /// The level reached with `xp` total XP.
    pub fn level_for_xp(&self, xp: i64) -> u32 {
        // Number of thresholds <= xp, minus one for level 0.
        let reached = self.totals.partition_point(|&t| t <= xp);
        u32::try_from(reached.saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// Total XP needed for `level` (saturating at the table's top).
    pub fn total_for_level(&self, level: u32) -> i64 {
        let i = usize::try_from(level).unwrap_or(usize::MAX);
        self.totals.get(i).copied().unwrap_or(i64::MAX)
    }

    /// `(xp into the current level, the level's span)`, as MEE6's `detailed_xp` reports.
    pub fn progress(&self, xp: i64) -> (i64, i64) {
        let level = self.level_for_xp(xp);
        let start = self.total_for_level(level);
        let next = self.total_for_level(level.saturating_add(1));
        (xp - start, next.saturating_sub(start))
    }

    /// The highest level in the table.
    pub fn max_level(&self) -> u32 {
        u32::try_from(self.totals.len() - 1).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mee6(l: u32) -> i64 {
        let l = i64::from(l);
        5 * l * (2 * l * l + 27 * l + 91) / 6
    }

    #[test]
    fn levels_match_the_mee6_table() {
        let t = LevelTable::build(MAX_LEVEL, mee6).expect("mee6 is increasing");
        assert_eq!(t.level_for_xp(0), 0);
        assert_eq!(t.level_for_xp(99), 0);
        assert_eq!(t.level_for_xp(100), 1);
        assert_eq!(t.level_for_xp(4_674), 9);
        assert_eq!(t.level_for_xp(4_675), 10);
        assert_eq!(t.level_for_xp(1_899_250), 100);
        assert_eq!(t.total_for_level(20), 23_850);
        assert_eq!(t.progress(150), (50, 155));
    }

    #[test]
    fn bad_curves_are_refused() {
        assert_eq!(
            LevelTable::build(10, |l| i64::from(l) + 1),
            Err(CurveError::NonZeroStart(1))
        );
        assert!(matches!(
            LevelTable::build(10, |l| if l == 5 { 3 } else { i64::from(l) * 10 }),
            Err(CurveError::NotIncreasing { level: 5, .. })
        ));
    }

    #[test]
    fn steep_curves_cap_instead_of_overflowing() {
        let t = LevelTable::build(MAX_LEVEL, |l| {
            if l == 0 {
                0
            } else {
                10_i64.checked_pow(l).unwrap_or(i64::MAX)
            }
        })
        .expect("increasing until it saturates");
        assert_eq!(t.max_level(), 19);
        assert_eq!(t.level_for_xp(i64::MAX), 19);
    }
}
