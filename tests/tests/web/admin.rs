//! The server dashboard of the real bot, against the fake Discord: the owner changes a
//! setting in a real headless Chromium and the bot uses it at once (the board turns public);
//! a bad value gets `/config set`'s own answer; a member whose week-old login still says
//! "manager" but who lost Manage Server on Discord is refused the change (Discord is asked
//! before every change), and a plain member never sees the dashboard.

use questline::db::LeaderboardVisibility;
use questline_tests::browser::{Browser, Locator};
use questline_tests::fake_discord::harness::{start_bot_with, test_config};
use questline_tests::fake_discord::oauth::{MANAGE_GUILD, OAuthUser, SEND_MESSAGES};
use questline_tests::fake_discord::{ALICE, BOB, FakeDiscord, GUILD};

use crate::login::log_in;

const CAROL: u64 = 200_000_000_000_000_003;

async fn text(b: &Browser, css: &str) -> String {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_changes_a_setting_and_discord_is_asked_before_every_change() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(&fake, dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    config.web.listen = Some(format!("127.0.0.1:{port}"));
    config.web.public_url = Some(base.clone());
    config.web.client_id = Some(1234);
    let t = start_bot_with(&fake, config, dir).await;
    let db = t.bot.db.clone();
    let anonymous = || async {
        reqwest::get(format!("{base}/g/{GUILD}"))
            .await
            .expect("get")
            .status()
            .as_u16()
    };
    // The guild has pages once its GUILD_CREATE arrived.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while anonymous().await == 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "the guild never got its pages"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(anonymous().await, 401, "members only by default");

    // Alice owns the fixture guild.
    fake.oauth_user(OAuthUser {
        id: ALICE,
        name: "Alice".into(),
        guilds: vec![(GUILD, MANAGE_GUILD)],
    });
    let c = &browser.client;
    c.goto(&format!("{base}/login?next=/g/{GUILD}/admin"))
        .await
        .expect("login");
    c.find(Locator::Id("authorize"))
        .await
        .expect("Authorize")
        .click()
        .await
        .expect("authorize");
    c.wait()
        .for_element(Locator::Css("table.settings"))
        .await
        .expect("the dashboard");
    assert_eq!(text(&browser, "h1").await, "Settings of Fake Guild");
    if let Some(violations) = browser.accessibility_violations().await {
        assert!(
            violations.is_empty(),
            "accessibility violations: {violations:#?}"
        );
    }
    browser.screenshot("dashboard").await;

    // Make the board public: the bot serves it to anyone at once.
    c.find(Locator::Css(
        "#set-leaderboard_visibility option[value=public]",
    ))
    .await
    .expect("option")
    .click()
    .await
    .expect("choose public");
    c.find(Locator::Css("#set-leaderboard_visibility ~ button"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    assert!(
        text(&browser, ".flash")
            .await
            .contains("leaderboard_visibility is now public"),
        "{}",
        text(&browser, ".flash").await
    );
    let cfg = db.get_server_config(GUILD).await.unwrap();
    assert_eq!(
        LeaderboardVisibility::of(&cfg),
        LeaderboardVisibility::Public
    );
    assert_eq!(anonymous().await, 200);

    // A bad value: the command's own refusal, nothing stored.
    let rate = c.find(Locator::Id("set-xp_rate")).await.expect("xp_rate");
    rate.clear().await.expect("clear");
    rate.send_keys("lots").await.expect("type");
    c.find(Locator::Css("#set-xp_rate ~ button"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    assert!(
        text(&browser, ".flash").await.contains("not a number"),
        "{}",
        text(&browser, ".flash").await
    );
    assert_eq!(db.get_server_config(GUILD).await.unwrap().xp_rate, 1.0);
    browser.close().await;

    // Bob's login says he manages the server; Discord says he has no role that does.
    fake.set_member_roles(BOB, vec![]);
    let (bob, _) = log_in(
        &base,
        &fake,
        OAuthUser {
            id: BOB,
            name: "Bob".into(),
            guilds: vec![(GUILD, MANAGE_GUILD)],
        },
        "/",
    )
    .await;
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{base}/g/{GUILD}/admin"))
        .header("cookie", &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        200,
        "the page is shown from the login's claim"
    );
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string();
    let res = http
        .post(format!("{base}/g/{GUILD}/admin/config"))
        .header("cookie", &bob)
        .form(&[
            ("csrf", csrf.as_str()),
            ("setting", "leaderboard_visibility"),
            ("value", "off"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Only the server"));
    assert_eq!(
        LeaderboardVisibility::of(&db.get_server_config(GUILD).await.unwrap()),
        LeaderboardVisibility::Public,
        "unchanged"
    );

    // A plain member: no dashboard at all.
    let (carol, _) = log_in(
        &base,
        &fake,
        OAuthUser {
            id: CAROL,
            name: "Carol".into(),
            guilds: vec![(GUILD, SEND_MESSAGES)],
        },
        "/",
    )
    .await;
    let res = http
        .get(format!("{base}/g/{GUILD}/admin"))
        .header("cookie", &carol)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    t.bot.shutdown().await;
}
