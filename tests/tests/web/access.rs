//! Who gets a guild's leaderboard, page and API alike: an anonymous visitor sees a public
//! board, is asked to log in for a members' or managers' board, and finds nothing at all
//! for an `off` board, a guild the bot is not in, or a malformed id. Public boards carry
//! `noindex` unless the guild opts in.

use questline_tests::both_backends;

use crate::support::{bot_server, get, members, set};

const G: u64 = 41771983423143937;
const OTHER: u64 = 81771983423143937;

both_backends! {
    async fn an_anonymous_visitor_gets_what_each_visibility_allows(t) {
        let db = t.open().await;
        members(&db, G, 3).await;
        members(&db, OTHER, 2).await;
        let server = bot_server(&db, &[(G, "Guild One")]).await;
        let base = format!("http://{}", server.local_addr);
        let page = format!("{base}/g/{G}");
        let api = format!("{base}/api/v1/guilds/{G}/leaderboard");

        // The default is `members`: a visitor must log in.
        let (status, _, body) = get(&page).await;
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("not public"), "{body}");
        assert!(!body.contains("member 1"), "no member is shown: {body}");
        let (status, _, body) = get(&api).await;
        assert_eq!(status, 401);
        assert!(body.contains("\"error\""), "{body}");

        for (visibility, want) in [("public", 200), ("members", 401), ("managers", 401), ("off", 404)] {
            set(&db, G, "leaderboard_visibility", visibility).await;
            assert_eq!(get(&page).await.0, want, "page, {visibility}");
            assert_eq!(get(&api).await.0, want, "api, {visibility}");
        }

        // `off` looks exactly like a guild without a board.
        let (_, _, off) = get(&page).await;
        let (status, _, unknown) = get(&format!("{base}/g/{OTHER}")).await;
        assert_eq!(status, 404, "a guild the bot is not in has no pages even with members stored");
        assert_eq!(off, unknown);
        for path in ["/g/abc", "/g/0", "/g/99999999999999999999999", "/nothing/here"] {
            assert_eq!(get(&format!("{base}{path}")).await.0, 404, "{path}");
        }

        // Public: noindex unless the guild opts in.
        set(&db, G, "leaderboard_visibility", "public").await;
        let (_, _, body) = get(&page).await;
        assert!(body.contains(r#"<meta name="robots" content="noindex, nofollow">"#), "{body}");
        set(&db, G, "leaderboard_indexable", "on").await;
        let (_, _, body) = get(&page).await;
        assert!(!body.contains("noindex"), "an opted-in public board may be indexed");
        // Opting in does nothing for a board that is not public.
        set(&db, G, "leaderboard_visibility", "members").await;
        assert_eq!(get(&page).await.0, 401);
        server.stop().await;
    }
}
