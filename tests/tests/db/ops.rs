//! Operators' tooling on both backends: imports in one transaction, the Questline export
//! round trip, privacy download and erasure, consistency checks and repairs, housekeeping.

use crate::support::{Backend, G, SqrtCurve};
use questline::db::{ImportMode, LevelCurve, NewAuditEntry, NewQuest, QuestProgressUpdate};
use questline::import::{Format, apply, parse};
use questline_tests::both_backends;
use sea_orm::{ConnectionTrait, Database};

const G2: u64 = 100000000000000002;

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
        .expect("time")
        .to_utc()
}

fn quest(guild: u64) -> NewQuest {
    NewQuest {
        guild_id: guild,
        name: "Daily chat".into(),
        description: "Send messages".into(),
        quest_type: "daily".into(),
        requirement_type: "total_messages".into(),
        requirement_value: 10,
        reward_xp: 50,
        reward_multiplier: None,
        difficulty: None,
        refresh_cycle: None,
        created_at: at(),
    }
}

fn progress(guild: u64, user: u64, quest_id: i64, complete: bool) -> QuestProgressUpdate {
    QuestProgressUpdate {
        guild_id: guild,
        user_id: user,
        quest_id,
        progress: Some(3),
        quest_specific_progress: Some(3),
        expires_at: None,
        complete,
        at: at(),
    }
}

fn no_progress(_: u64) {}

const MEE6: &str = r#"{
  "players": [
    {"id": "11", "xp": 4675, "message_count": 300},
    {"id": "12", "xp": "10000"},
    {"id": "bad", "xp": 1}
  ],
  "role_rewards": [{"rank": 5, "role": {"id": "901"}}, {"role_id": "902", "rank": 10}]
}"#;

