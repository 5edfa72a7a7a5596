//! Quests through the pipeline and the QuestManager with the real quest plugins: progress
//! rows, completion awarding once (replays, concurrent engines), reward multipliers, and
//! daily / weekly / monthly resets across boundaries with a controlled clock, including
//! restarts.

use std::collections::BTreeMap;

use crate::support::*;
use chrono::Duration;
use questline::db::{NewQuest, ServerSetting};
use questline::engine::Effect;

fn chatter(reward_multiplier: f64) -> NewQuest {
    NewQuest {
        guild_id: GUILD,
        name: "Say three things".into(),
        description: "Send 3 messages".into(),
        quest_type: "daily".into(),
        requirement_type: "total_messages".into(),
        requirement_value: 3,
        reward_xp: 100,
        reward_multiplier: Some(reward_multiplier),
        difficulty: Some("easy".into()),
        refresh_cycle: Some("daily".into()),
        created_at: chrono::DateTime::UNIX_EPOCH,
    }
}

fn completions(effects: &[Effect]) -> Vec<(u64, i64)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::QuestCompleted { user, quest_id, .. } => Some((*user, *quest_id)),
            _ => None,
        })
        .collect()
}

both_backends! {
    async fn completion_awards_once_under_replays_and_sets_expiry(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let quest = h.db.create_quest(chatter(1.0)).await.expect("quest");
        // Messages 1 and 2 (with a replay of 1), then 3 replayed twice across batches.
        h.batch(vec![msg(7, 1, start), msg(7, 1, start), msg(7, 2, start + Duration::seconds(5))]).await;
        let uq = h.db.get_user_active_quests(GUILD, 7).await.expect("quests");
        let p = uq[0].progress.clone().expect("row created on first progress");
        assert_eq!(p.progress, 2);
        assert!(!p.completed);
        assert_eq!(p.expires_at, Some(at("2026-01-06T00:00:00Z")), "expires at the next daily reset");
        let before = h.xp(7).await;
        h.batch(vec![msg(7, 3, start + Duration::seconds(10)), msg(7, 3, start + Duration::seconds(10))]).await;
        h.batch(vec![msg(7, 3, start + Duration::seconds(11)), msg(7, 4, start + Duration::seconds(12))]).await;
        let effects = h.effects();
        assert_eq!(completions(&effects), vec![(7, quest.id)]);
        // Messages 3 and 4 are in cooldown: the only XP is the reward.
        assert_eq!(h.xp(7).await - before, 100);
        let uq = h.db.get_user_active_quests(GUILD, 7).await.expect("quests");
        let p = uq[0].progress.clone().expect("row");
        assert!(p.completed && p.completed_at.is_some());
    }
}

both_backends! {
    async fn concurrent_engines_complete_a_quest_once(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut a = Harness::new(&t, engine_config(), start).await;
        a.no_default_achievements().await;
        let quest = a.db.create_quest(chatter(1.0)).await.expect("quest");
        a.batch(vec![msg(7, 1, start), msg(7, 2, start + Duration::seconds(1))]).await;
        let mut b = Harness::with(a.db.clone(), a.plugins.clone(), engine_config(), start);
        let before = a.xp(7).await;
        // Two engines (no shared replay memory) both see a third message (a replay across
        // processes) at the same moment.
        let third = start + Duration::seconds(2);
        // Each engine's batch in a task of its own, as in two processes (see
        // `Pipeline::process`).
        let other = tokio::spawn(async move {
            let report = b.batch(vec![msg(7, 3, third)]).await;
            (b, report)
        });
        let ra = a.batch(vec![msg(7, 3, third)]).await;
        let (b, rb) = other.await.expect("the other engine's task");
        assert_eq!(ra.failed_guilds + rb.failed_guilds, 0);
        let mut all = a.effects();
        all.extend(b.effects());
        assert_eq!(completions(&all), vec![(7, quest.id)], "announced exactly once: {all:?}");
        assert_eq!(a.xp(7).await - before, 100, "reward applied exactly once");
    }
}

