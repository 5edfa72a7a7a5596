//! Experienced: a JSON list of `{ "id": "<user id>", "xp": N }`.

use serde_json::Value;

use super::values::{count, snowflake};
use super::{Format, ImportError, ImportPlan};
use crate::db::ImportedMember;

pub(crate) fn parse(value: &Value, plan: &mut ImportPlan) -> Result<(), ImportError> {
    let Value::Array(rows) = value else {
        return Err(ImportError::Shape {
            format: Format::Experienced,
            reason: "expected a list of {\"id\": ..., \"xp\": ...}".into(),
        });
    };
    for (i, r) in rows.iter().enumerate() {
        let result = (|| {
            if !r.is_object() {
                return Err("is not an object".to_string());
            }
            Ok(ImportedMember {
                user_id: snowflake(r.get("id").or_else(|| r.get("user_id")), "id")?,
                xp: count(r.get("xp"), "xp")?,
                counters: None,
                last_message_time: None,
                hidden: None,
            })
        })();
        match result {
            Ok(m) => plan.members.push(m),
            Err(reason) => plan.skip(format!("[{i}]"), reason),
        }
    }
    Ok(())
}
