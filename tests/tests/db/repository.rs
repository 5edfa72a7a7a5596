//! The repository functions, on both backends.

use questline_tests::both_backends;

use crate::support::{G, SqrtCurve};
use questline::db::{
    AchievementAward, ActivityBatch, ActivityCounter, CardSettings, DbError, LevelRecord,
    MemberDelta, NewAuditEntry, NewQuest, PluginSettings, QuestProgressUpdate, ServerSetting,
};

fn quest(quest_type: &str, requirement: i64, reward: i64) -> NewQuest {
    NewQuest {
        guild_id: G,
        name: format!("{quest_type} chat"),
        description: "Send messages".into(),
        quest_type: quest_type.into(),
        requirement_type: "total_messages".into(),
        requirement_value: requirement,
        reward_xp: reward,
        reward_multiplier: None,
        difficulty: None,
        refresh_cycle: None,
        created_at: at(),
    }
}

/// A fixed time: the repository stores the caller's timestamps, never the wall clock.
fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
        .expect("time")
        .to_utc()
}

both_backends! {
    async fn award_xp_levels_and_clamps_at_zero(t) {
        let db = t.open().await;
        assert_eq!(db.get_user_level(G, 1).await.unwrap(), None);
        let out = db.award_xp(G, 1, 450, &SqrtCurve).await.unwrap();
        assert_eq!((out.old_xp, out.new_xp, out.old_level, out.new_level), (0, 450, 0, 2));
        assert!(out.leveled_up());
        let out = db.award_xp(G, 1, -1_000, &SqrtCurve).await.unwrap();
        assert_eq!((out.old_xp, out.new_xp, out.old_level, out.new_level), (450, 0, 2, 0));
        assert_eq!(
            db.update_activity_counter(G, 1, ActivityCounter::VoiceTimeSeconds, 3_000_000_000).await.unwrap(),
            3_000_000_000,
            "counters are 64-bit"
        );
        assert_eq!(db.update_activity_counter(G, 1, ActivityCounter::CommandsUsed, 2).await.unwrap(), 2);
        let row = db.get_user_level(G, 1).await.unwrap().unwrap();
        assert_eq!((row.xp, row.level, row.voice_time_seconds, row.commands_used), (0, 0, 3_000_000_000, 2));
        assert!(ActivityCounter::parse("bogus").is_err());
    }
}

both_backends! {
    async fn leaderboard_ranks_and_hidden_members(t) {
        let db = t.open().await;
        for (user, xp) in [(1, 500), (2, 900), (3, 500), (4, 100), (5, 2_000)] {
            db.award_xp(G, user, xp, &SqrtCurve).await.unwrap();
        }
        db.award_xp(2, 26, 99_999, &SqrtCurve).await.unwrap();
        db.set_member_hidden(G, 5, true).await.unwrap();

        let page = db.leaderboard_page(G, 0, 3).await.unwrap();
        let got: Vec<(i64, &str, i64)> = page.iter().map(|e| (e.rank, e.user_id.as_str(), e.xp)).collect();
        assert_eq!(got, vec![(1, "2", 900), (2, "1", 500), (2, "3", 500)]);
        let page = db.leaderboard_page(G, 1, 3).await.unwrap();
        assert_eq!(page.iter().map(|e| (e.rank, e.user_id.as_str())).collect::<Vec<_>>(), vec![(4, "4")]);

        let rank = db.member_rank(G, 3).await.unwrap().unwrap();
        assert_eq!((rank.rank, rank.total, rank.xp), (2, 4, 500));
        assert_eq!(db.member_rank(G, 5).await.unwrap(), None, "hidden members have no public rank");
        assert_eq!(db.member_rank(G, 99).await.unwrap(), None);
        db.set_member_hidden(G, 5, false).await.unwrap();
        assert_eq!(db.member_rank(G, 5).await.unwrap().unwrap().rank, 1);
        assert!(db.leaderboard_page(G, 0, 0).await.is_err());
    }
}