both_backends! {
    async fn a_reward_multiplier_lasts_until_the_quest_expires(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        h.db.create_quest(chatter(2.0)).await.expect("quest");
        for i in 0..3 {
            h.batch(vec![msg(7, i + 1, start + Duration::seconds(61 * i as i64))]).await;
        }
        let boosted_from = h.xp(7).await;
        h.batch(vec![msg(7, 10, start + Duration::seconds(61 * 3))]).await;
        let boosted = h.xp(7).await - boosted_from;
        assert!((30..=50).contains(&boosted), "doubled message XP, got {boosted}");
        // After the daily reset (midnight UTC) the boost is over.
        let tomorrow = at("2026-01-06T00:00:01Z");
        h.clock.set(tomorrow);
        let before = h.xp(7).await;
        h.batch(vec![msg(7, 11, tomorrow)]).await;
        let normal = h.xp(7).await - before;
        assert!((15..=25).contains(&normal), "boost expired, got {normal}");
    }
}

both_backends! {
    async fn a_quest_completed_mid_batch_is_dated_and_boosts_from_its_completing_activity(t) {
        // One batch, five messages 61 s apart (each past the 60 s cooldown): the third
        // completes the quest, so the boost applies to messages 3-5 and not 1-2, and the
        // completion is dated by message 3, not by the batch's last activity.
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let quest = h.db.create_quest(chatter(2.0)).await.expect("quest");
        let messages: Vec<_> =
            (0..5).map(|i| msg(7, i + 1, start + Duration::seconds(61 * i as i64))).collect();
        h.batch(messages).await;
        assert_eq!(completions(&h.effects()), vec![(7, quest.id)]);
        let uq = h.db.get_user_active_quests(GUILD, 7).await.expect("quests");
        let p = uq[0].progress.clone().expect("row");
        assert_eq!((p.progress, p.completed), (3, true));
        assert_eq!(p.completed_at, Some(start + Duration::seconds(122)), "dated by message 3");
        // 2 messages at 15-25 XP, 3 boosted to 30-50, and the 100 XP reward.
        let xp = h.xp(7).await;
        assert!((100 + 2 * 15 + 3 * 30..=100 + 2 * 25 + 3 * 50).contains(&xp), "got {xp}");
    }
}

async fn active_by_cycle(h: &Harness) -> BTreeMap<String, Vec<i64>> {
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for q in
        h.db.get_guild_active_quests(GUILD, None)
            .await
            .expect("active")
    {
        out.entry(q.refresh_cycle.clone()).or_default().push(q.id);
    }
    out
}

fn generating() -> questline::engine::EngineConfig {
    generating_quests(3, 2, 1)
}

both_backends! {
    async fn resets_follow_day_week_and_month_boundaries(t) {
        // 2026-01-05 is a Monday. Resets at 06:00 UTC, weeks start on Wednesday (2).
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, generating(), start).await;
        h.db.update_server_config(GUILD, ServerSetting::QuestResetHour(6)).await.expect("hour");
        h.db.update_server_config(GUILD, ServerSetting::QuestResetDay(2)).await.expect("day");
        h.pipeline.ensure_guild(GUILD).await.expect("first quests");
        let first = active_by_cycle(&h).await;
        assert_eq!(first.get("daily").map(Vec::len), Some(3), "{first:?}");
        assert_eq!(first.get("weekly").map(Vec::len), Some(2));
        assert_eq!(first.get("monthly").map(Vec::len), Some(1));

        // Just before the next daily boundary: nothing.
        h.clock.set(at("2026-01-06T05:59:59Z"));
        h.pipeline.ensure_guild(GUILD).await.expect("check");
        assert_eq!(active_by_cycle(&h).await, first);

        // Tuesday 06:00: daily only.
        h.clock.set(at("2026-01-06T06:00:00Z"));
        let reports = h.pipeline.ensure_guild(GUILD).await.expect("reset");
        assert_eq!(reports.len(), 1, "{reports:?}");
        let day2 = active_by_cycle(&h).await;
        assert_eq!(day2.get("daily").map(Vec::len), Some(3));
        assert!(day2["daily"].iter().all(|id| !first["daily"].contains(id)), "new daily instances");
        assert_eq!(day2["weekly"], first["weekly"]);
        assert_eq!(day2["monthly"], first["monthly"]);

        // Wednesday 06:00: daily and weekly.
        h.clock.set(at("2026-01-07T06:00:00Z"));
        let reports = h.pipeline.ensure_guild(GUILD).await.expect("reset");
        assert_eq!(reports.len(), 2, "{reports:?}");
        let day3 = active_by_cycle(&h).await;
        assert!(day3["weekly"].iter().all(|id| !day2["weekly"].contains(id)));
        assert_eq!(day3["monthly"], first["monthly"]);

        // Across a month boundary (several days missed): one reset per cycle.
        h.clock.set(at("2026-02-01T07:00:00Z"));
        let reports = h.pipeline.ensure_guild(GUILD).await.expect("reset");
        assert_eq!(reports.len(), 3, "{reports:?}");
        let feb = active_by_cycle(&h).await;
        assert_eq!(feb.get("daily").map(Vec::len), Some(3));
        assert_eq!(feb.get("weekly").map(Vec::len), Some(2));
        assert_eq!(feb.get("monthly").map(Vec::len), Some(1));
        assert!(feb["monthly"] != first["monthly"]);
        // Asking again at the same moment changes nothing.
        assert!(h.pipeline.ensure_guild(GUILD).await.expect("again").is_empty());
        assert_eq!(active_by_cycle(&h).await, feb);
    }
}

