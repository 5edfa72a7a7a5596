//! What a public leaderboard shows: members in XP order with their names (escaped), 100 to
//! a page with working page links, the role rewards, a JSON API with the same rows, clear
//! answers for a bad or missing page, and the security headers on every answer.

use questline::web::board::PAGE_SIZE;
use questline_tests::both_backends;
use serde_json::Value;

use crate::support::{bot_server, get, members, set};

const G: u64 = 41771983423143937;

both_backends! {
    async fn a_public_board_pages_its_members_in_xp_order(t) {
        let db = t.open().await;
        members(&db, G, 250).await;
        set(&db, G, "leaderboard_visibility", "public").await;
        db.set_member_hidden(G, 2, true).await.unwrap();
        db.upsert_member_profiles(G, &[questline::db::MemberProfile::new(3, "<script>alert(1)</script>", None)])
            .await
            .unwrap();
        db.add_level_role(G, 555, 5, true).await.unwrap();
        let server = bot_server(&db, &[(G, "Guild & Co")]).await;
        let base = format!("http://{}", server.local_addr);

        // JSON: 249 visible members, 100 per page, XP descending, rank 1 first.
        let (status, headers, body) = get(&format!("{base}/api/v1/guilds/{G}/leaderboard")).await;
        assert_eq!(status, 200, "{body}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((json["total"].as_i64(), json["pages"].as_u64(), json["page"].as_u64()), (Some(249), Some(3), Some(1)));
        assert_eq!(json["guild"]["id"], G.to_string());
        let rows = json["members"].as_array().unwrap();
        assert_eq!(rows.len() as u64, PAGE_SIZE);
        assert_eq!((rows[0]["rank"].as_i64(), rows[0]["user_id"].as_str(), rows[0]["name"].as_str()), (Some(1), Some("1"), Some("member 1")));
        assert_eq!(rows[1]["user_id"], "3", "the hidden member 2 is left out");
        assert!(rows.windows(2).all(|w| w[0]["xp"].as_i64() >= w[1]["xp"].as_i64()), "XP order");
        for key in ["rank", "user_id", "name", "level", "xp", "messages"] {
            assert!(rows[0].get(key).is_some(), "{key} in {}", rows[0]);
        }
        assert_eq!(json["rewards"][0]["role_id"], "555");
        let (_, _, body3) = get(&format!("{base}/api/v1/guilds/{G}/leaderboard?page=3")).await;
        let last: Value = serde_json::from_str(&body3).unwrap();
        assert_eq!(last["members"].as_array().unwrap().len(), 49);
        assert_eq!(last["members"][48]["user_id"], "250");

        // The page: same order, the name escaped, links to the next page only.
        let (status, headers, html) = get(&format!("{base}/g/{G}")).await;
        assert_eq!(status, 200);
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "names are escaped");
        assert!(!html.contains("<script>"), "no script on the page");
        assert!(html.contains("Guild &amp; Co"));
        assert!(html.contains("Page 1 of 3"));
        assert!(html.contains(r#"href="/g/41771983423143937?page=2""#), "a next link");
        assert!(!html.contains("rel=\"prev\""), "no previous link on page 1");
        assert!(html.find("member 1<").unwrap() < html.find("member 4<").unwrap(), "XP order");
        assert!(html.contains("Level 5"), "role rewards listed");
        let (_, _, page3) = get(&format!("{base}/g/{G}?page=3")).await;
        assert!(page3.contains("rel=\"prev\"") && !page3.contains("rel=\"next\""));

        // Bad and missing pages say what to do.
        let (status, _, body) = get(&format!("{base}/g/{G}?page=abc")).await;
        assert_eq!(status, 400);
        assert!(body.contains("not a page number"), "{body}");
        let (status, _, body) = get(&format!("{base}/api/v1/guilds/{G}/leaderboard?page=4")).await;
        assert_eq!(status, 404);
        assert!(body.contains("pages go from 1 to 3") || body.contains("has 3 pages"), "{body}");
        assert_eq!(get(&format!("{base}/g/{G}?page=0")).await.0, 400);

        // Headers on every answer, the style sheet cacheable for good.
        for path in [format!("/g/{G}"), format!("/api/v1/guilds/{G}/leaderboard"), "/nope".to_string()] {
            let (_, h, _) = get(&format!("{base}{path}")).await;
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert_eq!(h["x-content-type-options"], "nosniff");
        }
        let css_href = html.split("href=\"/assets/app.css").nth(1).and_then(|s| s.split('"').next()).unwrap();
        let (status, h, css) = get(&format!("{base}/assets/app.css{css_href}")).await;
        assert_eq!(status, 200);
        assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
        assert!(css.contains("prefers-color-scheme"));
        server.stop().await;
    }
}
