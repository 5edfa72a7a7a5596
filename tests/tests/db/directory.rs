//! The member directory and the web leaderboard's reads on both backends: names and avatars
//! are stored and replaced, the board pages in XP order with ties sharing a rank, hidden
//! members are left out (and not counted), members the bot has not seen come without a
//! name, and `/gdpr` downloads and erases a member's profile with the rest of their data.

use questline::db::{ActivityCounter, MemberProfile};
use questline_tests::both_backends;

use crate::support::{G, SqrtCurve};

both_backends! {
    async fn profiles_are_stored_replaced_and_erased_with_the_member(t) {
        let db = t.open().await;
        db.upsert_member_profiles(G, &[
            MemberProfile::new(1, "Alice", Some("abc123")),
            MemberProfile::new(2, "Bob", None),
        ]).await.unwrap();
        // Another guild's directory is its own.
        db.upsert_member_profiles(7, &[MemberProfile::new(1, "Alice elsewhere", None)]).await.unwrap();
        db.upsert_member_profiles(G, &[MemberProfile::new(1, "Alice B.", None)]).await.unwrap();

        let mut got = db.member_profiles(G, &[1, 2, 3]).await.unwrap();
        got.sort_by_key(|p| p.user_id);
        assert_eq!(got, vec![MemberProfile::new(1, "Alice B.", None), MemberProfile::new(2, "Bob", None)]);
        assert_eq!(db.member_profile(7, 1).await.unwrap().unwrap().display_name, "Alice elsewhere");

        // Many at once (more than one INSERT's worth of rows).
        let many: Vec<MemberProfile> = (1_000..2_200).map(|u| MemberProfile::new(u, &format!("m{u}"), None)).collect();
        db.upsert_member_profiles(G, &many).await.unwrap();
        let ids: Vec<u64> = (1_000..2_200).collect();
        assert_eq!(db.member_profiles(G, &ids).await.unwrap().len(), 1_200);

        db.award_xp(G, 1, 50, &SqrtCurve).await.unwrap();
        let data = db.member_data(G, 1).await.unwrap();
        assert_eq!(data.profile.as_ref().map(|p| p.display_name.as_str()), Some("Alice B."));
        let deleted = db.delete_member_data(G, 1).await.unwrap();
        assert_eq!(deleted.profile, 1);
        assert_eq!(db.member_profile(G, 1).await.unwrap(), None);
        assert!(db.member_profile(7, 1).await.unwrap().is_some(), "only that guild's data is erased");
    }
}

both_backends! {
    async fn the_web_board_pages_by_xp_with_names_and_without_hidden_members(t) {
        let db = t.open().await;
        for (user, xp) in [(1, 500), (2, 900), (3, 500), (4, 100), (5, 2_000)] {
            db.award_xp(G, user, xp, &SqrtCurve).await.unwrap();
        }
        db.update_activity_counter(G, 2, ActivityCounter::Messages, 42).await.unwrap();
        db.set_member_hidden(G, 5, true).await.unwrap();
        db.upsert_member_profiles(G, &[
            MemberProfile::new(2, "Bea", Some("a_ffee")),
            MemberProfile::new(4, "<b>Dee</b>", None),
        ]).await.unwrap();

        assert_eq!(db.visible_members(G).await.unwrap(), 4, "the hidden member is not counted");
        let page = db.leaderboard_rows(G, 0, 3).await.unwrap();
        let got: Vec<(i64, u64, i64, Option<&str>)> =
            page.iter().map(|r| (r.rank, r.user_id, r.xp, r.name.as_deref())).collect();
        assert_eq!(got, vec![(1, 2, 900, Some("Bea")), (2, 1, 500, None), (2, 3, 500, None)]);
        assert_eq!((page[0].messages, page[0].avatar.as_deref(), page[0].level), (42, Some("a_ffee"), 3));
        let page2 = db.leaderboard_rows(G, 1, 3).await.unwrap();
        assert_eq!(page2.iter().map(|r| (r.rank, r.user_id, r.name.as_deref())).collect::<Vec<_>>(),
            vec![(4, 4, Some("<b>Dee</b>"))], "names are stored as given; pages escape them");
        assert!(db.leaderboard_rows(G, 2, 3).await.unwrap().is_empty());
        assert!(db.leaderboard_rows(G, 0, 101).await.is_err());
        assert_eq!(db.visible_members(99).await.unwrap(), 0);
    }
}

both_backends! {
    async fn members_away_are_off_the_board_and_pages_walk_its_index(t) {
        use questline::db::Away;
        let db = t.open().await;
        for (user, xp) in [(1, 500), (2, 900), (3, 300)] {
            db.award_xp(G, user, xp, &SqrtCurve).await.unwrap();
        }
        let board = || async { db.leaderboard_rows(G, 0, 10).await.unwrap().iter().map(|r| r.user_id).collect::<Vec<_>>() };
        // Banned: off the board, the counts and /rank; data kept.
        assert!(db.mark_away(G, 2, Away::Banned).await.unwrap());
        assert_eq!(board().await, vec![1, 3]);
        assert_eq!(db.visible_members(G).await.unwrap(), 2);
        assert!(db.member_rank(G, 2).await.unwrap().is_none());
        assert_eq!(db.member_rank(G, 1).await.unwrap().map(|r| (r.rank, r.total)), Some((1, 2)));
        // Leaving does not lift a ban, coming back does not either; the unban does.
        assert!(!db.mark_away(G, 2, Away::Left).await.unwrap());
        assert!(!db.mark_away(G, 2, Away::Returned).await.unwrap());
        assert!(db.mark_away(G, 2, Away::Unbanned { must_rejoin: false }).await.unwrap());
        assert_eq!(board().await, vec![2, 1, 3]);
        // Left, then active again: back without a join event.
        assert!(db.mark_away(G, 3, Away::Left).await.unwrap());
        assert_eq!(board().await, vec![2, 1]);
        let active = questline::db::ActivityBatch {
            members: vec![questline::db::MemberDelta { xp: 5, messages: 1, total_messages: 1, ..questline::db::MemberDelta::new(G, 3) }],
            ..Default::default()
        };
        db.apply_batch(active, &SqrtCurve).await.unwrap();
        // A moderator's change alone does not bring a departed member back.
        assert!(db.mark_away(G, 1, Away::Left).await.unwrap());
        db.award_xp(G, 1, 10, &SqrtCurve).await.unwrap();
        assert_eq!(board().await, vec![2, 3], "1 left; 3 is back after a message");
        // A member with no row gets none.
        assert!(!db.mark_away(G, 77, Away::Banned).await.unwrap());
        assert!(db.get_user_level(G, 77).await.unwrap().is_none());

        // The page is read through the board index (the benchmark shows, on 100,000
        // members, that it is walked in order with no sort).
        let plan = db.leaderboard_plan(G, 0, 100).await.unwrap().join("\n");
        assert!(plan.contains("ix_levels_guild_listed_xp"), "{plan}");
    }
}
