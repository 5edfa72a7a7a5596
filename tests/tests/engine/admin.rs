//! The engine's remaining flows on both backends: moderators' XP changes (audited, with role
//! promotion and per-guild demotion), plugin slash commands (`/daily` from the bundled
//! daily-bonus plugin, its grant audited and capped), the AFK channel earning no voice time,
//! and quest resets claimed by exactly one of two engines sharing a database, including the
//! start-up catch-up of every guild the database knows.

use std::collections::BTreeSet;

use crate::support::*;
use chrono::Duration;
use questline::db::ServerSetting;
use questline::engine::{
    Activity, ActivityKind, CommandCall, CommandOutcome, Effect, EngineError, VoiceChange, XpChange,
};

fn roles(effects: &[Effect]) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let mut added = BTreeSet::new();
    let mut removed = BTreeSet::new();
    for e in effects {
        match e {
            Effect::RoleAdd { role, .. } => {
                added.insert(*role);
            }
            Effect::RoleRemove { role, .. } => {
                removed.insert(*role);
            }
            _ => {}
        }
    }
    (added, removed)
}

both_backends! {
    async fn manual_xp_changes_are_audited_and_move_roles(t) {
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        h.db.add_level_role(GUILD, 901, 1, true).await.expect("role");
        h.db.add_level_role(GUILD, 905, 5, false).await.expect("role");
        h.db.add_level_role(GUILD, 910, 10, false).await.expect("role");

        // Add: straight to level 10 (MEE6: 4,675 XP): the stacked role and the top reward.
        let done = h.pipeline.adjust_xp(GUILD, 7, XpChange::Add(mee6_total(10)), 1, Some("event prize".into())).await.expect("add");
        assert_eq!((done.outcome.old_xp, done.outcome.new_xp), (0, mee6_total(10)));
        assert_eq!(done.outcome.new_level, 10);
        let (added, removed) = roles(&h.effects());
        assert_eq!(added, BTreeSet::from([901, 910]));
        assert!(removed.is_empty());

        // Remove without demotion: XP goes down, level and roles stay as the guild wants.
        let done = h.pipeline.adjust_xp(GUILD, 7, XpChange::Remove(4_000), 1, None).await.expect("remove");
        assert_eq!(done.outcome.new_xp, mee6_total(10) - 4_000);
        assert!(roles(&h.effects()).1.is_empty(), "no demotion unless the guild enables it");

        // With demotion: setting XP to level 5's total takes the level-10 role away and
        // gives level 5's back (non-stacked rewards follow the level).
        h.db.update_server_config(GUILD, ServerSetting::parse("demote_on_xp_loss", "on").expect("setting")).await.expect("demote");
        h.pipeline.adjust_xp(GUILD, 7, XpChange::Set(mee6_total(10)), 1, None).await.expect("set back");
        h.effects();
        let done = h.pipeline.adjust_xp(GUILD, 7, XpChange::Set(mee6_total(5)), 1, None).await.expect("set");
        assert_eq!(done.outcome.new_level, 5);
        assert_eq!(done.roles_removed, vec![910]);
        assert_eq!(done.roles_added, vec![905]);
        let (added, removed) = roles(&h.effects());
        assert_eq!((added, removed), (BTreeSet::from([905]), BTreeSet::from([910])));

        // Removing more than the member has stops at 0 and logs what really changed.
        let done = h.pipeline.adjust_xp(GUILD, 7, XpChange::Remove(1_000_000), 1, None).await.expect("remove all");
        assert_eq!(done.outcome.new_xp, 0);
        let log = h.db.list_audit(GUILD, 10, None).await.expect("audit");
        let deltas: Vec<i64> = log.iter().rev().map(|e| e.delta).collect();
        assert_eq!(deltas, vec![mee6_total(10), -4_000, 4_000, mee6_total(5) - mee6_total(10), -mee6_total(5)]);
        assert_eq!(log.last().map(|e| e.reason.as_str()), Some("event prize"));
        assert!(log.iter().all(|e| e.actor_id == "1" && e.target_id == "7" && e.created_at == start));

        // Bad amounts are refused and change nothing.
        for bad in [XpChange::Add(-5), XpChange::Add(0), XpChange::Add(i64::MAX), XpChange::Set(-1)] {
            let err = h.pipeline.adjust_xp(GUILD, 7, bad, 1, None).await.expect_err("refused");
            assert!(matches!(err, EngineError::InvalidInput(_)), "{bad:?}: {err}");
        }
        assert_eq!(h.xp(7).await, 0);
        assert_eq!(h.db.list_audit(GUILD, 10, None).await.expect("audit").len(), 5);
    }
}