both_backends!(
    async fn mee6_import_recomputes_levels_and_imports_role_rewards(t) {
        let db = t.open().await;
        let plan = parse(Format::Mee6, MEE6.as_bytes()).expect("parses");
        assert_eq!(plan.skipped.len(), 1);
        let s = apply(&db, G, &plan, ImportMode::Overwrite, &SqrtCurve, &no_progress)
            .await
            .expect("imports");
        assert_eq!((s.imported, s.counts.created, s.counts.roles), (2, 2, 2));
        assert_eq!(s.counts.total_xp, 14_675);
        let m = db.get_user_level(G, 11).await.expect("read").expect("row");
        // Levels come from the curve given, not from the file.
        assert_eq!((m.xp, m.level, m.messages), (4675, SqrtCurve.level_for_xp(4675), 300));
        let roles = db.list_level_roles(G).await.expect("roles");
        let roles: Vec<(String, i32)> = roles.into_iter().map(|r| (r.role_id, r.level)).collect();
        assert_eq!(roles, [("901".to_string(), 5), ("902".to_string(), 10)]);

        // --add sums, --overwrite replaces.
        let extra = parse(Format::Experienced, br#"[{"id": "11", "xp": 25}]"#).expect("parses");
        apply(&db, G, &extra, ImportMode::Add, &SqrtCurve, &no_progress)
            .await
            .expect("adds");
        assert_eq!(db.get_user_level(G, 11).await.expect("read").expect("row").xp, 4700);
        apply(&db, G, &extra, ImportMode::Overwrite, &SqrtCurve, &no_progress)
            .await
            .expect("overwrites");
        let m = db.get_user_level(G, 11).await.expect("read").expect("row");
        assert_eq!((m.xp, m.level), (25, 0));
        assert_eq!(m.messages, 300, "counters the file does not have are kept");
    }
);

both_backends!(
    async fn a_failing_import_changes_nothing(t) {
        let db = t.open().await;
        let before = parse(Format::Experienced, br#"[{"id": "11", "xp": 7}]"#).expect("parses");
        apply(&db, G, &before, ImportMode::Overwrite, &SqrtCurve, &no_progress)
            .await
            .expect("seed");
        // Make the last step of the import (role rewards) fail inside the database, after
        // every member row was written in the same transaction.
        let raw = t.raw().await;
        raw.execute_unprepared("ALTER TABLE roles RENAME TO roles_gone")
            .await
            .expect("rename");
        let plan = parse(Format::Mee6, MEE6.as_bytes()).expect("parses");
        let err = apply(&db, G, &plan, ImportMode::Overwrite, &SqrtCurve, &no_progress)
            .await
            .expect_err("roles table missing");
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        raw.execute_unprepared("ALTER TABLE roles_gone RENAME TO roles")
            .await
            .expect("rename back");
        assert_eq!(db.count_guild_members(G).await.expect("count"), 1);
        let m = db.get_user_level(G, 11).await.expect("read").expect("row");
        assert_eq!(m.xp, 7, "member 11 keeps its XP");
        assert!(db.get_user_level(G, 12).await.expect("read").is_none());
    }
);

both_backends!(
    async fn questline_export_round_trips(t) {
        let db = t.open().await;
        let plan = parse(Format::Mee6, MEE6.as_bytes()).expect("parses");
        apply(&db, G, &plan, ImportMode::Overwrite, &SqrtCurve, &no_progress)
            .await
            .expect("imports");
        db.set_member_hidden(G, 12, true).await.expect("hide");
        db.update_server_config(G, questline::db::ServerSetting::XpRate(1.5))
            .await
            .expect("config");
        let exported = questline::import::export_guild(&db, G)
            .await
            .expect("export");
        let bytes = serde_json::to_vec(&exported).expect("json");
        let plan = parse(Format::Questline, &bytes).expect("parses its own export");
        assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
        apply(&db, G2, &plan, ImportMode::Overwrite, &SqrtCurve, &no_progress)
            .await
            .expect("imports into another guild");
        let mut again = questline::import::export_guild(&db, G2)
            .await
            .expect("export");
        let mut original = exported.clone();
        // Everything but the guild id is the same.
        original["guild"] = serde_json::Value::Null;
        again["guild"] = serde_json::Value::Null;
        original["config"]["guild_id"] = serde_json::Value::Null;
        again["config"]["guild_id"] = serde_json::Value::Null;
        assert_eq!(again, original);
        assert_eq!(again["members"].as_array().map(Vec::len), Some(2));
    }
);

both_backends!(
    async fn privacy_download_and_erasure(t) {
        let db = t.open().await;
        db.award_xp(G, 11, 500, &SqrtCurve).await.expect("xp");
        db.award_xp(G2, 11, 9, &SqrtCurve).await.expect("other guild");
        let q = db.create_quest(quest(G)).await.expect("quest");
        db.upsert_quest_progress(&progress(G, 11, q.id, false), &SqrtCurve)
            .await
            .expect("progress");
        let a = db
            .create_achievement(G, "First", "first message", "messages", 1, 5, at())
            .await
            .expect("achievement");
        db.grant_achievement(G, 11, a.id, at(), &SqrtCurve)
            .await
            .expect("grant");
        for (actor, target) in [("99", 11), ("11", 12)] {
            db.append_audit(&NewAuditEntry {
                guild_id: G,
                actor_id: actor.into(),
                target_id: target,
                delta: 10,
                reason: "test".into(),
                created_at: at(),
            })
            .await
            .expect("audit");
        }
        let data = db.member_data(G, 11).await.expect("download");
        assert_eq!(data.levels.as_ref().map(|l| l.xp), Some(505));
        assert_eq!(data.quests.len(), 1);
        assert_eq!(data.quests[0].1.as_deref(), Some("Daily chat"));
        assert_eq!(data.achievements.len(), 1);
        assert_eq!((data.xp_changes_received.len(), data.xp_changes_made.len()), (1, 1));
        serde_json::to_string(&data).expect("serialises");

        let d = db.delete_member_data(G, 11).await.expect("delete");
        assert_eq!(
            (d.levels, d.user_quests, d.user_achievements, d.audit_received, d.audit_made_anonymised),
            (1, 1, 1, 1, 1)
        );
        assert!(db.get_user_level(G, 11).await.expect("read").is_none(), "cache invalidated");
        let after = db.member_data(G, 11).await.expect("download");
        assert!(after.levels.is_none() && after.quests.is_empty() && after.achievements.is_empty());
        assert!(after.xp_changes_made.is_empty() && after.xp_changes_received.is_empty());
        // Other guilds and other members are untouched.
        assert_eq!(db.get_user_level(G2, 11).await.expect("read").map(|m| m.xp), Some(9));
        let audit = db.list_audit(G, 10, None).await.expect("audit");
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert_eq!((audit[0].actor_id.as_str(), audit[0].target_id.as_str()), ("deleted-user", "12"));
    }
);

both_backends!(
    async fn verify_finds_and_repairs_inconsistencies(t) {
        let db = t.open().await;
        db.award_xp(G, 11, 400, &SqrtCurve).await.expect("xp");
        let clean = db.find_inconsistencies().await.expect("checks");
        assert!(clean.iter().all(|f| f.rows == 0), "{clean:?}");
        assert!(db.find_level_mismatches(G, &SqrtCurve).await.expect("levels").is_empty());

        let raw = t.raw().await;
        // A level that disagrees with XP.
        raw.execute_unprepared(&format!("UPDATE levels SET level = 7 WHERE user_id = '11' AND guild_id = '{G}'"))
            .await
            .expect("corrupt level");
        // Stale progress: an unfinished row on a quest that was deactivated; a finished one
        // on the same quest is history and stays.
        let old = db.create_quest(quest(G)).await.expect("quest");
        db.upsert_quest_progress(&progress(G, 11, old.id, false), &SqrtCurve)
            .await
            .expect("progress");
        db.upsert_quest_progress(&progress(G, 12, old.id, true), &SqrtCurve)
            .await
            .expect("completed");
        // Ending quests retires their unfinished progress, so only a database changed by hand
        // (or by an older version) has such rows: end this one by hand.
        raw.execute_unprepared(&format!("UPDATE quests SET active = false WHERE id = {}", old.id))
            .await
            .expect("end quest by hand");
        // Progress pointing at another guild's quest.
        let live = db.create_quest(quest(G)).await.expect("quest");
        raw.execute_unprepared(&format!(
            "INSERT INTO user_quests (guild_id, user_id, quest_id, progress, quest_specific_progress, completed) \
             VALUES ('{G2}', '13', {}, 1, 1, false)",
            live.id
        ))
        .await
        .expect("cross-guild row");
        // An achievement earned twice (possible only without the unique index, e.g. in a
        // database restored from an old dump).
        let a = db
            .create_achievement(G, "First", "", "messages", 1, 0, at())
            .await
            .expect("achievement");
        raw.execute_unprepared("DROP INDEX ux_user_achievements_member_achievement")
            .await
            .expect("drop index");
        for _ in 0..2 {
            raw.execute_unprepared(&format!(
                "INSERT INTO user_achievements (guild_id, user_id, achievement_id, earned_at) \
                 VALUES ('{G}', '11', {}, '2026-01-05 10:00:00+00:00')",
                a.id
            ))
            .await
            .expect("grant");
        }
        // Progress of a deleted quest (foreign keys off, as in an old or hand-edited database).
        let gone = db.create_quest(quest(G)).await.expect("quest");
        db.upsert_quest_progress(&progress(G, 14, gone.id, false), &SqrtCurve)
            .await
            .expect("progress");
        match t.backend {
            Backend::Postgres => {
                raw.execute_unprepared("ALTER TABLE user_quests DROP CONSTRAINT fk_user_quests_quest")
                    .await
                    .expect("drop fk");
                raw.execute_unprepared(&format!("DELETE FROM quests WHERE id = {}", gone.id))
                    .await
                    .expect("delete quest");
            }
            Backend::Sqlite => {
                let mut opts = sea_orm::ConnectOptions::new(t.config.url.clone());
                opts.max_connections(1);
                let one = Database::connect(opts).await.expect("connect");
                one.execute_unprepared("PRAGMA foreign_keys = OFF").await.expect("fk off");
                one.execute_unprepared(&format!("DELETE FROM quests WHERE id = {}", gone.id))
                    .await
                    .expect("delete quest");
                one.close().await.expect("close");
            }
        }

        let found = db.find_inconsistencies().await.expect("checks");
        let rows = |id: &str| found.iter().find(|f| f.check == id).map(|f| f.rows);
        assert_eq!(rows("stale_quest_progress"), Some(1), "{found:?}");
        assert_eq!(rows("cross_guild_quest_progress"), Some(1), "{found:?}");
        assert_eq!(rows("duplicate_achievement_grants"), Some(1), "{found:?}");
        assert_eq!(rows("orphaned_quest_progress"), Some(1), "{found:?}");
        let mismatches = db.find_level_mismatches(G, &SqrtCurve).await.expect("levels");
        assert_eq!(mismatches.len(), 1);
        assert_eq!((mismatches[0].stored_level, mismatches[0].expected_level), (7, 2));

        assert_eq!(db.fix_levels(G, &mismatches).await.expect("fix"), 1);
        let repaired = db.repair_inconsistencies().await.expect("repair");
        assert_eq!(repaired.iter().map(|f| f.rows).sum::<u64>(), 4, "{repaired:?}");
        assert!(db.find_inconsistencies().await.expect("checks").iter().all(|f| f.rows == 0));
        assert!(db.find_level_mismatches(G, &SqrtCurve).await.expect("levels").is_empty());
        assert_eq!(db.get_user_level(G, 11).await.expect("read").map(|m| m.level), Some(2));
        let history = db.member_data(G, 12).await.expect("data");
        assert_eq!(history.quests.len(), 1, "completed progress on an inactive quest is kept");
        assert_eq!(db.member_data(G, 11).await.expect("data").achievements.len(), 1);
    }
);

both_backends!(
    async fn maintain_runs_and_reports(t) {
        let db = t.open().await;
        db.ping().await.expect("ping");
        db.award_xp(G, 11, 1, &SqrtCurve).await.expect("xp");
        let r = db.maintain().await.expect("maintain");
        assert!(!r.steps.is_empty());
        assert!(r.size_after_bytes.is_some_and(|s| s > 0), "{r:?}");
        if t.backend == Backend::Sqlite {
            assert_eq!(r.integrity.as_deref(), Some("ok"));
            let dir = tempfile::tempdir().expect("tempdir");
            let out = dir.path().join("backup.db");
            db.backup_sqlite_into(&out).await.expect("backup");
            let copy = questline::db::Db::connect(&questline::db::DatabaseConfig {
                url: format!("sqlite://{}?mode=rw", out.display()),
                run_migrations: false,
                ..Default::default()
            })
            .await
            .expect("open backup");
            assert_eq!(copy.get_user_level(G, 11).await.expect("read").map(|m| m.xp), Some(1));
        } else {
            assert!(db.backup_sqlite_into(&std::env::temp_dir().join("questline-never-written.db")).await.is_err());
        }
    }
);

both_backends!(
    async fn ending_quests_retires_their_unfinished_progress_so_verify_stays_clean(t) {
        let db = t.open().await;
        // One quest ended by an admin, one by a cycle's reset; each with an unfinished and a
        // finished member.
        let deleted = db.create_quest(quest(G)).await.expect("quest");
        let daily = db.create_quest(quest(G)).await.expect("quest");
        for q in [deleted.id, daily.id] {
            db.upsert_quest_progress(&progress(G, 21, q, false), &SqrtCurve).await.expect("progress");
            db.upsert_quest_progress(&progress(G, 22, q, true), &SqrtCurve).await.expect("completed");
        }
        db.deactivate_quests(G, &[deleted.id]).await.expect("deactivate");
        let reset = questline::db::CycleReset {
            guild_id: G,
            namespace: "questline".into(),
            period_key: "quests.daily.period".into(),
            expected_period: None,
            new_period: b"2026-01-06".to_vec(),
            generated_key: "quests.daily.generated".into(),
            deactivate: vec![daily.id],
            recreate: Vec::new(),
            generate: Vec::new(),
            at: at(),
        };
        db.reset_quest_cycle(&reset).await.expect("reset");
        let findings = db.find_inconsistencies().await.expect("checks");
        assert!(findings.iter().all(|f| f.rows == 0), "{findings:?}");
        for user in [21, 22] {
            let data = db.member_data(G, user).await.expect("member data");
            let kept: Vec<bool> = data.quests.iter().map(|(p, _)| p.completed).collect();
            // The unfinished rows are gone; the finished ones stay as history.
            assert_eq!(kept, if user == 22 { vec![true, true] } else { vec![] }, "member {user}");
        }
    }
);