both_backends! {
    async fn a_restart_never_resets_twice_and_applies_a_missed_reset_once(t) {
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, generating(), start).await;
        h.pipeline.ensure_guild(GUILD).await.expect("first quests");
        let first = active_by_cycle(&h).await;
        let (db, plugins) = (h.db.clone(), h.plugins.clone());
        drop(h);

        // Restart later the same day: the same quests.
        let h2 = Harness::with(db.clone(), plugins.clone(), generating(), at("2026-01-05T23:00:00Z"));
        assert!(h2.pipeline.ensure_guild(GUILD).await.expect("restart").is_empty());
        assert_eq!(active_by_cycle(&h2).await, first);
        drop(h2);

        // Down over two daily boundaries: one daily reset at start-up, then none.
        let h3 = Harness::with(db.clone(), plugins.clone(), generating(), at("2026-01-07T01:00:00Z"));
        let reports = h3.pipeline.ensure_guild(GUILD).await.expect("restart");
        assert_eq!(reports.len(), 1, "{reports:?}");
        let after = active_by_cycle(&h3).await;
        assert_eq!(after["daily"].len(), 3);
        assert!(after["daily"].iter().all(|id| !first["daily"].contains(id)));
        assert_eq!(after["weekly"], first["weekly"]);
        drop(h3);
        let h4 = Harness::with(db, plugins, generating(), at("2026-01-07T01:00:05Z"));
        assert!(h4.pipeline.ensure_guild(GUILD).await.expect("restart").is_empty());
        assert_eq!(active_by_cycle(&h4).await, after);
    }
}

both_backends! {
    async fn admin_quests_come_back_for_the_next_period(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let custom = h.db.create_quest(chatter(1.0)).await.expect("quest");
        for i in 0..3 {
            h.batch(vec![msg(7, i + 1, start + Duration::seconds(i as i64))]).await;
        }
        assert_eq!(completions(&h.effects()).len(), 1);
        h.clock.set(at("2026-01-06T00:00:00Z"));
        h.pipeline.ensure_guild(GUILD).await.expect("reset");
        let active = h.db.get_guild_active_quests(GUILD, None).await.expect("active");
        assert_eq!(active.len(), 1);
        assert_ne!(active[0].id, custom.id, "a new instance");
        assert_eq!(active[0].name, custom.name);
        // Completable again in the new period.
        let day2 = at("2026-01-06T00:00:10Z");
        for i in 0..3 {
            h.batch(vec![msg(7, 100 + i, day2 + Duration::seconds(i as i64))]).await;
        }
        assert_eq!(completions(&h.effects()), vec![(7, active[0].id)]);
    }
}

both_backends! {
    async fn a_reset_ends_only_the_quests_of_its_cycle(t) {
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, generating(), start).await;
        h.db.update_server_config(GUILD, ServerSetting::QuestResetHour(6)).await.expect("hour");
        h.pipeline.ensure_guild(GUILD).await.expect("first quests");
        let first = active_by_cycle(&h).await;
        let daily = h.db.get_guild_active_quests(GUILD, None).await.expect("active");
        let daily: Vec<_> = daily.into_iter().filter(|q| q.refresh_cycle == "daily").collect();
        assert_eq!(daily.len(), 3);
        assert!(daily.iter().all(|q| q.created_at == start), "stamped with the engine's clock");
        // Admin quests of other cycles that share the daily quests' quest_type.
        let shared_type = daily[0].quest_type.clone();
        let mut weekly = NewQuest {
            quest_type: shared_type.clone(),
            refresh_cycle: Some("weekly".into()),
            created_at: start,
            ..chatter(1.0)
        };
        weekly.name = "Weekly chatter".into();
        let weekly = h.db.create_quest(weekly).await.expect("weekly quest");
        let once = NewQuest {
            name: "Once chatter".into(),
            quest_type: shared_type,
            refresh_cycle: Some("once".into()),
            created_at: start,
            ..chatter(1.0)
        };
        let once = h.db.create_quest(once).await.expect("once quest");

        // The next daily reset ends the daily quests, and only those.
        let reset_at = at("2026-01-06T06:00:00Z");
        h.clock.set(reset_at);
        let reports = h.pipeline.ensure_guild(GUILD).await.expect("reset");
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].deactivated, 3, "exactly the old daily quests");
        let after = active_by_cycle(&h).await;
        assert!(after["weekly"].contains(&weekly.id), "a weekly quest survives a daily reset: {after:?}");
        assert!(after["once"].contains(&once.id), "a `once` quest survives a daily reset: {after:?}");
        assert!(first["weekly"].iter().all(|id| after["weekly"].contains(id)));
        assert_eq!(after["monthly"], first["monthly"]);
        assert_eq!(after["daily"].len(), 3);
        for q in &daily {
            assert!(!h.db.get_quest(q.id).await.expect("get").expect("exists").active, "old daily ended");
        }
        for id in &after["daily"] {
            let q = h.db.get_quest(*id).await.expect("get").expect("exists");
            assert_eq!(q.created_at, reset_at, "stamped with the engine's clock");
        }
    }
}