both_backends! {
    async fn export_import_round_trip_is_atomic(t) {
        let db = t.open().await;
        db.award_xp(G, 1, 300, &SqrtCurve).await.unwrap();
        db.update_activity_counter(G, 1, ActivityCounter::TotalMessages, 12).await.unwrap();
        db.award_xp(G, 2, 50, &SqrtCurve).await.unwrap();
        db.set_member_hidden(G, 2, true).await.unwrap();
        let exported = db.export_guild_levels(G).await.unwrap();
        assert_eq!(exported.len(), 2);

        assert_eq!(db.import_guild_levels(2, &exported).await.unwrap(), 2);
        assert_eq!(db.export_guild_levels(2).await.unwrap(), exported);

        // A bad record rejects the whole import.
        let mut bad = exported.clone();
        bad.push(LevelRecord { user_id: "3".into(), xp: -5, level: 0, messages: 0, voice_time_seconds: 0,
            total_messages: 0, total_reactions: 0, commands_used: 0, last_message_time: None, hidden: false, carried_xp: 0 });
        bad[0].xp = 1;
        assert!(db.import_guild_levels(2, &bad).await.is_err());
        assert_eq!(db.export_guild_levels(2).await.unwrap(), exported, "nothing changed");

        // Import replaces existing values (and the cache sees it).
        assert_eq!(db.get_user_level(2, 1).await.unwrap().unwrap().xp, 300);
        let mut changed = exported.clone();
        changed[0].xp = 7;
        db.import_guild_levels(2, &changed).await.unwrap();
        assert_eq!(db.get_user_level(2, 1).await.unwrap().unwrap().xp, 7);
    }
}

both_backends! {
    async fn quests_progress_rewards_and_reset(t) {
        let db = t.open().await;
        let daily = db.create_quest(quest("daily", 10, 100)).await.unwrap();
        assert_eq!((daily.refresh_cycle.as_str(), daily.difficulty.as_str(), daily.active), ("daily", "medium", true));
        let special = db.create_quest(quest("special", 5, 40)).await.unwrap();
        assert_eq!(special.refresh_cycle, "once");
        assert_eq!(db.get_quest(daily.id).await.unwrap().unwrap(), daily);
        assert_eq!(db.get_quest(987_654).await.unwrap(), None);
        assert_eq!(db.get_guild_active_quests(G, None).await.unwrap().len(), 2);
        assert_eq!(db.get_guild_active_quests(G, Some("daily")).await.unwrap(), vec![daily.clone()]);

        let view = db.get_user_active_quests(G, 1).await.unwrap();
        assert_eq!(view.len(), 2);
        assert!(view.iter().all(|q| q.progress.is_none()));

        let update = QuestProgressUpdate {
            guild_id: G, user_id: 1, quest_id: daily.id,
            progress: Some(4), quest_specific_progress: Some(4), expires_at: None, complete: false, at: at(),
        };
        assert_eq!(db.upsert_quest_progress(&update, &SqrtCurve).await.unwrap(), None);
        let view = db.get_user_active_quests(G, 1).await.unwrap();
        let p = view.iter().find(|q| q.quest.id == daily.id).unwrap().progress.clone().unwrap();
        assert_eq!((p.progress, p.completed), (4, false));

        let done = db.award_quest_rewards(G, 1, daily.id, at() + chrono::Duration::hours(1), &SqrtCurve).await.unwrap().unwrap();
        assert_eq!((done.reward_xp, done.xp.new_xp, done.xp.new_level), (100, 100, 1));
        assert_eq!(db.award_quest_rewards(G, 1, daily.id, at() + chrono::Duration::hours(2), &SqrtCurve).await.unwrap(), None, "rewarded once");
        assert_eq!(db.get_user_level(G, 1).await.unwrap().unwrap().xp, 100);
        let view = db.get_user_active_quests(G, 1).await.unwrap();
        let p = view.iter().find(|q| q.quest.id == daily.id).unwrap().progress.clone().unwrap();
        assert!(p.completed);
        assert_eq!(p.completed_at, Some(at() + chrono::Duration::hours(1)), "the caller's time, kept on a replay");
        assert_eq!(db.get_quest(daily.id).await.unwrap().unwrap().created_at, at());
        assert_eq!(p.progress, 4, "completion keeps progress");

        assert!(matches!(db.award_quest_rewards(3, 1, daily.id, at(), &SqrtCurve).await, Err(DbError::NotFound { .. })));
        assert!(matches!(db.mark_quests_inactive(G, Some("hourly")).await, Err(DbError::Invalid { .. })));
        assert_eq!(db.mark_quests_inactive(G, Some("daily")).await.unwrap(), 1);
        assert_eq!(db.get_guild_active_quests(G, None).await.unwrap(), vec![special.clone()]);
        assert!(!db.get_quest(daily.id).await.unwrap().unwrap().active);
        assert_eq!(db.get_user_active_quests(G, 1).await.unwrap().len(), 1);
        // A reset creates a new instance: fresh progress, the old row stays attached to the old one.
        let next = db.create_quest(quest("daily", 10, 100)).await.unwrap();
        assert_ne!(next.id, daily.id);
        let view = db.get_user_active_quests(G, 1).await.unwrap();
        assert!(view.iter().find(|q| q.quest.id == next.id).unwrap().progress.is_none());

        let mut bad = quest("daily", 1, 1);
        bad.difficulty = Some("nightmare".into());
        assert!(matches!(db.create_quest(bad).await, Err(DbError::Invalid { field: "difficulty", .. })));
        let mut plugin = quest("challenge", 1, 1);
        plugin.requirement_type = "plugin:emoji_hunter".into();
        assert!(db.create_quest(plugin).await.is_ok());
    }
}

