//! The MEE6 level curve.

/// Total XP needed to reach `level`: `5·L·(2L²+27L+91)/6`, exact.
///
/// WHY i128: the cube overflows i64 long before `u32::MAX`; the result saturates at
/// `i64::MAX` (a level nobody reaches) instead of wrapping.
pub fn total_xp_for_level(level: u32) -> i64 {
    let l = i128::from(level);
    let total = 5 * l * (2 * l * l + 27 * l + 91) / 6;
    i64::try_from(total).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_table() {
        for (level, xp) in [
            (0, 0),
            (1, 100),
            (5, 1_150),
            (10, 4_675),
            (20, 23_850),
            (50, 268_375),
            (100, 1_899_250),
        ] {
            assert_eq!(total_xp_for_level(level), xp, "level {level}");
        }
    }

    #[test]
    fn steps_are_mee6_increments() {
        // XP from level l to l+1 is 5l² + 50l + 100.
        for l in 0..500i64 {
            let step = total_xp_for_level(l as u32 + 1) - total_xp_for_level(l as u32);
            assert_eq!(step, 5 * l * l + 50 * l + 100);
        }
    }

    #[test]
    fn never_wraps() {
        assert!(total_xp_for_level(u32::MAX) > 0);
    }
}
