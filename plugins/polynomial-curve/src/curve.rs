//! The polynomial curve and its presets.

use questline_plugin_sdk::JsonSchema;
use serde::{Deserialize, Serialize};

/// Levels checked when validating a curve; beyond them the leading coefficient decides.
const CHECKED_LEVELS: u32 = 10_000;

/// Curves other bots use (see the reference table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// `L³ + 50L² + 100L`, rounded to 100; 50–100 XP per message.
    #[default]
    Polaris,
    /// `0.5L³ + 20L² + 50L`, rounded to 50; 50–100 XP per message.
    PolarisGenerous,
    /// `50L² − 100L + 150` for L ≥ 1; 15–40 XP per message.
    Lurkr,
    /// `50L² + 25L` (Σ_{k<L} 100k + 75); 15–25 XP per message.
    ArcaneLinear,
    /// `10000L`; 100 XP per message.
    Linear,
}

impl Preset {
    /// The preset's curve.
    pub fn curve(self) -> Curve {
        let (a, b, c, d, round_to) = match self {
            Preset::Polaris => (1.0, 50.0, 100.0, 0.0, 100),
            Preset::PolarisGenerous => (0.5, 20.0, 50.0, 0.0, 50),
            Preset::Lurkr => (0.0, 50.0, -100.0, 150.0, 1),
            Preset::ArcaneLinear => (0.0, 50.0, 25.0, 0.0, 1),
            Preset::Linear => (0.0, 0.0, 10_000.0, 0.0, 1),
        };
        Curve {
            a,
            b,
            c,
            d,
            round_to,
        }
    }

    /// The preset's default per-message XP range and cooldown (seconds).
    pub fn message_xp(self) -> (i64, i64, i64) {
        match self {
            Preset::Polaris | Preset::PolarisGenerous => (50, 100, 60),
            Preset::Lurkr => (15, 40, 60),
            Preset::ArcaneLinear => (15, 25, 60),
            Preset::Linear => (100, 100, 60),
        }
    }
}

/// Total XP for level L = `a·L³ + b·L² + c·L + d`, rounded to the nearest multiple of
/// `round_to`; level 0 is always 0 XP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    /// Cubic coefficient.
    pub a: f64,
    /// Square coefficient.
    pub b: f64,
    /// Linear coefficient.
    pub c: f64,
    /// Constant term (applies from level 1).
    pub d: f64,
    /// Round totals to a multiple of this (1 = no rounding).
    pub round_to: i64,
}

impl Curve {
    /// Total XP needed to reach `level`.
    pub fn total_xp(&self, level: u32) -> i64 {
        if level == 0 {
            return 0;
        }
        let l = f64::from(level);
        let raw = ((self.a * l + self.b) * l + self.c) * l + self.d;
        let step = self.round_to.max(1) as f64;
        let rounded = (raw / step).round() * step;
        // `as` saturates: absurd levels pin at i64::MAX instead of wrapping.
        rounded as i64
    }

    /// Why this curve cannot be used, if it cannot: it must be positive from level 1 and
    /// strictly increasing at every level.
    pub fn validate(&self) -> Result<(), String> {
        if ![self.a, self.b, self.c, self.d]
            .iter()
            .all(|x| x.is_finite())
        {
            return Err("coefficients must be finite numbers".into());
        }
        if self.round_to < 1 {
            return Err(format!(
                "round_to must be at least 1, got {}",
                self.round_to
            ));
        }
        let leading = [self.a, self.b, self.c].into_iter().find(|x| *x != 0.0);
        if leading.is_none_or(|x| x < 0.0) {
            return Err(
                "the highest-order coefficient must be positive, or XP would fall at high levels"
                    .into(),
            );
        }
        let mut prev = 0;
        for level in 1..=CHECKED_LEVELS {
            let total = self.total_xp(level);
            if total == i64::MAX {
                break;
            }
            if total <= prev {
                return Err(format!(
                    "total XP must rise with every level, but level {level} needs {total} and level {} needs {prev}",
                    level - 1
                ));
            }
            prev = total;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_reference_formulas() {
        let polaris = Preset::Polaris.curve();
        assert_eq!(polaris.total_xp(0), 0);
        assert_eq!(polaris.total_xp(1), 200); // 151 → 200
        assert_eq!(polaris.total_xp(2), 400); // 408 → 400
        assert_eq!(polaris.total_xp(10), 7_000);
        assert_eq!(Preset::PolarisGenerous.curve().total_xp(10), 3_000); // 500+2000+500
        assert_eq!(Preset::PolarisGenerous.curve().total_xp(1), 50); // 70.5 → 50
        let lurkr = Preset::Lurkr.curve();
        assert_eq!(
            (
                lurkr.total_xp(0),
                lurkr.total_xp(1),
                lurkr.total_xp(2),
                lurkr.total_xp(10)
            ),
            (0, 100, 150, 4_150)
        );
        let arcane = Preset::ArcaneLinear.curve();
        for l in 0..50u32 {
            let sum: i64 = (0..i64::from(l)).map(|k| 100 * k + 75).sum();
            assert_eq!(arcane.total_xp(l), sum);
        }
        assert_eq!(Preset::Linear.curve().total_xp(7), 70_000);
    }

    #[test]
    fn every_preset_is_valid() {
        for p in [
            Preset::Polaris,
            Preset::PolarisGenerous,
            Preset::Lurkr,
            Preset::ArcaneLinear,
            Preset::Linear,
        ] {
            assert_eq!(p.curve().validate(), Ok(()), "{p:?}");
        }
    }

    #[test]
    fn invalid_curves_are_rejected() {
        let flat = Curve {
            a: 0.0,
            b: 0.0,
            c: 0.0,
            d: 5.0,
            round_to: 1,
        };
        assert!(flat.validate().is_err());
        let falling = Curve {
            a: -1.0,
            b: 1000.0,
            c: 0.0,
            d: 0.0,
            round_to: 1,
        };
        assert!(falling.validate().is_err());
        let coarse = Curve {
            a: 0.0,
            b: 0.0,
            c: 10.0,
            d: 0.0,
            round_to: 100,
        };
        let err = coarse.validate().unwrap_err();
        assert!(err.contains("rise with every level"), "{err}");
        let nan = Curve {
            a: f64::NAN,
            b: 0.0,
            c: 1.0,
            d: 0.0,
            round_to: 1,
        };
        assert!(nan.validate().is_err());
    }
}
