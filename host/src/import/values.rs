//! Lenient readers for the values real exports contain: ids and numbers as strings or
//! numbers, floats that are whole, and so on. Each returns the reason when it cannot.

use serde_json::Value;

/// A Discord snowflake: digits, given as a string or a number; parsed here, at the edge,
/// because the database API takes ids as numbers.
pub(crate) fn snowflake(v: Option<&Value>, what: &str) -> Result<u64, String> {
    let text = match v {
        None | Some(Value::Null) => return Err(format!("no {what}")),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(u) => return Ok(u),
            None => return Err(format!("{what} {n} is not a Discord id")),
        },
        Some(other) => return Err(format!("{what} {other} is not a Discord id")),
    };
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} `{text}` is not a Discord id (digits only)"));
    }
    text.parse()
        .map_err(|_| format!("{what} `{text}` is not a Discord id (too large)"))
}

/// A whole number ≥ 0: an integer, a whole float, or a string of either.
pub(crate) fn count(v: Option<&Value>, what: &str) -> Result<i64, String> {
    let n = match v {
        None | Some(Value::Null) => return Err(format!("no {what}")),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                i
            } else if let Some(f) = n.as_f64() {
                whole(f, what)?
            } else {
                return Err(format!("{what} {n} is too large"));
            }
        }
        Some(Value::String(s)) => {
            let s = s.trim().replace('_', "");
            match s.parse::<i64>() {
                Ok(i) => i,
                Err(_) => match s.parse::<f64>() {
                    Ok(f) => whole(f, what)?,
                    Err(_) => return Err(format!("{what} `{s}` is not a number")),
                },
            }
        }
        Some(Value::Bool(_) | Value::Array(_) | Value::Object(_)) => {
            return Err(format!("{what} is not a number"));
        }
    };
    if n < 0 {
        return Err(format!("{what} is negative ({n})"));
    }
    Ok(n)
}

/// A count when present, 0 when absent, the reason when it is there but wrong.
pub(crate) fn optional_count(v: Option<&Value>, what: &str) -> Result<Option<i64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        some => count(some, what).map(Some),
    }
}

fn whole(f: f64, what: &str) -> Result<i64, String> {
    if !f.is_finite() || f.fract() != 0.0 || f.abs() > 9.0e15 {
        return Err(format!("{what} {f} is not a whole number"));
    }
    Ok(f as i64)
}

/// A level (`rank` in MEE6's role rewards): 0..=1000.
pub(crate) fn level(v: Option<&Value>, what: &str) -> Result<i32, String> {
    let n = count(v, what)?;
    if n > i64::from(crate::engine::curve::MAX_LEVEL) {
        return Err(format!(
            "{what} {n} is above the highest level ({})",
            crate::engine::curve::MAX_LEVEL
        ));
    }
    Ok(n as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_ids_in_every_shape() {
        assert_eq!(count(Some(&json!(5)), "xp"), Ok(5));
        assert_eq!(count(Some(&json!("12")), "xp"), Ok(12));
        assert_eq!(count(Some(&json!(7.0)), "xp"), Ok(7));
        assert_eq!(count(Some(&json!(" 1_000 ")), "xp"), Ok(1000));
        assert!(count(Some(&json!(7.5)), "xp").is_err());
        assert!(
            count(Some(&json!(-1)), "xp")
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            count(Some(&json!("lots")), "xp")
                .unwrap_err()
                .contains("`lots`")
        );
        assert!(count(None, "xp").unwrap_err().contains("no xp"));
        assert_eq!(snowflake(Some(&json!(123)), "id"), Ok(123));
        assert_eq!(snowflake(Some(&json!("  456 ")), "id"), Ok(456));
        assert!(snowflake(Some(&json!("18446744073709551616")), "id").is_err());
        assert!(snowflake(Some(&json!("abc")), "id").is_err());
        assert!(snowflake(Some(&json!(-5)), "id").is_err());
        assert!(level(Some(&json!(1001)), "rank").is_err());
    }
}