both_backends! {
    async fn server_config_defaults_updates_and_channels(t) {
        let db = t.open().await;
        let c = db.get_server_config(G).await.unwrap();
        assert_eq!((c.xp_rate, c.quest_reset_hour, c.level_up_channel.clone()), (1.0, 0, None));
        db.update_server_config(G, ServerSetting::LevelUpChannel(Some("555".into()))).await.unwrap();
        db.update_server_config(G, ServerSetting::parse("quest_channel", "777").unwrap()).await.unwrap();
        db.update_server_config(G, ServerSetting::QuestResetHour(6)).await.unwrap();
        db.update_server_config(G, ServerSetting::parse("quest_reset_day", "3").unwrap()).await.unwrap();
        let cooldowns = serde_json::json!({"message": 60, "reaction": 30});
        let c = db.update_server_config(G, ServerSetting::Cooldowns(Some(cooldowns.clone()))).await.unwrap();
        assert_eq!(c.cooldowns, Some(cooldowns.clone()));
        assert_eq!(db.get_level_up_channel(G).await.unwrap().as_deref(), Some("555"));
        assert_eq!(db.get_quest_channel(G).await.unwrap().as_deref(), Some("777"));
        let reset = db.get_quest_reset_settings(G).await.unwrap();
        assert_eq!((reset.quest_reset_hour, reset.quest_reset_day), (6, 3));
        assert_eq!(db.get_server_config(G).await.unwrap().cooldowns, Some(cooldowns));

        let err = db.update_server_config(G, ServerSetting::QuestResetHour(24)).await.unwrap_err();
        assert!(err.to_string().contains("0..=23"), "{err}");
        assert!(ServerSetting::parse("xp_rate", "fast").is_err());
        assert!(ServerSetting::parse("colour", "red").is_err());
        assert_eq!(db.get_server_config(G).await.unwrap().quest_reset_hour, 6);
    }
}

