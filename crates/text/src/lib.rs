//! How Questline writes quantities for people and reads what they type. A leaf crate: the
//! console, the slash commands, the card renderer and the configuration all show and parse
//! the same things, and none of them should import another for it.

use std::time::Duration;

/// At most `max` characters (not bytes, so never a cut through a character), the last one
/// replaced by `…` when `text` was longer.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The longest duration [`parse_duration`] accepts: ten years, so a clock advanced by it
/// stays far from chrono's limits.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 86_400);

/// A duration that is not `<number><unit>...` with units `d`, `h`, `m`, `s`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a duration: use numbers with d, h, m or s, such as 1d, 90m or 1h30m (at most 10 years)"
)]
pub struct DurationError(pub String);

/// Parses `1d`, `90m`, `1h30m`, `45s` (more than zero, at most [`MAX_DURATION`]).
pub fn parse_duration(spec: &str) -> Result<Duration, DurationError> {
    let bad = || DurationError(spec.to_owned());
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in spec.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 || total > MAX_DURATION.as_secs() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// A text progress bar of `width` cells: `[████░░░░]`.
pub fn bar(value: i64, max: i64, width: usize) -> String {
    let filled = if max <= 0 {
        width
    } else {
        usize::try_from((value.clamp(0, max) as i128 * width as i128 / max as i128) as i64)
            .unwrap_or(0)
    };
    format!(
        "[{}{}]",
        "█".repeat(filled.min(width)),
        "░".repeat(width - filled.min(width))
    )
}

/// Time left, to the minute: `3d 4h left`, `5h 10m left`, `12m left`.
pub fn time_left(d: chrono::Duration) -> String {
    let mins = d.num_minutes();
    let (days, hours, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    if days > 0 {
        format!("{days}d {hours}h left")
    } else if hours > 0 {
        format!("{hours}h {m}m left")
    } else {
        format!("{m}m left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate_chars("héllo", 5), "héllo");
        assert_eq!(truncate_chars("héllo wörld", 6), "héllo…");
        assert_eq!(truncate_chars("abc", 0), "…");
    }

    #[test]
    fn durations_as_people_type_them() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("2D"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "10", "1y", "0m", "3651d", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad), Err(DurationError(bad.into())), "{bad}");
        }
    }

    #[test]
    fn bars_and_time_left() {
        assert_eq!(bar(5, 10, 4), "[██░░]");
        assert_eq!(bar(50, 10, 4), "[████]");
        assert_eq!(bar(-3, 10, 4), "[░░░░]");
        assert_eq!(bar(1, 0, 2), "[██]");
        assert_eq!(
            time_left(chrono::Duration::minutes(3 * 1440 + 250)),
            "3d 4h left"
        );
        assert_eq!(time_left(chrono::Duration::minutes(70)), "1h 10m left");
        assert_eq!(time_left(chrono::Duration::minutes(12)), "12m left");
    }
}
