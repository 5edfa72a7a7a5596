//! XP and levels through the whole pipeline with the real `mee6-xp` plugin: per-message
//! bounds, the cooldown, levels against the MEE6 table, multi-level jumps, replays, role
//! rewards.

use crate::support::*;
use chrono::Duration;
use questline::db::ServerSetting;
use questline::engine::Effect;

both_backends! {
    async fn message_xp_is_15_to_25_and_levels_follow_the_mee6_table(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let mut total = 0;
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..40 {
            h.batch(vec![msg(7, 1000 + i, start + Duration::seconds(61 * i as i64))]).await;
            let xp = h.xp(7).await;
            let gained = xp - total;
            assert!((15..=25).contains(&gained), "message {i} gave {gained} XP");
            seen.insert(gained);
            total = xp;
        }
        assert!(seen.len() > 3, "XP rolls vary: {seen:?}");
        let row = h.db.get_user_level(GUILD, 7).await.expect("row").expect("exists");
        assert_eq!(i64::from(row.level), mee6_level(row.xp), "level {} for {} XP", row.level, row.xp);
        assert_eq!(row.messages, 40);
        assert_eq!(row.total_messages, 40);
        assert_eq!(row.last_message_time, Some(start + Duration::seconds(61 * 39)));
        let level_ups: Vec<(u32, u32)> = h
            .effects()
            .into_iter()
            .filter_map(|e| match e {
                Effect::LevelUp { old_level, new_level, .. } => Some((old_level, new_level)),
                _ => None,
            })
            .collect();
        assert_eq!(level_ups.last().map(|l| i64::from(l.1)), Some(mee6_level(row.xp)));
        assert!(level_ups.windows(2).all(|w| w[0].1 == w[1].0), "level-ups chain: {level_ups:?}");
    }
}

both_backends! {
    async fn the_cooldown_blocks_messages_within_60_seconds(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        h.batch(vec![msg(7, 1, start)]).await;
        let first = h.xp(7).await;
        assert!((15..=25).contains(&first));
        // 30 s later: counted, but no XP. In the same batch as one 59 s later: neither earns.
        h.batch(vec![msg(7, 2, start + Duration::seconds(30)), msg(7, 3, start + Duration::seconds(59))]).await;
        assert_eq!(h.xp(7).await, first);
        // 60 s after the last *award*: earns again; a second one in the same batch 10 s later
        // does not, but one 61 s after that does (the chain is resolved within the batch).
        h.batch(vec![
            msg(7, 4, start + Duration::seconds(60)),
            msg(7, 5, start + Duration::seconds(70)),
            msg(7, 6, start + Duration::seconds(121)),
        ])
        .await;
        let gained = h.xp(7).await - first;
        assert!((30..=50).contains(&gained), "two awards expected, got {gained} XP");
        let row = h.db.get_user_level(GUILD, 7).await.expect("row").expect("exists");
        assert_eq!(row.total_messages, 6);
        assert_eq!(row.messages, 3, "messages that earned XP");
        assert_eq!(row.last_message_time, Some(start + Duration::seconds(121)));
    }
}

both_backends! {
    async fn a_big_award_jumps_several_levels_once_and_grants_roles(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        h.db.update_server_config(GUILD, ServerSetting::XpRate(1000.0)).await.expect("rate");
        h.db.update_server_config(GUILD, ServerSetting::LevelUpMessage(Some("{user.name} is now {level} in {guild}".into()))).await.expect("msg");
        h.db.update_server_config(GUILD, ServerSetting::LevelUpChannel(Some("555".into()))).await.expect("channel");
        // Level 1 stacked, 2 and 5 not stacked, 1000 unreachable.
        h.db.add_level_role(GUILD, 901, 1, true).await.expect("role");
        h.db.add_level_role(GUILD, 902, 2, false).await.expect("role");
        h.db.add_level_role(GUILD, 905, 5, false).await.expect("role");
        h.db.add_level_role(GUILD, 999, 1000, false).await.expect("role");
        let mut a = msg(7, 1, start).named("alice");
        a.guild_name = Some("Testers".into());
        h.batch(vec![a]).await;
        let xp = h.xp(7).await;
        assert!((15_000..=25_000).contains(&xp), "xp_rate applies: {xp}");
        let level = mee6_level(xp);
        assert!(level >= 14, "{xp} XP is level {level}");
        let effects = h.effects();
        let ups: Vec<&Effect> = effects.iter().filter(|e| matches!(e, Effect::LevelUp { .. })).collect();
        assert_eq!(ups.len(), 1, "one announcement for a multi-level jump: {effects:?}");
        match ups[0] {
            Effect::LevelUp { old_level, new_level, channel, message, .. } => {
                assert_eq!(*old_level, 0);
                assert_eq!(i64::from(*new_level), level);
                assert_eq!(*channel, 555);
                assert_eq!(message, &format!("alice is now {level} in Testers"));
            }
            _ => unreachable!(),
        }
        let mut added: Vec<u64> = effects.iter().filter_map(|e| match e { Effect::RoleAdd { role, .. } => Some(*role), _ => None }).collect();
        added.sort_unstable();
        // The stacked level-1 role and the highest reward; the level-2 role was replaced.
        assert_eq!(added, vec![901, 905]);
        assert!(!effects.iter().any(|e| matches!(e, Effect::RoleRemove { .. })));
    }
}

both_backends! {
    async fn replayed_messages_count_once(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let report = h.batch(vec![msg(7, 1, start), msg(7, 1, start), msg(8, 2, start)]).await;
        assert_eq!(report.deduplicated, 1);
        h.batch(vec![msg(7, 1, start + Duration::seconds(120))]).await;
        let row = h.db.get_user_level(GUILD, 7).await.expect("row").expect("exists");
        assert_eq!(row.total_messages, 1);
        assert!((15..=25).contains(&row.xp));
    }
}

both_backends! {
    async fn reactions_voice_and_commands_update_their_counters(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        use questline::engine::{Activity, ActivityKind, VoiceChange};
        let a = |user, secs: i64, kind| Activity::new(GUILD, 20, user, start + Duration::seconds(secs), kind);
        h.batch(vec![
            a(7, 0, ActivityKind::Reaction { message: 1, emoji: "👍".into() }),
            a(7, 0, ActivityKind::Reaction { message: 1, emoji: "👍".into() }),
            a(7, 1, ActivityKind::Command { name: "rank".into() }),
            a(7, 2, ActivityKind::Voice(VoiceChange::Join { channel: 20 })),
            a(8, 2, ActivityKind::Voice(VoiceChange::Join { channel: 20 })),
            a(8, 602, ActivityKind::Voice(VoiceChange::Mute)),
            a(8, 902, ActivityKind::Voice(VoiceChange::Leave)),
        ])
        .await;
        let seven = h.db.get_user_level(GUILD, 7).await.expect("row").expect("exists");
        assert_eq!(seven.total_reactions, 1, "a replayed reaction counts once");
        assert_eq!(seven.commands_used, 1);
        // Both in voice for 600 s; while 8 was muted, 7 still earned; alone after 8 left.
        assert_eq!(seven.voice_time_seconds, 900);
        let eight = h.db.get_user_level(GUILD, 8).await.expect("row").expect("exists");
        assert_eq!(eight.voice_time_seconds, 600, "no voice time while muted");
    }
}