both_backends! {
    async fn cards_and_level_roles(t) {
        let db = t.open().await;
        assert_eq!(db.get_card_settings(G, 1).await.unwrap(), None);
        let card = CardSettings { primary_color: Some("#5865F2".into()), card_style: Some("neon".into()), ..Default::default() };
        db.set_card_settings(G, 1, &card).await.unwrap();
        assert_eq!(db.get_card_settings(G, 1).await.unwrap(), Some(card.clone()));
        let card2 = CardSettings { text_color: Some("ffffff".into()), ..card.clone() };
        db.set_card_settings(G, 1, &card2).await.unwrap();
        assert_eq!(db.get_card_settings(G, 1).await.unwrap(), Some(card2));
        let bad = CardSettings { border_color: Some("blue".into()), ..Default::default() };
        assert!(matches!(db.set_card_settings(G, 1, &bad).await, Err(DbError::Invalid { field: "border_color", .. })));
        assert!(db.reset_card_settings(G, 1).await.unwrap());
        assert!(!db.reset_card_settings(G, 1).await.unwrap());

        db.add_level_role(G, 10, 10, true).await.unwrap();
        db.add_level_role(G, 5, 5, false).await.unwrap();
        db.add_level_role(G, 10, 12, false).await.unwrap();
        let roles: Vec<(String, i32, bool)> = db.list_level_roles(G).await.unwrap().into_iter().map(|r| (r.role_id, r.level, r.is_stacked)).collect();
        assert_eq!(roles, vec![("5".into(), 5, false), ("10".into(), 12, false)]);
        assert!(db.remove_level_role(G, 5).await.unwrap());
        assert!(!db.remove_level_role(G, 5).await.unwrap());
        assert_eq!(db.list_level_roles(G).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn plugin_kv_limits_settings_and_audit(t) {
        let db = t.open_with(|c| c.kv_max_keys = 3).await;
        db.kv_set(G, "quests", "a", b"1").await.unwrap();
        assert_eq!(db.kv_get(G, "quests", "a").await.unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(db.kv_get(G, "other", "a").await.unwrap(), None, "plugins are isolated");
        let max_value = vec![7u8; 64 * 1024];
        db.kv_set(G, "quests", &"k".repeat(128), &max_value).await.expect("limits are inclusive");
        assert_eq!(db.kv_get(G, "quests", &"k".repeat(128)).await.unwrap().unwrap().len(), 64 * 1024);
        assert!(matches!(db.kv_set(G, "quests", &"k".repeat(129), b"").await, Err(DbError::KvKeyTooLong { len: 129, max: 128 })));
        assert!(matches!(db.kv_set(G, "quests", "b", &vec![0u8; 64 * 1024 + 1]).await, Err(DbError::KvValueTooLarge { .. })));
        db.kv_set(G, "quests", "c", b"3").await.unwrap();
        let err = db.kv_set(G, "quests", "d", b"4").await.unwrap_err();
        assert!(matches!(err, DbError::KvQuotaExceeded { max: 3, .. }), "{err:?}");
        assert!(err.to_string().contains("delete keys"), "{err}");
        db.kv_set(G, "quests", "a", b"overwrite at quota is fine").await.unwrap();
        db.kv_set(G, "other", "d", b"other plugin has its own quota").await.unwrap();
        assert_eq!(db.kv_list_keys(G, "quests", "").await.unwrap().len(), 3);
        assert_eq!(db.kv_list_keys(G, "quests", "k").await.unwrap().len(), 1);
        assert!(db.kv_delete(G, "quests", "a").await.unwrap());
        assert!(!db.kv_delete(G, "quests", "a").await.unwrap());
        db.kv_set(G, "quests", "d", b"4").await.expect("room again after delete");

        assert_eq!(db.get_plugin_settings(G, "quests").await.unwrap(), None);
        let s = PluginSettings { enabled: false, config: serde_json::json!({"daily": 3}) };
        db.set_plugin_settings(G, "quests", &s).await.unwrap();
        assert_eq!(db.get_plugin_settings(G, "quests").await.unwrap(), Some(s));

        for (delta, reason) in [(100, "event prize"), (-50, "spam")] {
            db.append_audit(&NewAuditEntry { guild_id: G, actor_id: "mod".into(), target_id: 1, delta, reason: reason.into(), created_at: at() }).await.unwrap();
        }
        let log = db.list_audit(G, 10, None).await.unwrap();
        assert_eq!(log.iter().map(|e| (e.delta, e.reason.as_str())).collect::<Vec<_>>(), vec![(-50, "spam"), (100, "event prize")]);
        assert_eq!(db.list_audit(G, 10, Some(log[0].id)).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn batch_applies_everything_in_one_transaction(t) {
        let db = t.open().await;
        let q = db.create_quest(quest("daily", 3, 100)).await.unwrap();
        let a = db.create_achievement(G, "Chatty", "", "messages", 3, 50, at()).await.unwrap();
        let now = chrono::Utc::now();
        let batch = ActivityBatch {
            members: vec![
                MemberDelta { xp: 20, messages: 1, total_messages: 1, last_message_time: Some(now), ..MemberDelta::new(G, 2) },
                MemberDelta { xp: 15, messages: 1, total_messages: 1, ..MemberDelta::new(G, 1) },
                MemberDelta { xp: 15, messages: 2, total_messages: 2, total_reactions: 4, ..MemberDelta::new(G, 1) },
            ],
            quest_progress: vec![QuestProgressUpdate { guild_id: G, user_id: 1, quest_id: q.id, progress: Some(3), quest_specific_progress: Some(3), expires_at: None, complete: true, at: at() + chrono::Duration::minutes(3) }],
            achievements: vec![
                AchievementAward { guild_id: G, user_id: 1, achievement_id: a.id, at: at() + chrono::Duration::minutes(4) },
                AchievementAward { guild_id: G, user_id: 1, achievement_id: a.id, at: at() + chrono::Duration::minutes(5) },
            ],
            audit: vec![NewAuditEntry { guild_id: G, actor_id: "system:batch".into(), target_id: 1, delta: 0, reason: "test".into(), created_at: at() }],
            at: Some(at()),
        };
        let out = db.apply_batch(batch, &SqrtCurve).await.unwrap();
        assert_eq!(out.members.len(), 2, "duplicates merged");
        assert_eq!(out.members[0].0, G);
        assert_eq!((out.members[0].1, out.members[0].2.new_xp), (1, 30));
        assert_eq!(out.completed_quests.len(), 1);
        assert_eq!(out.completed_quests[0].xp.new_xp, 130);
        assert_eq!(out.granted_achievements.len(), 1, "granted once");
        assert_eq!(out.granted_achievements[0].xp.new_xp, 180);
        let m1 = db.get_user_level(G, 1).await.unwrap().unwrap();
        assert_eq!((m1.xp, m1.level, m1.messages, m1.total_messages, m1.total_reactions), (180, 1, 3, 3, 4));
        let m2 = db.get_user_level(G, 2).await.unwrap().unwrap();
        assert_eq!(m2.xp, 20);
        // Activity and rewards count in the week of the batch's activity.
        let week = db.period_board(G, &questline::db::seasons::week_key(at()), 0, 10).await.unwrap();
        let week: Vec<(&str, i64)> = week.iter().map(|r| (r.user_id.as_str(), r.xp)).collect();
        assert_eq!(week, vec![("1", 180), ("2", 20)]);
        assert_eq!(m2.last_message_time.map(|t| t.timestamp()), Some(now.timestamp()));
        assert_eq!(db.list_audit(G, 10, None).await.unwrap().len(), 1);
        assert_eq!(db.list_audit(G, 10, None).await.unwrap()[0].created_at, at());
        let earned = db.get_user_achievements(G, 1).await.unwrap();
        assert_eq!(earned.iter().map(|(ua, _)| ua.earned_at).collect::<Vec<_>>(), vec![at() + chrono::Duration::minutes(4)]);
        let view = db.get_user_active_quests(G, 1).await.unwrap();
        assert_eq!(view[0].progress.as_ref().unwrap().completed_at, Some(at() + chrono::Duration::minutes(3)));

        // A batch with one bad member changes nothing at all.
        let bad = ActivityBatch {
            members: vec![
                MemberDelta { xp: 1_000, ..MemberDelta::new(G, 2) },
                MemberDelta { messages: -100, ..MemberDelta::new(G, 3) },
            ],
            audit: vec![NewAuditEntry { guild_id: G, actor_id: "system:batch".into(), target_id: 2, delta: 1_000, reason: "x".into(), created_at: at() }],
            ..Default::default()
        };
        let err = db.apply_batch(bad, &SqrtCurve).await.unwrap_err();
        assert!(matches!(err, DbError::Constraint { .. }), "{err:?}");
        assert_eq!(db.get_user_level(G, 2).await.unwrap().unwrap().xp, 20);
        assert_eq!(db.get_user_level(G, 3).await.unwrap(), None);
        assert_eq!(db.list_audit(G, 10, None).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn deactivate_quests_ends_exactly_the_given_quests(t) {
        let db = t.open().await;
        let a = db.create_quest(quest("daily", 3, 10)).await.unwrap();
        let b = db.create_quest(quest("daily", 5, 20)).await.unwrap();
        let c = db.create_quest(NewQuest { refresh_cycle: Some("weekly".into()), ..quest("daily", 7, 30) }).await.unwrap();
        let other = db.create_quest(NewQuest { guild_id: 999, ..quest("daily", 1, 1) }).await.unwrap();
        assert_eq!(db.deactivate_quests(G, &[]).await.unwrap(), 0);
        // Another guild's id is ignored; only a and b end, not c of the same quest_type.
        assert_eq!(db.deactivate_quests(G, &[a.id, b.id, other.id]).await.unwrap(), 2);
        assert_eq!(db.get_guild_active_quests(G, None).await.unwrap(), vec![c.clone()]);
        assert!(db.get_quest(other.id).await.unwrap().unwrap().active);
        assert_eq!(db.get_guild_active_quests(999, None).await.unwrap().len(), 1);
        // Already inactive: nothing to do.
        assert_eq!(db.deactivate_quests(G, &[a.id]).await.unwrap(), 0);
    }
}

both_backends! {
    async fn deleting_an_achievement_removes_members_records_of_it(t) {
        let db = t.open().await;
        let other_guild = 9999;
        let gone = db.create_achievement(G, "Gone", "", "messages", 1, 10, at()).await.unwrap();
        let kept = db.create_achievement(G, "Kept", "", "messages", 1, 10, at()).await.unwrap();
        let elsewhere = db.create_achievement(other_guild, "Elsewhere", "", "messages", 1, 10, at()).await.unwrap();
        for user in [1, 2] {
            db.grant_achievement(G, user, gone.id, at(), &SqrtCurve).await.unwrap().expect("granted");
            db.grant_achievement(G, user, kept.id, at(), &SqrtCurve).await.unwrap().expect("granted");
        }
        db.grant_achievement(other_guild, 1, elsewhere.id, at(), &SqrtCurve).await.unwrap().expect("granted");

        // Another guild cannot delete it, and an unknown id is reported as such.
        assert_eq!(db.delete_achievement(other_guild, gone.id).await.unwrap(), None);
        assert_eq!(db.delete_achievement(G, elsewhere.id).await.unwrap(), None);
        assert_eq!(db.delete_achievement(G, 987_654).await.unwrap(), None);

        assert_eq!(db.delete_achievement(G, gone.id).await.unwrap(), Some(2));
        let names: Vec<String> = db.list_achievements(G).await.unwrap().into_iter().map(|a| a.name).collect();
        assert_eq!(names, vec!["Kept".to_string()]);
        for user in [1, 2] {
            let earned: Vec<i64> = db.get_user_achievements(G, user).await.unwrap().into_iter().map(|(ua, _)| ua.achievement_id).collect();
            assert_eq!(earned, vec![kept.id], "member {user}");
            // The XP the rewards gave is kept.
            assert_eq!(db.get_user_level(G, user).await.unwrap().unwrap().xp, 20);
        }
        let ids = db.earned_achievement_ids(G, &[1, 2]).await.unwrap();
        assert!(ids.values().all(|v| !v.contains(&gone.id)), "{ids:?}");
        assert_eq!(db.get_user_achievements(other_guild, 1).await.unwrap().len(), 1);
        // Deleting again finds nothing.
        assert_eq!(db.delete_achievement(G, gone.id).await.unwrap(), None);
    }
}
