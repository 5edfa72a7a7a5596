//! Polaris: `{ "users": { "<id>": { "xp": N, "cooldown"?, "hidden"? } }, "settings": {...} }`,
//! or a bare object of users. `hidden` carries over (Polaris' leaderboard opt-out);
//! `settings` is Polaris' own and not imported.

use serde_json::Value;

use super::values::{count, snowflake};
use super::{Format, ImportError, ImportPlan};
use crate::db::ImportedMember;

pub(crate) fn parse(value: &Value, plan: &mut ImportPlan) -> Result<(), ImportError> {
    let Value::Object(top) = value else {
        return Err(ImportError::Shape {
            format: Format::Polaris,
            reason: "expected an object with `users` (or an object of users by id)".into(),
        });
    };
    let users = match top.get("users") {
        Some(Value::Object(users)) => users,
        Some(_) => {
            return Err(ImportError::Shape {
                format: Format::Polaris,
                reason: "`users` is not an object of users by id".into(),
            });
        }
        None => top,
    };
    if top.contains_key("settings") {
        plan.notes.push(
            "Polaris `settings` are not imported: configure the guild with Questline's settings"
                .into(),
        );
    }
    for (id, user) in users {
        let row = format!("users.{id:?}");
        let result = (|| {
            let user_id = snowflake(Some(&Value::String(id.clone())), "user id")?;
            let (xp, hidden) = match user {
                Value::Object(u) => (
                    count(u.get("xp"), "xp")?,
                    u.get("hidden").and_then(Value::as_bool),
                ),
                other => (count(Some(other), "xp")?, None),
            };
            Ok::<_, String>(ImportedMember {
                user_id,
                xp,
                counters: None,
                last_message_time: None,
                hidden,
            })
        })();
        match result {
            Ok(m) => plan.members.push(m),
            Err(reason) => plan.skip(row, reason),
        }
    }
    Ok(())
}
