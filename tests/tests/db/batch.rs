//! The set-based batch write (`db/bulk.rs` under `Db::apply_batch`): batches larger than one
//! statement's chunk, rewards paid through the XP ledger, merged duplicates, the write-through
//! cache, and cache changes reaching another process (LISTEN/NOTIFY on PostgreSQL).

use questline_tests::both_backends;

use std::time::{Duration, Instant};

use crate::support::{Backend, G, SqrtCurve};
use questline::db::{
    ActivityBatch, LevelCurve, MemberDelta, NewQuest, QuestProgressUpdate, ServerSetting,
};

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
        .expect("time")
        .to_utc()
}

fn quest(reward: i64) -> NewQuest {
    NewQuest {
        guild_id: G,
        name: "chat".into(),
        description: String::new(),
        quest_type: "daily".into(),
        requirement_type: "total_messages".into(),
        requirement_value: 2,
        reward_xp: reward,
        reward_multiplier: None,
        difficulty: None,
        refresh_cycle: None,
        created_at: at(),
    }
}

fn progress(user: u64, quest_id: i64, value: Option<i64>, complete: bool) -> QuestProgressUpdate {
    QuestProgressUpdate {
        guild_id: G,
        user_id: user,
        quest_id,
        progress: value,
        quest_specific_progress: None,
        expires_at: None,
        complete,
        at: at(),
    }
}

/// More members than one statement carries (500), so every statement runs in several chunks.
const MEMBERS: usize = 1_234;

both_backends! {
    async fn a_batch_larger_than_a_chunk_is_applied_exactly(t) {
        let db = t.open().await;
        let q = db.create_quest(quest(100)).await.unwrap();
        // Earlier state for some members: XP 250 (level 1) and half the quest done.
        let earlier = ActivityBatch {
            members: (0..MEMBERS).step_by(3).map(|i| MemberDelta { xp: 250, messages: 1, ..MemberDelta::new(G, i as u64) }).collect(),
            quest_progress: (0..MEMBERS).step_by(3).map(|i| progress(i as u64, q.id, Some(1), false)).collect(),
            ..Default::default()
        };
        db.apply_batch(earlier, &SqrtCurve).await.unwrap();

        // Every member chats; even members complete the quest (one of them twice in the list,
        // which must pay once); members 5000.. only complete it (no activity of their own).
        let mut batch = ActivityBatch {
            members: (0..MEMBERS).map(|i| MemberDelta { xp: 10, messages: 2, total_messages: 2, ..MemberDelta::new(G, i as u64) }).collect(),
            quest_progress: (0..MEMBERS).map(|i| progress(i as u64, q.id, Some(2), i.is_multiple_of(2))).collect(),
            ..Default::default()
        };
        batch.quest_progress.push(progress(0, q.id, None, true));
        for u in 5_000..5_003 {
            batch.quest_progress.push(progress(u as u64, q.id, Some(2), true));
        }
        let out = db.apply_batch(batch, &SqrtCurve).await.unwrap();

        assert_eq!(out.members.len(), MEMBERS);
        let completions = MEMBERS.div_ceil(2) + 3;
        assert_eq!(out.completed_quests.len(), completions, "each completion paid once");
        for (g, u, xp) in &out.members {
            let i = *u as usize;
            let before = if i.is_multiple_of(3) { 250 } else { 0 };
            assert_eq!((*g, xp.old_xp, xp.new_xp), (G, before, before + 10), "member {u}");
        }
        for c in &out.completed_quests {
            let i = c.user_id as usize;
            let before = if i >= 5_000 { 0 } else if i.is_multiple_of(3) { 260 } else { 10 };
            assert_eq!((c.reward_xp, c.xp.old_xp, c.xp.new_xp), (100, before, before + 100), "member {}", c.user_id);
            assert_eq!(c.xp.new_level, SqrtCurve.level_for_xp(before + 100));
        }
        // What is stored matches, member by member, through a fresh handle (no cache).
        let fresh = t.open().await;
        for i in [0usize, 1, 2, 3, 499, 500, 501, 1_000, MEMBERS - 1, 5_000, 5_002] {
            let row = fresh.get_user_level(G, i as u64).await.unwrap().expect("row");
            let mut xp = if i >= 5_000 { 0 } else if i.is_multiple_of(3) { 260 } else { 10 };
            if i.is_multiple_of(2) { xp += 100; }
            assert_eq!((row.xp, row.level), (xp, SqrtCurve.level_for_xp(xp)), "member {i}");
            let uq = fresh.get_user_active_quests(G, i as u64).await.unwrap();
            let p = uq[0].progress.as_ref().expect("progress row");
            assert_eq!((p.progress, p.completed), (2, i.is_multiple_of(2)), "member {i}");
            // The writer's own cache holds the committed row (write-through).
            assert_eq!(db.get_user_level(G, i as u64).await.unwrap(), Some(row));
        }
    }
}

