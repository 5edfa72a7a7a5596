//! What the repository tests share beyond [`questline_tests::testdb`]: a simple curve and a
//! guild id. (The `db` test binary's `support` module.)
#![allow(dead_code)]

#[allow(unused_imports)]
pub use questline_tests::testdb::*;

use questline::db::LevelCurve;

/// A simple curve for tests: level = floor(sqrt(xp / 100)).
pub struct SqrtCurve;

impl LevelCurve for SqrtCurve {
    fn level_for_xp(&self, xp: i64) -> i32 {
        ((xp as f64 / 100.0).sqrt().floor()) as i32
    }
}

pub const G: u64 = 100000000000000001;
