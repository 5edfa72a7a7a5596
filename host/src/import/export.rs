//! Questline's own export of a guild (members with counters, completed quests and
//! achievements; level roles; the guild's quests and configuration), shared by
//! `questline export` and `/export`; [`super::parse`] with `Format::Questline` reads it back
//! (members, level roles and settings).

use serde_json::{Value, json};

use crate::db::{Db, DbError};

/// The guild as a JSON value.
pub async fn export_guild(db: &Db, guild: u64) -> Result<Value, DbError> {
    let levels = db.export_guild_levels(guild).await?;
    let mut members = Vec::new();
    for m in levels {
        let user = m.user()?;
        let quests: Vec<Value> = db
            .get_user_active_quests(guild, user)
            .await?
            .into_iter()
            .filter_map(|q| {
                let p = q.progress?;
                p.completed.then(|| {
                    json!({
                        "id": q.quest.id,
                        "name": q.quest.name,
                        "reward_xp": q.quest.reward_xp,
                        "completed_at": p.completed_at,
                    })
                })
            })
            .collect();
        let achievements: Vec<Value> = db
            .get_user_achievements(guild, user)
            .await?
            .into_iter()
            .map(|(ua, a)| json!({ "id": a.id, "name": a.name, "reward_xp": a.reward_xp, "earned_at": ua.earned_at }))
            .collect();
        members.push(json!({
            "user": m.user_id,
            "xp": m.xp,
            "level": m.level,
            "messages": m.messages,
            "voice_time_seconds": m.voice_time_seconds,
            "total_messages": m.total_messages,
            "total_reactions": m.total_reactions,
            "commands_used": m.commands_used,
            "last_message_time": m.last_message_time,
            "hidden": m.hidden,
            "completed_quests": quests,
            "achievements": achievements,
        }));
    }
    let quests = db.get_guild_active_quests(guild, None).await?;
    let config = db.get_server_config(guild).await?;
    let roles: Vec<Value> = db
        .list_level_roles(guild)
        .await?
        .into_iter()
        .map(|r| json!({ "role_id": r.role_id, "level": r.level, "is_stacked": r.is_stacked }))
        .collect();
    Ok(json!({
        "format": crate::import::QUESTLINE_FORMAT_TAG,
        "version": 1,
        // Text, as the guild id always was in this format.
        "guild": guild.to_string(),
        "members": members,
        "roles": roles,
        "quests": quests,
        "config": config,
    }))
}
