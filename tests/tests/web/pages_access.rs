//! Who gets the member page and the dashboard of the real bot (against the fake Discord),
//! route by route: an anonymous visitor, a member, a member of another server only, the
//! server's manager and an expired session, whatever the board's visibility (a member's own
//! page does not depend on who may see the board). Every form refuses a missing, forged or
//! other session's CSRF token, and changes nothing.

use questline::db::{SessionGuild, WebSession};
use questline::web::auth;
use questline_tests::fake_discord::oauth::{MANAGE_GUILD, OAuthUser, SEND_MESSAGES};
use questline_tests::fake_discord::{ALICE, FakeDiscord, GUILD};
use reqwest::multipart;

use crate::login::log_in;
use crate::support::{bot_with_web, set};

const CAROL: u64 = 200_000_000_000_000_003;
const OTTO: u64 = 200_000_000_000_000_004;
/// A server the bot is not in.
const OTHER: u64 = 81_771_983_423_143_937;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn status(url: &str, cookie: Option<&str>) -> u16 {
    let mut req = client().get(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("request").status().as_u16()
}

/// The CSRF token on a page the session can open.
async fn csrf_of(url: &str, cookie: &str) -> String {
    let html = client()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no csrf field on {url}: {html}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_visitor_gets_exactly_what_the_member_page_and_the_dashboard_allow() {
    let fake = FakeDiscord::start().await;
    let (t, base) = bot_with_web(&fake).await;
    let db = t.bot.db.clone();
    // The guild has pages once its GUILD_CREATE arrived.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while status(&format!("{base}/g/{GUILD}"), None).await == 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "no pages for the guild"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Alice owns the fixture guild; Carol is a member; Otto is only on another server.
    let user = |id, name: &str, guilds| OAuthUser {
        id,
        name: name.into(),
        guilds,
    };
    let (manager, _) = log_in(
        &base,
        &fake,
        user(ALICE, "Alice", vec![(GUILD, MANAGE_GUILD)]),
        "/",
    )
    .await;
    let (member, _) = log_in(
        &base,
        &fake,
        user(CAROL, "Carol", vec![(GUILD, SEND_MESSAGES)]),
        "/",
    )
    .await;
    let (outsider, _) = log_in(
        &base,
        &fake,
        user(OTTO, "Otto", vec![(OTHER, MANAGE_GUILD)]),
        "/",
    )
    .await;
    let expired = auth::random_token();
    db.create_web_session(
        &auth::hash(&expired),
        &WebSession {
            user_id: ALICE,
            user_name: "Alice".into(),
            avatar: None,
            guilds: vec![SessionGuild {
                id: GUILD,
                manager: true,
            }],
            csrf: auth::random_token(),
            expires_at_ms: chrono::Utc::now().timestamp_millis() - 1_000,
        },
        0,
    )
    .await
    .expect("expired session");
    let expired = format!("{}={expired}", auth::COOKIE);

    let viewers: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("member", Some(&member)),
        ("outsider", Some(&outsider)),
        ("manager", Some(&manager)),
        ("expired", Some(&expired)),
    ];
    let routes: [(&str, [u16; 5]); 4] = [
        ("me", [401, 200, 403, 200, 401]),
        ("me/data.json", [401, 200, 403, 200, 401]),
        ("admin", [401, 403, 403, 200, 401]),
        ("admin/export.json", [401, 403, 403, 200, 401]),
    ];
    for visibility in ["members", "off", "public"] {
        set(&db, GUILD, "leaderboard_visibility", visibility).await;
        for (route, want) in routes {
            let url = format!("{base}/g/{GUILD}/{route}");
            for ((who, cookie), want) in viewers.iter().zip(want) {
                assert_eq!(
                    status(&url, *cookie).await,
                    want,
                    "{route}, board {visibility}, {who}"
                );
            }
        }
        // A server the bot is not in has no pages for anyone.
        for (who, cookie) in viewers {
            for route in ["me", "admin"] {
                assert_eq!(
                    status(&format!("{base}/g/{OTHER}/{route}"), cookie).await,
                    404,
                    "{route} of a foreign server, {who}"
                );
            }
        }
    }

    // Forms: the manager's own token works; none, a forged one or the member's is refused.
    set(&db, GUILD, "leaderboard_visibility", "members").await;
    let manager_csrf = csrf_of(&format!("{base}/g/{GUILD}/admin"), &manager).await;
    let member_csrf = csrf_of(&format!("{base}/g/{GUILD}/me"), &member).await;
    let forged = auth::random_token();
    let forms: [(&str, Vec<(&str, &str)>); 5] = [
        ("me/privacy", vec![("show", "off")]),
        ("me/erase", vec![("confirm", "true")]),
        ("me/card", vec![("action", "reset")]),
        (
            "admin/config",
            vec![("setting", "leaderboard_visibility"), ("value", "off")],
        ),
        (
            "admin/action",
            vec![("action", "level-roles remove"), ("role", "1")],
        ),
    ];
    let before = db.get_server_config(GUILD).await.expect("config");
    for (route, fields) in &forms {
        let url = format!("{base}/g/{GUILD}/{route}");
        for (what, token) in [
            ("no token", None),
            ("a forged token", Some(forged.as_str())),
            ("another session's token", Some(member_csrf.as_str())),
        ] {
            let mut form = fields.clone();
            if let Some(token) = token {
                form.push(("csrf", token));
            }
            let res = client()
                .post(&url)
                .header("cookie", &manager)
                .form(&form)
                .send()
                .await
                .expect("post");
            assert_eq!(res.status(), 403, "{route} with {what}");
        }
        // Anonymous: asked to log in.
        let mut form = fields.clone();
        form.push(("csrf", manager_csrf.as_str()));
        let res = client().post(&url).form(&form).send().await.expect("post");
        assert_eq!(res.status(), 401, "{route} anonymously");
    }
    // The import upload, multipart: refused without the token too.
    let upload = multipart::Form::new().text("format", "questline").part(
        "file",
        multipart::Part::bytes(b"{}".to_vec()).file_name("x.json"),
    );
    let res = client()
        .post(format!("{base}/g/{GUILD}/admin/import"))
        .header("cookie", &manager)
        .multipart(upload)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 403, "an import without a token");
    let after = db.get_server_config(GUILD).await.expect("config");
    assert_eq!(
        after.leaderboard_visibility, before.leaderboard_visibility,
        "nothing changed"
    );
    let row = db.get_user_level(GUILD, ALICE).await.expect("level");
    assert!(row.is_none_or(|r| !r.hidden), "nothing changed");

    // With her own token the same change is made.
    let res = client()
        .post(format!("{base}/g/{GUILD}/admin/config"))
        .header("cookie", &manager)
        .form(&[
            ("csrf", manager_csrf.as_str()),
            ("setting", "leaderboard_visibility"),
            ("value", "off"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    assert_eq!(
        db.get_server_config(GUILD)
            .await
            .expect("config")
            .leaderboard_visibility,
        "off"
    );
    t.bot.shutdown().await;
}
