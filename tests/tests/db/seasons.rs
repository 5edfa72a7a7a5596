//! Periodic leaderboards and seasons (`db/seasons.rs`): gains counted per ISO week, month and
//! running season in the transaction that makes them, what moderators' changes do to them,
//! hidden and away members left out, a season's end archiving its top, moving its role and
//! resetting level XP into lifetime XP, and old totals pruned.

use questline_tests::both_backends;

use chrono::{DateTime, TimeZone, Utc};

use crate::support::{G, SqrtCurve};
use questline::db::seasons::{month_key, season_key, week_key};
use questline::db::{
    ActivityBatch, Away, ManualXp, MemberDelta, NewAuditEntry, NewOutboxEntry, NewSeason,
    OutboxKind, SeasonEffects, SeasonEnd,
};

fn day(month: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, d, 12, 0, 0).unwrap()
}

/// One batch at `at`: each `(user, xp)` earned by chatting.
fn batch(at: DateTime<Utc>, gains: &[(u64, i64)]) -> ActivityBatch {
    ActivityBatch {
        members: gains
            .iter()
            .map(|(u, xp)| MemberDelta {
                xp: *xp,
                messages: 1,
                ..MemberDelta::new(G, *u)
            })
            .collect(),
        at: Some(at),
        ..Default::default()
    }
}

/// `(user, xp)` of a board page.
fn users(rows: &[questline::db::LeaderboardEntry]) -> Vec<(u64, i64)> {
    rows.iter()
        .map(|r| (r.user_id.parse().unwrap(), r.xp))
        .collect()
}

fn manual(user: u64, at: DateTime<Utc>) -> NewAuditEntry {
    NewAuditEntry {
        guild_id: G,
        actor_id: "9".into(),
        target_id: user,
        delta: 0,
        reason: String::new(),
        created_at: at,
    }
}

fn season(name: &str, top_n: i32, role: Option<u64>, reset: bool) -> NewSeason {
    NewSeason {
        guild_id: G,
        name: name.into(),
        started_at: day(12, 1),
        ends_at: None,
        top_n,
        role_id: role,
        reset_xp: reset,
        started_by: 9,
        announce_channel: Some(5),
    }
}

/// One outbox notice per season end, to check it commits with the end.
struct Notice;

impl SeasonEffects for Notice {
    fn outbox(&self, end: &SeasonEnd) -> Vec<NewOutboxEntry> {
        vec![NewOutboxEntry {
            guild_id: G,
            user_id: 0,
            kind: OutboxKind::Notice,
            payload: format!("season {} ended", end.season.name),
            expires_at: None,
        }]
    }
}