both_backends! {
    async fn a_forced_reset_starts_a_new_period_now_exactly_once(t) {
        use questline::engine::ForcedReset;
        use questline::engine::schedule::Cycle;
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, generating(), start).await;
        h.pipeline.ensure_guild(GUILD).await.expect("first quests");
        let first = active_by_cycle(&h).await;
        // No reset is due, so a scheduled check does nothing...
        h.clock.set(at("2026-01-05T11:00:00Z"));
        assert!(h.pipeline.ensure_guild(GUILD).await.expect("check").is_empty());
        // ...but a forced one starts a new daily period now.
        let forced = h.pipeline.force_quest_reset(GUILD, &[Cycle::Daily]).await.expect("forced");
        match forced.as_slice() {
            [ForcedReset::Applied(r)] => {
                assert_eq!(r.cycle, Cycle::Daily);
                assert_eq!(r.deactivated, 3);
                assert_eq!(r.created.len(), 3);
            }
            other => panic!("expected one applied reset, got {other:?}"),
        }
        let after = active_by_cycle(&h).await;
        assert_eq!(after["daily"].len(), 3);
        assert!(after["daily"].iter().all(|id| !first["daily"].contains(id)), "new daily instances");
        assert_eq!(after["weekly"], first["weekly"], "other cycles untouched");
        assert_eq!(after["monthly"], first["monthly"]);
        // No scheduled reset follows it, in this process or after a restart.
        assert!(h.pipeline.ensure_guild(GUILD).await.expect("check").is_empty());
        let restarted = Harness::with(h.db.clone(), h.plugins.clone(), generating(), at("2026-01-05T12:00:00Z"));
        assert!(restarted.pipeline.ensure_guild(GUILD).await.expect("restart").is_empty());
        assert_eq!(active_by_cycle(&restarted).await, after);

        // Two processes forcing at the same moment: every old quest ends once and one new
        // set exists, never two.
        let a = Harness::with(h.db.clone(), h.plugins.clone(), generating(), at("2026-01-05T13:00:00Z"));
        let b = Harness::with(h.db.clone(), h.plugins.clone(), generating(), at("2026-01-05T13:00:00Z"));
        a.pipeline.ensure_guild(GUILD).await.expect("a knows the guild");
        b.pipeline.ensure_guild(GUILD).await.expect("b knows the guild");
        let (ra, rb) = tokio::join!(
            a.pipeline.force_quest_reset(GUILD, &[Cycle::Daily]),
            b.pipeline.force_quest_reset(GUILD, &[Cycle::Daily])
        );
        let all: Vec<ForcedReset> = ra.expect("a").into_iter().chain(rb.expect("b")).collect();
        let applied = all.iter().filter(|r| matches!(r, ForcedReset::Applied(_))).count();
        assert!((1..=2).contains(&applied), "{all:?}");
        let now = active_by_cycle(&a).await;
        assert_eq!(now["daily"].len(), 3, "two resets' quests are active at once: {now:?}");
        assert!(now["daily"].iter().all(|id| !after["daily"].contains(id)));

        // The next scheduled boundary still resets.
        h.clock.set(at("2026-01-06T00:00:00Z"));
        let reports = h.pipeline.ensure_guild(GUILD).await.expect("next day");
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].cycle, Cycle::Daily);
    }
}