both_backends! {
    async fn a_batch_naming_a_missing_quest_changes_nothing(t) {
        let db = t.open().await;
        let q = db.create_quest(quest(100)).await.unwrap();
        let batch = ActivityBatch {
            members: (0..600).map(|i| MemberDelta { xp: 10, messages: 1, ..MemberDelta::new(G, i) }).collect(),
            quest_progress: vec![progress(1, q.id, Some(1), false), progress(2, q.id + 99, Some(1), true)],
            ..Default::default()
        };
        let err = db.apply_batch(batch, &SqrtCurve).await.unwrap_err();
        assert!(err.to_string().contains(&format!("quest {}", q.id + 99)), "{err}");
        let fresh = t.open().await;
        assert_eq!(fresh.get_user_level(G, 1).await.unwrap(), None);
        assert!(fresh.get_user_active_quests(G, 1).await.unwrap()[0].progress.is_none());
    }
}

both_backends! {
    async fn another_process_changes_reach_this_cache(t) {
        let ours = t.open().await;
        let theirs = t.open().await;
        ours.award_xp(G, 1, 10, &SqrtCurve).await.unwrap();
        assert_eq!(ours.get_user_level(G, 1).await.unwrap().unwrap().xp, 10);
        assert_eq!(ours.get_server_config(G).await.unwrap().xp_rate, 1.0);

        theirs.award_xp(G, 1, 5, &SqrtCurve).await.unwrap();
        theirs.update_server_config(G, ServerSetting::XpRate(3.0)).await.unwrap();
        match t.backend {
            Backend::Postgres => {
                // NOTIFY arrives after their commit; poll briefly rather than sleep a guess.
                let deadline = Instant::now() + Duration::from_secs(5);
                loop {
                    let xp = ours.get_user_level(G, 1).await.unwrap().unwrap().xp;
                    let rate = ours.get_server_config(G).await.unwrap().xp_rate;
                    if (xp, rate) == (15, 3.0) {
                        break;
                    }
                    assert!(Instant::now() < deadline, "other process's change not seen: xp {xp}, rate {rate}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Backend::Sqlite => {
                // No channel between processes on SQLite: the cached value stands until its TTL.
                assert_eq!(ours.get_user_level(G, 1).await.unwrap().unwrap().xp, 10);
            }
        }
        if t.backend == Backend::Postgres {
            // A batch announces its guilds from inside its own transaction: members' rows
            // and quest progress written by their batch reach our cached views too.
            let q = ours.create_quest(quest(100)).await.unwrap();
            assert!(ours.get_user_active_quests(G, 1).await.unwrap()[0].progress.is_none(), "cached: no progress");
            let batch = ActivityBatch {
                members: vec![MemberDelta { xp: 7, messages: 1, ..MemberDelta::new(G, 1) }],
                quest_progress: vec![progress(1, q.id, Some(3), false)],
                ..Default::default()
            };
            theirs.apply_batch(batch, &SqrtCurve).await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let xp = ours.get_user_level(G, 1).await.unwrap().unwrap().xp;
                let seen = ours.get_user_active_quests(G, 1).await.unwrap()[0].progress.as_ref().map(|p| p.progress);
                if (xp, seen) == (22, Some(3)) {
                    break;
                }
                assert!(Instant::now() < deadline, "their batch not seen: xp {xp}, progress {seen:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// A steeper curve than [`SqrtCurve`]: level = xp / 10.
struct TenthCurve;

impl LevelCurve for TenthCurve {
    fn level_for_xp(&self, xp: i64) -> i32 {
        (xp / 10) as i32
    }
}

both_backends! {
    async fn batches_of_several_guilds_share_statements_but_keep_their_curves(t) {
        const H: u64 = 100000000000000002;
        let db = t.open().await;
        let q = db.create_quest(quest(100)).await.unwrap();
        let part = |guild: u64, xp: i64| ActivityBatch {
            members: (0..700).map(|i| MemberDelta { xp, messages: 1, ..MemberDelta::new(guild, i) }).collect(),
            ..Default::default()
        };
        let mut first = part(G, 50);
        first.quest_progress.push(progress(7, q.id, Some(2), true));
        let outs = db
            .apply_batches(vec![(first, &SqrtCurve as &dyn LevelCurve), (part(H, 50), &TenthCurve)])
            .await
            .unwrap();
        assert_eq!(outs.len(), 2);
        assert!(outs[0].members.iter().all(|(g, _, xp)| *g == G && xp.new_level == 0));
        assert!(outs[1].members.iter().all(|(g, _, xp)| *g == H && xp.new_level == 5));
        assert_eq!(outs[0].completed_quests.len(), 1);
        assert_eq!((outs[0].completed_quests[0].xp.new_xp, outs[0].completed_quests[0].xp.new_level), (150, 1));
        assert!(outs[1].completed_quests.is_empty());

        // The same guild in two parts (never sent by the engine) is applied part by part,
        // each with its own outcomes, in order.
        let outs = db
            .apply_batches(vec![(part(H, 10), &TenthCurve as &dyn LevelCurve), (part(H, 10), &TenthCurve)])
            .await
            .unwrap();
        assert_eq!((outs[0].members[0].2.new_xp, outs[1].members[0].2.new_xp), (60, 70));
        let fresh = t.open().await;
        let row = fresh.get_user_level(H, 0).await.unwrap().unwrap();
        assert_eq!((row.xp, row.level, row.messages), (70, 7, 3));
    }
}

both_backends! {
    async fn a_batch_writes_its_rows_through_to_the_cache(t) {
        let db = t.open().await;
        let q = db.create_quest(quest(100)).await.unwrap();
        db.apply_batch(ActivityBatch { members: vec![MemberDelta { xp: 5, ..MemberDelta::new(G, 1) }], ..Default::default() }, &SqrtCurve).await.unwrap();
        // Cached views of the member's stats and progress.
        db.get_user_level(G, 1).await.unwrap();
        assert!(db.get_user_active_quests(G, 1).await.unwrap()[0].progress.is_none());
        let before = db.cache_stats();

        let batch = ActivityBatch {
            members: vec![MemberDelta { xp: 120, messages: 2, ..MemberDelta::new(G, 1) }],
            quest_progress: vec![progress(1, q.id, Some(2), true)],
            ..Default::default()
        };
        db.apply_batch(batch, &SqrtCurve).await.unwrap();
        let row = db.get_user_level(G, 1).await.unwrap().unwrap();
        assert_eq!((row.xp, row.level, row.messages), (225, 1, 2));
        let view = db.get_user_active_quests(G, 1).await.unwrap();
        let p = view[0].progress.as_ref().expect("progress in the cached view");
        assert_eq!((p.progress, p.completed, p.completed_at), (2, true, Some(at())));
        let after = db.cache_stats();
        assert_eq!(after.user_stats.misses, before.user_stats.misses, "stats read from the cache");
        assert_eq!(after.user_quests.misses, before.user_quests.misses, "progress read from the cache");
        // And the cache agrees with the database.
        let fresh = t.open().await;
        assert_eq!(fresh.get_user_level(G, 1).await.unwrap(), Some(row));
        assert_eq!(fresh.get_user_active_quests(G, 1).await.unwrap()[0].progress.as_ref(), Some(p));
    }
}

both_backends! {
    async fn a_failed_commit_lane_keeps_only_its_own_guilds_out(t) {
        // On PostgreSQL a batch commits in lanes (transactions side by side on their own
        // connections). A lane that fails commits nothing, and only its guilds are reported
        // failed; the others are stored. SQLite has one writer: one lane, all or nothing.
        use sea_orm::ConnectionTrait;
        const H: u64 = 100000000000000002;
        const K: u64 = 100000000000000003;
        let db = t.open().await;
        let raw = t.raw().await;
        let sql = match t.backend {
            Backend::Sqlite => vec![format!(
                "CREATE TRIGGER ql_fail BEFORE INSERT ON levels WHEN NEW.guild_id = '{K}' \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )],
            Backend::Postgres => vec![
                format!(
                    "CREATE FUNCTION ql_fail() RETURNS trigger AS $$ BEGIN \
                     IF NEW.guild_id = '{K}' THEN RAISE EXCEPTION 'injected failure'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql"
                ),
                "CREATE TRIGGER ql_fail BEFORE INSERT ON levels FOR EACH ROW EXECUTE FUNCTION ql_fail()".to_string(),
            ],
        };
        for s in sql {
            raw.execute_unprepared(&s).await.expect("trigger");
        }
        let part = |guild: u64| ActivityBatch {
            members: (0..300).map(|i| MemberDelta { xp: 10, messages: 1, ..MemberDelta::new(guild, i) }).collect(),
            ..Default::default()
        };
        let guilds = [G, H, K];
        let lanes = db
            .apply_in_lanes(guilds.iter().map(|g| (part(*g), &SqrtCurve as &dyn LevelCurve).into()).collect(), 2)
            .await;
        let fresh = t.open().await;
        let stored = |g: u64| {
            let fresh = fresh.clone();
            async move { fresh.get_user_level(g, 0).await.unwrap().map(|r| r.xp) }
        };
        match t.backend {
            Backend::Postgres => {
                assert_eq!(lanes.len(), 2, "two lanes");
                assert_eq!(lanes[0].0, 0..2, "rows balanced: G and H, then K");
                assert!(lanes[0].1.is_ok(), "{:?}", lanes[0].1);
                assert_eq!(lanes[0].1.as_ref().unwrap().len(), 2);
                assert!(lanes[1].1.is_err(), "K's lane failed");
                assert_eq!((stored(G).await, stored(H).await, stored(K).await), (Some(10), Some(10), None));
            }
            Backend::Sqlite => {
                assert_eq!(lanes.len(), 1, "one writer, one lane");
                assert!(lanes[0].1.is_err());
                assert_eq!((stored(G).await, stored(H).await, stored(K).await), (None, None, None));
            }
        }
        let _ = raw.close().await;
    }
}

both_backends! {
    async fn a_small_batch_commits_in_one_lane_whatever_the_lanes_allowed(t) {
        // A lane is a transaction of its own with the same statements as the others: for a
        // few dozen rows a second one only doubles the round trips, so a small batch takes
        // one lane even where several are allowed, and a large one still spreads.
        const H: u64 = 100000000000000002;
        const K: u64 = 100000000000000003;
        let db = t.open().await;
        let part = |guild: u64, members: u64| ActivityBatch {
            members: (0..members).map(|i| MemberDelta { xp: 10, messages: 1, ..MemberDelta::new(guild, i) }).collect(),
            ..Default::default()
        };
        let small = db
            .apply_in_lanes([G, H, K].iter().map(|g| (part(*g, 5), &SqrtCurve as &dyn LevelCurve).into()).collect(), 4)
            .await;
        assert_eq!(small.len(), 1, "one lane for 18 rows");
        assert_eq!(small[0].0, 0..3);
        assert_eq!(small[0].1.as_ref().map(Vec::len).ok(), Some(3), "{:?}", small[0].1);
        let large = db
            .apply_in_lanes([G, H, K].iter().map(|g| (part(*g, 400), &SqrtCurve as &dyn LevelCurve).into()).collect(), 4)
            .await;
        let expected = match t.backend {
            Backend::Postgres => 3,
            Backend::Sqlite => 1,
        };
        assert_eq!(large.len(), expected, "1,203 rows: a lane per guild on PostgreSQL, one writer on SQLite");
        assert!(large.iter().all(|(_, r)| r.is_ok()));
        assert_eq!(db.get_user_level(K, 399).await.unwrap().map(|r| r.xp), Some(10));
        assert_eq!(db.get_user_level(G, 4).await.unwrap().map(|r| r.xp), Some(20), "both batches stored");
    }
}

both_backends! {
    async fn the_held_achievements_cache_follows_grants_and_deletions(t) {
        // The engine asks which achievements every member of every batch holds; the answer
        // is cached, so each way of changing it must reach the cache.
        use questline::db::AchievementAward;
        let db = t.open().await;
        let a = db.create_achievement(G, "Chatty", "", "total_messages", 1, 10, at()).await.unwrap();
        let b = db.create_achievement(G, "Loud", "", "total_messages", 2, 10, at()).await.unwrap();
        let users = vec![1, 2];
        assert!(db.earned_achievement_ids(G, &users).await.unwrap().is_empty(), "nothing held yet (now cached)");
        // A batch grants `a` to member 1.
        let batch = ActivityBatch {
            members: vec![MemberDelta { messages: 1, ..MemberDelta::new(G, 1) }],
            achievements: vec![AchievementAward { guild_id: G, user_id: 1, achievement_id: a.id, at: at() }],
            ..Default::default()
        };
        db.apply_batch(batch, &SqrtCurve).await.unwrap();
        let held = db.earned_achievement_ids(G, &users).await.unwrap();
        assert_eq!(held.get(&1), Some(&vec![a.id]), "the batch's grant is seen");
        assert!(!held.contains_key(&2));
        // A single grant (an admin's) to member 2.
        db.grant_achievement(G, 2, b.id, at(), &SqrtCurve).await.unwrap();
        assert_eq!(db.earned_achievement_ids(G, &users).await.unwrap().get(&2), Some(&vec![b.id]));
        // Deleting `a` takes it from member 1.
        db.delete_achievement(G, a.id).await.unwrap();
        let held = db.earned_achievement_ids(G, &users).await.unwrap();
        assert!(!held.contains_key(&1), "{held:?}");
        assert_eq!(held.get(&2), Some(&vec![b.id]));
    }
}

both_backends! {
    async fn xp_gains_folded_into_the_counters_write_match_one_by_one_at_the_edges(t) {
        // A gain is added by the counters upsert itself and a loss afterwards; both must give
        // what applying the deltas one by one gives, at the edges too: a sum past i64::MAX
        // saturates, a loss below 0 clamps, a zero delta keeps the level as stored.
        let db = t.open().await;
        let start = [(1, i64::MAX - 5), (2, 100), (3, 100), (4, 400), (5, 0)];
        let seed = ActivityBatch {
            members: start.iter().map(|(u, xp)| MemberDelta { xp: *xp, messages: 1, ..MemberDelta::new(G, *u) }).collect(),
            ..Default::default()
        };
        db.apply_batch(seed, &SqrtCurve).await.unwrap();
        let deltas = [(1, 10), (2, -150), (3, -30), (4, 0), (5, 900)];
        let batch = ActivityBatch {
            members: deltas.iter().map(|(u, xp)| MemberDelta { xp: *xp, messages: 1, ..MemberDelta::new(G, *u) }).collect(),
            ..Default::default()
        };
        let out = db.apply_batch(batch, &SqrtCurve).await.unwrap();
        let fresh = t.open().await;
        for ((u, before), (_, delta)) in start.iter().zip(deltas) {
            let after = before.saturating_add(delta).max(0);
            let (_, _, xp) = out.members.iter().find(|(_, m, _)| m == u).expect("outcome");
            assert_eq!((xp.new_xp, xp.new_level), (after, SqrtCurve.level_for_xp(after)), "member {u}");
            if *u != 1 {
                assert_eq!((xp.old_xp, xp.old_level), (*before, SqrtCurve.level_for_xp(*before)), "member {u}");
            }
            let row = fresh.get_user_level(G, *u).await.unwrap().expect("row");
            assert_eq!((row.xp, row.level, row.messages), (after, SqrtCurve.level_for_xp(after), 2), "member {u}");
        }
        // The one-member path (award_xp) folds the same way.
        let awards = [(2, 250, 250), (3, -500, 0), (1, 1, i64::MAX)];
        for (u, delta, want) in awards {
            let xp = db.award_xp(G, u, delta, &SqrtCurve).await.unwrap();
            assert_eq!(xp.new_xp, want, "member {u}");
            assert_eq!(xp.new_level, SqrtCurve.level_for_xp(want), "member {u}");
        }
        let fresh = t.open().await;
        for (u, _, want) in awards {
            let row = fresh.get_user_level(G, u).await.unwrap().expect("row");
            assert_eq!((row.xp, row.level), (want, SqrtCurve.level_for_xp(want)), "member {u}");
        }
    }
}

both_backends! {
    async fn a_batch_prefetch_reads_every_guilds_members_into_the_caches(t) {
        // The engine reads a batch's members for all guilds at once; what it loads must be
        // what the per-guild reads would have found (rows, quest progress, held achievements,
        // and members with nothing stored), so those reads then hit the cache.
        use questline::db::AchievementAward;
        const G2: u64 = 100000000000000002;
        let writer = t.open().await;
        let q = writer.create_quest(quest(100)).await.unwrap();
        let a = writer.create_achievement(G2, "Chatty", "", "total_messages", 1, 10, at()).await.unwrap();
        let batch = ActivityBatch {
            members: vec![
                MemberDelta { xp: 30, messages: 1, ..MemberDelta::new(G, 1) },
                MemberDelta { xp: 40, messages: 2, ..MemberDelta::new(G2, 1) },
            ],
            quest_progress: vec![progress(1, q.id, Some(1), false)],
            achievements: vec![AchievementAward { guild_id: G2, user_id: 1, achievement_id: a.id, at: at() }],
            ..Default::default()
        };
        writer.apply_batch(batch, &SqrtCurve).await.unwrap();

        let db = t.open().await;
        db.prefetch_members(&[(G, vec![1, 2]), (G2, vec![1, 3])])
            .await
            .unwrap();
        let before = db.cache_stats();
        let g = db.get_user_levels(G, &[1, 2]).await.unwrap();
        let g2 = db.get_user_levels(G2, &[1, 3]).await.unwrap();
        let views = db.get_users_active_quests(G, &[1, 2]).await.unwrap();
        let held = db.earned_achievement_ids(G2, &[1, 3]).await.unwrap();
        let after = db.cache_stats();
        assert_eq!(after.user_stats.misses, before.user_stats.misses, "levels read from the cache");
        assert_eq!(after.user_quests.misses, before.user_quests.misses, "progress read from the cache");
        assert_eq!(after.held_achievements.misses, before.held_achievements.misses, "held read from the cache");
        assert_eq!(after.user_stats.hits, before.user_stats.hits + 4);

        assert_eq!(g[&1].as_ref().map(|r| r.xp), Some(30));
        assert_eq!(g[&2], None);
        assert_eq!(g2[&1].as_ref().map(|r| (r.xp, r.messages)), Some((50, 2)), "40 + the achievement's 10");
        assert_eq!(g2[&3], None);
        assert_eq!(views[&1][0].progress.as_ref().map(|p| p.progress), Some(1));
        assert!(views[&2][0].progress.is_none());
        assert_eq!(held.get(&1), Some(&vec![a.id]));
        assert!(!held.contains_key(&3));
    }
}

both_backends! {
    async fn batch_timestamps_are_stored_to_the_microsecond(t) {
        // PostgreSQL gets a batch's rows as one JSON parameter (text timestamps), SQLite as
        // bound values: both must store what their one-row paths store.
        let db = t.open().await;
        let q = db.create_quest(quest(100)).await.unwrap();
        let when = at() + chrono::Duration::nanoseconds(123_456_789);
        let micros = at() + chrono::Duration::microseconds(123_456);
        let mut update = progress(1, q.id, Some(1), false);
        update.quest_specific_progress = Some(0);
        update.expires_at = Some(when);
        let batch = ActivityBatch {
            members: vec![MemberDelta { xp: 5, messages: 1, last_message_time: Some(when), ..MemberDelta::new(G, 1) }],
            quest_progress: vec![update],
            ..Default::default()
        };
        db.apply_batch(batch, &SqrtCurve).await.unwrap();
        // PostgreSQL keeps microseconds; SQLite stores the text it is given, nanoseconds too.
        let want = if t.backend == Backend::Postgres { micros } else { when };
        let fresh = t.open().await;
        let row = fresh.get_user_level(G, 1).await.unwrap().expect("row");
        assert_eq!(row.last_message_time, Some(want));
        let views = fresh.get_user_active_quests(G, 1).await.unwrap();
        assert_eq!(views[0].progress.as_ref().and_then(|p| p.expires_at), Some(want));
    }
}

both_backends! {
    async fn closing_a_handle_first_sends_its_queued_cache_announcements(t) {
        // A process that writes and then shuts down at once must still tell the others: the
        // announcement is queued for a few milliseconds (coalescing), and used to fail on
        // the closed pool.
        if t.backend == Backend::Sqlite {
            return; // no channel between processes on SQLite
        }
        let ours = t.open().await;
        let theirs = t.open().await;
        ours.award_xp(G, 1, 10, &SqrtCurve).await.unwrap();
        assert_eq!(ours.get_user_level(G, 1).await.unwrap().unwrap().xp, 10);
        theirs.award_xp(G, 1, 5, &SqrtCurve).await.unwrap();
        theirs.close().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let xp = ours.get_user_level(G, 1).await.unwrap().unwrap().xp;
            if xp == 15 {
                break;
            }
            assert!(Instant::now() < deadline, "the closed handle's change was never announced: xp {xp}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
