//! No lost updates: 1,000 concurrent awards end with exact sums on both backends.

use questline_tests::both_backends;

use std::sync::Arc;

use crate::support::{G, SqrtCurve};
use futures::future::join_all;

both_backends! {
    async fn thousand_concurrent_awards_one_member(t) {
        let db = t.open_with(|c| c.max_connections = 16).await;
        let curve = Arc::new(SqrtCurve);
        let tasks = (0..1_000).map(|i| {
            let db = db.clone();
            let curve = curve.clone();
            tokio::spawn(async move { db.award_xp(G, 1, 1 + (i % 3), curve.as_ref()).await })
        });
        let mut level_ups = 0;
        for r in join_all(tasks).await {
            let out = r.expect("task").expect("award");
            assert!(out.new_xp > out.old_xp && out.new_xp - out.old_xp <= 3, "{out:?}");
            if out.leveled_up() { level_ups += 1; }
        }
        let expected: i64 = (0..1_000).map(|i| 1 + (i % 3)).sum();
        let row = db.get_user_level(G, 1).await.unwrap().unwrap();
        assert_eq!(row.xp, expected);
        assert_eq!(row.level, (expected as f64 / 100.0).sqrt().floor() as i32);
        // Each level boundary was crossed by exactly one award: outcomes are serialisable.
        assert_eq!(level_ups, row.level);
    }
}

both_backends! {
    async fn thousand_concurrent_awards_many_members(t) {
        let db = t.open_with(|c| c.max_connections = 16).await;
        let tasks = (0..1_000i64).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let user = (i % 50) as u64;
                db.award_xp(G, user, i % 7 + 1, &SqrtCurve).await
            })
        });
        for r in join_all(tasks).await {
            r.expect("task").expect("award");
        }
        for m in 0..50i64 {
            let expected: i64 = (0..1_000i64).filter(|i| i % 50 == m).map(|i| i % 7 + 1).sum();
            let row = db.get_user_level(G, m as u64).await.unwrap().unwrap();
            assert_eq!(row.xp, expected, "member u{m}");
        }
    }
}

both_backends! {
    async fn concurrent_grants_of_one_achievement_award_once(t) {
        let db = t.open().await;
        let a = db.create_achievement(G, "Race", "", "level", 1, 10, chrono::Utc::now()).await.unwrap();
        let tasks = (0..50).map(|_| {
            let db = db.clone();
            tokio::spawn(async move { db.grant_achievement(G, 1, a.id, chrono::Utc::now(), &SqrtCurve).await })
        });
        let granted = join_all(tasks)
            .await
            .into_iter()
            .filter(|r| r.as_ref().expect("task").as_ref().expect("grant").is_some())
            .count();
        assert_eq!(granted, 1);
        assert_eq!(db.get_user_level(G, 1).await.unwrap().unwrap().xp, 10);
    }
}

both_backends! {
    async fn concurrent_batches_over_the_same_members_sum_exactly(t) {
        use questline::db::{ActivityBatch, MemberDelta};
        let db = t.open_with(|c| c.max_connections = 8).await;
        let tasks = (0..40usize).map(|b| {
            let db = db.clone();
            tokio::spawn(async move {
                // Each batch lists the same ten members in a different order.
                let mut members: Vec<MemberDelta> = (0..10)
                    .map(|m| MemberDelta { xp: 3, messages: 1, ..MemberDelta::new(G, m) })
                    .collect();
                members.rotate_left(b % 10);
                if b % 2 == 0 {
                    members.reverse();
                }
                db.apply_batch(ActivityBatch { members, ..Default::default() }, &SqrtCurve).await
            })
        });
        for r in join_all(tasks).await {
            r.expect("task").expect("batch");
        }
        for m in 0..10 {
            let row = db.get_user_level(G, m).await.unwrap().unwrap();
            assert_eq!((row.xp, row.messages), (120, 40), "member m{m}");
        }
    }
}
