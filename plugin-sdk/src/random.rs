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
