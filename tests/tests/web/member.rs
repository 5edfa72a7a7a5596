//! The member page of the real bot (started as `questline run` starts it, against the fake
//! Discord, with `[web]` and Discord login configured), in a real headless Chromium: a member
//! who talked logs in, finds their name on the board (from the member directory), opens
//! their page with their rank card, hides themselves and disappears from the board,
//! downloads their data and erases it. Every action is the slash command run as the member.

use std::time::{Duration, Instant};

use questline_tests::browser::{Browser, Locator};
use questline_tests::fake_discord::oauth::{OAuthUser, SEND_MESSAGES};
use questline_tests::fake_discord::{ALICE, BOB, FakeDiscord, GENERAL, GUILD, events};
use serde_json::Value;

use crate::support::{bot_with_web, text};

async fn names_on_board(b: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for e in b
        .client
        .find_all(Locator::Css("tbody .name"))
        .await
        .expect("names")
    {
        out.push(e.text().await.expect("name"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_hides_downloads_and_erases_from_their_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let fake = FakeDiscord::start().await;
    let (t, base) = bot_with_web(&fake).await;
    let db = t.bot.db.clone();

    fake.dispatch(
        "MESSAGE_CREATE",
        events::message(9_001, GENERAL, ALICE, "alice", "hello there"),
    );
    fake.dispatch(
        "MESSAGE_CREATE",
        events::message(9_002, GENERAL, BOB, "bob", "hi"),
    );
    // The messages are stored, and the names reach the member directory (written every 5 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stored = db.get_user_level(GUILD, ALICE).await.unwrap().is_some()
            && db.get_user_level(GUILD, BOB).await.unwrap().is_some();
        let named = db.member_profile(GUILD, ALICE).await.unwrap().is_some();
        if stored && named {
            break;
        }
        assert!(Instant::now() < deadline, "messages or names not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    fake.oauth_user(OAuthUser {
        id: ALICE,
        name: "Alice".into(),
        guilds: vec![(GUILD, SEND_MESSAGES)],
    });
    let c = &browser.client;
    c.goto(&format!("{base}/g/{GUILD}"))
        .await
        .expect("open the board");
    browser
        .click_and_wait(Locator::Css("main a[href^='/login']"))
        .await;
    browser.click_and_wait(Locator::Id("authorize")).await;
    // Discord sends the browser back through the callback to the board.
    c.wait()
        .for_element(Locator::Css("tbody .name"))
        .await
        .expect("back on the board");
    let names = names_on_board(&browser).await;
    assert!(
        names.contains(&"alice".to_string()) && names.contains(&"bob".to_string()),
        "{names:?} on {}",
        c.source().await.unwrap_or_default()
    );

    // Her page: the rank card drawn by /rank, quests and achievements.
    browser
        .click_and_wait(Locator::LinkText("Your rank, quests and privacy →"))
        .await;
    assert_eq!(text(&browser, "h1").await, "You on Fake Guild");
    let loaded = c
        .execute("const i = document.querySelector('img.card'); return i && i.complete ? i.naturalWidth : 0;", vec![])
        .await
        .expect("card");
    assert!(
        loaded.as_u64().unwrap_or(0) > 100,
        "the rank card image loads: {loaded}"
    );
    // Quests as /quests lists them, each with a progress bar; the server's achievements.
    let bars = c
        .find_all(Locator::Css("#quests-title ~ ul.items progress"))
        .await
        .expect("quests");
    assert!(
        !bars.is_empty(),
        "{}",
        text(&browser, "#quests-title + *").await
    );
    let counted = text(&browser, "#achievements-title + p").await;
    assert!(counted.ends_with(" earned"), "{counted}");
    if let Some(violations) = browser.accessibility_violations().await {
        assert!(
            violations.is_empty(),
            "accessibility violations: {violations:#?}"
        );
    }
    assert_eq!(
        browser.horizontal_overflow().await,
        0,
        "the page fits the window"
    );
    browser.screenshot("member-page").await;

    // Her card: a colour through `/card color`, stored and drawn.
    c.execute(
        "const i = document.getElementById('card-color'); i.value = '#ff8800'; return i.value;",
        vec![],
    )
    .await
    .expect("choose a colour");
    browser
        .click_and_wait(Locator::Css("form.stacked input[value=color] ~ button"))
        .await;
    assert!(
        text(&browser, ".flash").await.contains("primary colour"),
        "{}",
        text(&browser, ".flash").await
    );
    let settings = db
        .get_card_settings(GUILD, ALICE)
        .await
        .unwrap()
        .expect("card settings");
    assert_eq!(settings.primary_color.as_deref(), Some("#ff8800"));

    // Hide: the command's answer shows, and she is gone from the board.
    browser
        .click_and_wait(Locator::Css("form[action$='/privacy'] button"))
        .await;
    assert!(
        text(&browser, ".flash")
            .await
            .contains("hidden from the leaderboard")
    );
    assert!(
        db.get_user_level(GUILD, ALICE)
            .await
            .unwrap()
            .expect("row")
            .hidden
    );
    c.goto(&format!("{base}/g/{GUILD}")).await.expect("board");
    let names = names_on_board(&browser).await;
    assert!(
        !names.contains(&"alice".to_string()) && names.contains(&"bob".to_string()),
        "{names:?}"
    );
    browser.screenshot("member-hidden-board").await;

    // Her data, as a file, with her session's cookie.
    let cookie = c
        .get_named_cookie("questline_session")
        .await
        .expect("cookie");
    let res = reqwest::Client::new()
        .get(format!("{base}/g/{GUILD}/me/data.json"))
        .header("cookie", format!("questline_session={}", cookie.value()))
        .send()
        .await
        .expect("download");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let data: Value = serde_json::from_slice(&res.bytes().await.unwrap()).expect("json");
    assert_eq!(data["user_id"], ALICE.to_string());
    assert_eq!(data["profile"]["display_name"], "alice");

    // Erase: without the box ticked the browser does not send; ticked, the data is gone.
    c.goto(&format!("{base}/g/{GUILD}/me")).await.expect("page");
    c.find(Locator::Id("confirm"))
        .await
        .expect("checkbox")
        .click()
        .await
        .expect("tick");
    browser.click_and_wait(Locator::Css("button.danger")).await;
    assert!(text(&browser, ".flash").await.contains("Erased"));
    assert!(db.get_user_level(GUILD, ALICE).await.unwrap().is_none());
    assert!(db.member_profile(GUILD, ALICE).await.unwrap().is_none());
    browser.close().await;
    t.bot.shutdown().await;
}