both_backends! {
    async fn set_is_exact_under_concurrent_awards(t) {
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let mut tasks = Vec::new();
        for _ in 0..10 {
            tasks.push(h.pipeline.adjust_xp(GUILD, 7, XpChange::Add(10), 1, None));
        }
        tasks.push(h.pipeline.adjust_xp(GUILD, 7, XpChange::Set(1_000), 1, None));
        for r in futures::future::join_all(tasks).await {
            r.expect("change");
        }
        // Whatever the order, the audit log explains the final total exactly.
        let log = h.db.list_audit(GUILD, 100, None).await.expect("audit");
        assert_eq!(log.len(), 11);
        assert_eq!(log.iter().map(|e| e.delta).sum::<i64>(), h.xp(7).await);
        assert!(h.xp(7).await >= 1_000);
    }
}

both_backends! {
    async fn plugin_commands_run_in_the_plugin_and_their_grants_are_audited(t) {
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let commands = h.pipeline.plugin_commands().await;
        assert_eq!(commands.get("daily").map(|c| c.plugin.as_str()), Some("daily-bonus"), "{:?}", commands.keys());
        let call = |user| CommandCall {
            guild: GUILD,
            channel: CHANNEL,
            user,
            roles: Vec::new(),
            is_admin: false,
            name: "daily".into(),
            options: Vec::new(),
        };
        let first = h.pipeline.run_plugin_command(call(7)).await.expect("run").expect("known");
        let CommandOutcome::Done { replies, grants, plugin } = first else { panic!("refused: {first:?}") };
        assert_eq!(plugin, "daily-bonus");
        assert_eq!(grants.len(), 1);
        let bonus = grants[0].outcome.new_xp;
        assert!((50..=150).contains(&bonus), "the plugin's default range: {bonus}");
        assert_eq!(h.xp(7).await, bonus);
        assert!(!replies.is_empty());
        // The same day again: the plugin's own answer, and no XP.
        let again = h.pipeline.run_plugin_command(call(7)).await.expect("run").expect("known");
        match again {
            CommandOutcome::Done { grants, replies, .. } => {
                assert!(grants.is_empty());
                assert!(replies.iter().any(|r| r.ephemeral && r.content.contains("already claimed")), "{replies:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(h.xp(7).await, bonus);
        let log = h.db.list_audit(GUILD, 10, None).await.expect("audit");
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].actor_id.as_str(), log[0].delta), ("plugin:daily-bonus", bonus));
        // Unknown commands are not the plugins' business; a disabled plugin says so.
        let mut unknown = call(7);
        unknown.name = "nope".into();
        assert!(h.pipeline.run_plugin_command(unknown).await.expect("run").is_none());
        let off = questline::db::PluginSettings { enabled: false, config: serde_json::json!({}) };
        h.db.set_plugin_settings(GUILD, "daily-bonus", &off).await.expect("disable");
        let h2 = Harness::with(h.db.clone(), h.plugins.clone(), engine_config(), start + Duration::days(1));
        match h2.pipeline.run_plugin_command(call(8)).await.expect("run").expect("known") {
            CommandOutcome::Refused(msg) => assert!(msg.contains("switched off"), "{msg}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(h.xp(8).await, 0);
    }
}

both_backends! {
    async fn the_afk_channel_earns_no_voice_time(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        h.db.update_server_config(GUILD, ServerSetting::parse("afk_channel", "<#30>").expect("setting")).await.expect("afk");
        let a = |user, secs: i64, kind| Activity::new(GUILD, 20, user, start + Duration::seconds(secs), kind);
        h.batch(vec![
            a(7, 0, ActivityKind::Voice(VoiceChange::Join { channel: 30 })),
            a(8, 0, ActivityKind::Voice(VoiceChange::Join { channel: 30 })),
            // 300 s together in the AFK channel, then 200 s together in a normal one.
            a(7, 300, ActivityKind::Voice(VoiceChange::Join { channel: 21 })),
            a(8, 300, ActivityKind::Voice(VoiceChange::Join { channel: 21 })),
            a(7, 500, ActivityKind::Voice(VoiceChange::Leave)),
            a(8, 500, ActivityKind::Voice(VoiceChange::Leave)),
        ])
        .await;
        for user in [7, 8] {
            let row = h.db.get_user_level(GUILD, user).await.expect("row").expect("exists");
            assert_eq!(row.voice_time_seconds, 200, "member {user}: only the time outside the AFK channel");
        }
        // A channel id that is not one is refused with what to give instead.
        let general = ServerSetting::parse("afk_channel", "general").expect("parses");
        let err = h.db.update_server_config(GUILD, general).await.expect_err("not an id");
        assert!(err.to_string().contains("numeric id"), "{err}");
    }
}

fn generating() -> questline::engine::EngineConfig {
    generating_quests(3, 1, 1)
}

both_backends! {
    async fn two_engines_on_one_database_reset_a_guild_once(t) {
        let start = at("2026-01-05T10:00:00Z");
        let a = Harness::new(&t, generating(), start).await;
        a.pipeline.ensure_guild(GUILD).await.expect("first quests");
        let first = a.db.get_guild_active_quests(GUILD, None).await.expect("active");
        assert_eq!(first.len(), 5);
        // Two processes wake up after the daily boundary at the same moment.
        let next = at("2026-01-06T00:00:01Z");
        let a = Harness::with(a.db.clone(), a.plugins.clone(), generating(), next);
        let b = Harness::with(a.db.clone(), a.plugins.clone(), generating(), next);
        let (ra, rb) = tokio::join!(a.pipeline.ensure_guild(GUILD), b.pipeline.ensure_guild(GUILD));
        let (ra, rb) = (ra.expect("a"), rb.expect("b"));
        assert_eq!(ra.len() + rb.len(), 1, "exactly one engine resets the daily quests: {ra:?} {rb:?}");
        let after = a.db.get_guild_active_quests(GUILD, None).await.expect("active");
        let daily: Vec<_> = after.iter().filter(|q| q.refresh_cycle == "daily").collect();
        assert_eq!(daily.len(), 3, "one new set, not two: {after:?}");
        assert!(daily.iter().all(|q| !first.iter().any(|f| f.id == q.id)));
        assert_eq!(after.len(), 5);
    }
}

both_backends! {
    async fn start_up_catches_up_every_guild_the_database_knows(t) {
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, generating(), start).await;
        for g in [GUILD, 43] {
            h.pipeline.ensure_guild(g).await.expect("first quests");
        }
        let before_43 = h.db.get_guild_active_quests(43, None).await.expect("active");
        let (db, plugins) = (h.db.clone(), h.plugins.clone());
        drop(h);
        // The bot was down over a daily boundary and starts without being told any guild.
        let clock = questline::engine::ManualClock::new(at("2026-01-06T08:00:00Z"));
        let engine = questline::engine::Engine::start(
            questline::engine::EngineDeps {
                db: db.clone(),
                plugins,
                clock: std::sync::Arc::new(clock),
                sink: std::sync::Arc::new(questline::engine::NullSink),
            },
            generating(),
            &[],
        )
        .await
        .expect("start");
        let after_43 = db.get_guild_active_quests(43, None).await.expect("active");
        let old: Vec<i64> = before_43.iter().filter(|q| q.refresh_cycle == "daily").map(|q| q.id).collect();
        let new: Vec<i64> = after_43.iter().filter(|q| q.refresh_cycle == "daily").map(|q| q.id).collect();
        assert_eq!(new.len(), 3);
        assert!(new.iter().all(|id| !old.contains(id)), "guild 43's missed reset applied at start-up");
        engine.shutdown().await;
    }
}