#[test]
fn period_keys_are_iso_weeks_and_months_in_utc() {
    assert_eq!(week_key(day(12, 7)), "week:2026-W50");
    // ISO years: 2027-01-01 is a Friday of 2026's last week.
    assert_eq!(
        week_key(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
        "week:2026-W53"
    );
    assert_eq!(month_key(day(3, 31)), "month:2026-03");
    assert_eq!(season_key(7), "season:7");
}

both_backends! {
    async fn period_boards_count_what_was_gained_in_each_week_and_month(t) {
        let db = t.open().await;
        // Monday 7 and Monday 14 December are two weeks of one month; 30 November another month.
        db.apply_batch(batch(day(12, 7), &[(1, 100), (2, 50)]), &SqrtCurve).await.unwrap();
        db.apply_batch(batch(day(12, 14), &[(2, 80)]), &SqrtCurve).await.unwrap();
        db.apply_batch(batch(day(11, 30), &[(3, 500)]), &SqrtCurve).await.unwrap();

        let board = |key: String| {
            let db = db.clone();
            async move { users(&db.period_board(G, &key, 0, 10).await.unwrap()) }
        };
        assert_eq!(board(week_key(day(12, 7))).await, vec![(1, 100), (2, 50)]);
        assert_eq!(board(week_key(day(12, 14))).await, vec![(2, 80)]);
        assert_eq!(board(month_key(day(12, 7))).await, vec![(2, 130), (1, 100)]);
        assert_eq!(board(month_key(day(11, 30))).await, vec![(3, 500)]);
        // The all-time board is untouched by periods.
        let all: Vec<_> = db.leaderboard_page(G, 0, 10).await.unwrap().iter().map(|r| (r.user_id.parse::<u64>().unwrap(), r.xp)).collect();
        assert_eq!(all, vec![(3, 500), (2, 130), (1, 100)]);
        // Ranks and paging work as on the all-time board.
        let page2 = db.period_board(G, &month_key(day(12, 7)), 1, 1).await.unwrap();
        assert_eq!((page2[0].rank, page2[0].user_id.as_str()), (2, "1"));

        // A page is a walk of the period board index (SQLite plans it so at any size;
        // PostgreSQL picks by table statistics, and plans it so on a large guild).
        if t.backend == crate::support::Backend::Sqlite {
            let plan = db.period_board_plan(G, &month_key(day(12, 7))).await.unwrap().join("; ");
            assert!(plan.contains("ix_period_xp_board"), "{plan}");
        }

        // A moderator's addition and removal count in the current periods; a set does not,
        // except as a loss.
        let week = week_key(day(12, 7));
        db.apply_manual_xp(ManualXp::Delta(40), &manual(1, day(12, 8)), &SqrtCurve, None).await.unwrap();
        assert_eq!(board(week.clone()).await, vec![(1, 140), (2, 50)]);
        db.apply_manual_xp(ManualXp::Set(10_000), &manual(2, day(12, 8)), &SqrtCurve, None).await.unwrap();
        assert_eq!(board(week.clone()).await, vec![(1, 140), (2, 50)], "a raise is not a gain");
        db.apply_manual_xp(ManualXp::Delta(-1_000), &manual(1, day(12, 8)), &SqrtCurve, None).await.unwrap();
        assert_eq!(board(week.clone()).await, vec![(2, 50)], "a removal takes the week's XP to 0");
        db.apply_manual_xp(ManualXp::Set(0), &manual(2, day(12, 9)), &SqrtCurve, None).await.unwrap();
        assert_eq!(board(week.clone()).await, vec![], "a reset takes it all");

        // Hidden and away members are left out while they are.
        db.apply_batch(batch(day(12, 9), &[(1, 10), (2, 20), (3, 30)]), &SqrtCurve).await.unwrap();
        db.set_member_hidden(G, 3, true).await.unwrap();
        db.mark_away(G, 2, Away::Banned).await.unwrap();
        assert_eq!(board(week.clone()).await, vec![(1, 10)]);
        db.set_member_hidden(G, 3, false).await.unwrap();
        assert_eq!(board(week.clone()).await, vec![(3, 30), (1, 10)]);

        // Totals older than the kept weeks go; this month's stay.
        let pruned = db.prune_period_xp(day(12, 9) + chrono::TimeDelta::weeks(13)).await.unwrap();
        assert!(pruned >= 3, "pruned {pruned}");
        assert!(board(week).await.is_empty());
        // Member 1's removal took December's 140 too; member 2 is banned.
        assert_eq!(board(month_key(day(12, 7))).await, vec![(3, 30), (1, 10)]);
    }
}

both_backends! {
    async fn a_season_is_archived_and_its_board_is_right_after_a_reset(t) {
        let db = t.open().await;
        // Member 1 has XP from before the season.
        db.apply_batch(batch(day(11, 20), &[(1, 1_000)]), &SqrtCurve).await.unwrap();
        let s = db.start_season(&season("Winter", 2, Some(77), true)).await.unwrap();
        let again = db.start_season(&season("Spring", 2, None, false)).await.unwrap_err().to_string();
        assert!(again.contains("Winter") && again.contains("/season end"), "{again}");
        assert_eq!(db.running_season(G).await.unwrap().map(|r| r.id), Some(s.id));

        db.apply_batch(batch(day(12, 2), &[(1, 100), (2, 300), (3, 200), (4, 1_000)]), &SqrtCurve).await.unwrap();
        db.set_member_hidden(G, 4, true).await.unwrap();
        let key = season_key(s.id);
        assert_eq!(users(&db.period_board(G, &key, 0, 10).await.unwrap()), vec![(2, 300), (3, 200), (1, 100)]);

        let before = db.pending_effects().await.unwrap();
        let end = db.end_season(G, s.id, day(12, 20), &SqrtCurve, Some(&Notice)).await.unwrap().expect("ended");
        let placed: Vec<(i32, &str, i64)> = end.standings.iter().map(|p| (p.rank, p.user_id.as_str(), p.xp)).collect();
        assert_eq!(placed, vec![(1, "2", 300), (2, "3", 200)], "the top 2, the hidden member left out");
        assert_eq!(end.reset_members, 4);
        assert!(end.role_leaves.is_empty());
        assert_eq!(db.pending_effects().await.unwrap(), before + 1, "effects commit with the end");
        assert!(db.end_season(G, s.id, day(12, 21), &SqrtCurve, Some(&Notice)).await.unwrap().is_none(), "ends once");
        assert_eq!(db.pending_effects().await.unwrap(), before + 1);

        // Archived and viewable, through a fresh handle.
        let fresh = t.open().await;
        assert!(fresh.running_season(G).await.unwrap().is_none());
        let ended = fresh.ended_seasons(G, 10).await.unwrap();
        assert_eq!((ended.len(), ended[0].name.as_str(), ended[0].ended_at), (1, "Winter", Some(day(12, 20))));
        let kept: Vec<(i32, String, i64)> = fresh.season_standings(s.id).await.unwrap().into_iter().map(|p| (p.rank, p.user_id, p.xp)).collect();
        assert_eq!(kept, vec![(1, "2".into(), 300), (2, "3".into(), 200)]);
        assert!(fresh.period_board(G, &key, 0, 10).await.unwrap().is_empty(), "the season's totals are gone");

        // Levels restart; lifetime XP is kept.
        let one = fresh.get_user_level(G, 1).await.unwrap().unwrap();
        assert_eq!((one.xp, one.level, one.carried_xp), (0, 0, 1_100));
        assert_eq!(db.get_user_level(G, 1).await.unwrap().unwrap().xp, 0, "the writer's cache was dropped");
        db.apply_batch(batch(day(12, 21), &[(3, 50), (1, 20)]), &SqrtCurve).await.unwrap();
        let all: Vec<(String, i64)> = db.leaderboard_page(G, 0, 2).await.unwrap().into_iter().map(|r| (r.user_id, r.xp)).collect();
        assert_eq!(all, vec![("3".into(), 50), ("1".into(), 20)], "the board after the reset");
        let rank = db.member_rank(G, 1).await.unwrap().unwrap();
        assert_eq!((rank.rank, rank.xp, rank.lifetime_xp), (2, 20, 1_120));
        let exported = db.export_guild_levels(G).await.unwrap();
        assert_eq!(exported.iter().find(|r| r.user_id == "1").map(|r| r.carried_xp), Some(1_100), "exports keep lifetime XP");

        // The next season with the same role: last season's top who did not place again
        // lose it.
        let s2 = db.start_season(&NewSeason { name: "Spring".into(), started_at: day(12, 21), ..season("x", 2, Some(77), false) }).await.unwrap();
        db.apply_batch(batch(day(12, 22), &[(3, 10), (5, 40)]), &SqrtCurve).await.unwrap();
        let end2 = db.end_season(G, s2.id, day(12, 23), &SqrtCurve, None).await.unwrap().unwrap();
        let placed: Vec<&str> = end2.standings.iter().map(|p| p.user_id.as_str()).collect();
        assert_eq!(placed, vec!["5", "3"]);
        assert_eq!(end2.role_leaves, vec!["2".to_string()]);
        assert_eq!(end2.reset_members, 0);
        assert_eq!(db.get_user_level(G, 5).await.unwrap().unwrap().xp, 40, "no reset this time");

        // A member's erasure takes their places and totals with it; their download shows them.
        let data = db.member_data(G, 3).await.unwrap();
        assert_eq!(data.season_places.iter().map(|p| (p.season.as_str(), p.rank)).collect::<Vec<_>>(), vec![("Winter", 2), ("Spring", 2)]);
        assert!(data.period_xp.iter().any(|p| p.period == month_key(day(12, 22)) && p.xp == 260));
        let gone = db.delete_member_data(G, 3).await.unwrap();
        assert_eq!(gone.season_standings, 2);
        assert!(gone.period_xp >= 2);
        assert_eq!(db.season_standings(s.id).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn seasons_end_by_themselves_and_refuse_bad_settings(t) {
        let db = t.open().await;
        for (bad, field) in [
            (NewSeason { name: " ".into(), ..season("x", 3, None, false) }, "name"),
            (NewSeason { top_n: 0, ..season("x", 3, None, false) }, "top"),
            (NewSeason { ends_at: Some(day(11, 1)), ..season("x", 3, None, false) }, "ends"),
        ] {
            let e = db.start_season(&bad).await.unwrap_err().to_string();
            assert!(e.contains(field), "{field}: {e}");
        }
        let s = db.start_season(&NewSeason { ends_at: Some(day(12, 10)), ..season("Sprint", 3, None, false) }).await.unwrap();
        assert!(db.due_seasons(day(12, 9)).await.unwrap().is_empty());
        let due = db.due_seasons(day(12, 10)).await.unwrap();
        assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), vec![s.id]);
    }
}
