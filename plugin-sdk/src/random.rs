//! Randomness from the host's seeded `random` import (so simulations replay exactly).

use std::ops::RangeInclusive;

/// 64 random bits from the host.
pub fn next_u64() -> u64 {
    crate::host::next_u64()
}

/// A uniform integer in `range` (inclusive). An empty or inverted range yields its start.
///
/// Unbiased: uses rejection sampling rather than a plain modulo.
pub fn random_range(range: RangeInclusive<i64>) -> i64 {
    let (lo, hi) = (*range.start(), *range.end());
    if hi <= lo {
        return lo;
    }
    let span = (hi as i128 - lo as i128 + 1) as u128;
    if span > u64::MAX as u128 {
        return next_u64() as i64;
    }
    let span = span as u64;
    // Largest multiple of `span` that fits; draws at or above it would bias low values.
    let zone = u64::MAX - (u64::MAX % span + 1) % span;
    loop {
        let draw = next_u64();
        if draw <= zone {
            return (lo as i128 + (draw % span) as i128) as i64;
        }
    }
}

/// A uniform float in `[0, 1)`.
pub fn random_f64() -> f64 {
    (next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// `true` with probability `p` (clamped to `[0, 1]`).
pub fn chance(p: f64) -> bool {
    random_f64() < p.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn range_is_inclusive_and_covers_every_value() {
        testing::reset();
        let mut seen = [0u32; 11];
        for _ in 0..5_000 {
            let v = random_range(15..=25);
            assert!((15..=25).contains(&v));
            seen[(v - 15) as usize] += 1;
        }
        // Roughly uniform: each value near 5000/11 ≈ 455.
        assert!(seen.iter().all(|n| (300..=620).contains(n)), "{seen:?}");
        assert_eq!(random_range(5..=5), 5);
        let (hi, lo) = (9, 3);
        assert_eq!(random_range(hi..=lo), 9, "inverted range yields its start");
        let wide = random_range(i64::MIN..=i64::MAX);
        let _ = wide; // any value is valid; it must simply not panic or loop
    }

    #[test]
    fn same_seed_same_stream() {
        testing::reset();
        testing::seed(7);
        let a: Vec<i64> = (0..10).map(|_| random_range(0..=1_000)).collect();
        testing::seed(7);
        let b: Vec<i64> = (0..10).map(|_| random_range(0..=1_000)).collect();
        assert_eq!(a, b);
        let f = random_f64();
        assert!((0.0..1.0).contains(&f));
        assert!(!chance(0.0) && chance(1.0));
    }
}
