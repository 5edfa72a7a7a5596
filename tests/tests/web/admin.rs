//! The server dashboard of the real bot, against the fake Discord: the owner changes a
//! setting in a real headless Chromium and the bot uses it at once (the board turns public);
//! a bad value gets `/config set`'s own answer; a member whose week-old login still says
//! "manager" but who lost Manage Server on Discord is refused the change (Discord is asked
//! before every change), and a plain member never sees the dashboard.

use questline::db::LeaderboardVisibility;
use questline_tests::browser::{Browser, Locator};
use questline_tests::fake_discord::oauth::{MANAGE_GUILD, OAuthUser, SEND_MESSAGES};
use questline_tests::fake_discord::{ALICE, BOB, FakeDiscord, GUILD};

use crate::login::log_in;
use crate::support::{bot_with_web, text};

const CAROL: u64 = 200_000_000_000_000_003;
/// The fixture guild's "Regular" role.
const REGULAR: u64 = 100_000_000_000_000_702;

async fn fill(b: &Browser, id: &str, value: &str) {
    b.client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"))
        .send_keys(value)
        .await
        .expect("type");
}

async fn choose(b: &Browser, option: &str) {
    b.client
        .find(Locator::Css(option))
        .await
        .unwrap_or_else(|e| panic!("{option}: {e}"))
        .click()
        .await
        .expect("choose");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_changes_a_setting_and_discord_is_asked_before_every_change() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let fake = FakeDiscord::start().await;
    let (t, base) = bot_with_web(&fake).await;
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
    browser.click_and_wait(Locator::Id("authorize")).await;
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
    browser
        .click_and_wait(Locator::Css("#set-leaderboard_visibility ~ button"))
        .await;
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
    browser
        .click_and_wait(Locator::Css("#set-xp_rate ~ button"))
        .await;
    assert!(
        text(&browser, ".flash").await.contains("not a number"),
        "{}",
        text(&browser, ".flash").await
    );
    assert_eq!(db.get_server_config(GUILD).await.unwrap().xp_rate, 1.0);

    // A channel setting offers the server's text channels by name.
    c.find(Locator::Css(
        "#set-level_up_channel option[value='100000000000000011']",
    ))
    .await
    .expect("#level-ups is offered")
    .click()
    .await
    .expect("choose #level-ups");
    browser
        .click_and_wait(Locator::Css("#set-level_up_channel ~ button"))
        .await;
    assert_eq!(
        db.get_server_config(GUILD)
            .await
            .unwrap()
            .level_up_channel
            .as_deref(),
        Some("100000000000000011"),
        "{}",
        text(&browser, ".flash").await
    );
    assert!(
        text(&browser, ".flash").await.contains("#level-ups"),
        "the answer names the channel: {}",
        text(&browser, ".flash").await
    );
    let voice_options = text(&browser, "#set-afk_channel").await;
    assert!(
        voice_options.contains("#Voice") && !voice_options.contains("#general"),
        "afk_channel offers voice channels only: {voice_options}"
    );

    // A level reward, added and removed through `/level-roles` (the role checked against
    // the server's roles on Discord), chosen by name; the bot's own managed role and
    // @everyone are not offered.
    let offered = text(&browser, "#reward-role").await;
    assert!(
        offered.contains("@Regular")
            && !offered.contains("@Questline")
            && !offered.contains("@everyone"),
        "{offered}"
    );
    c.find(Locator::Css(&format!(
        "#reward-role option[value='{REGULAR}']"
    )))
    .await
    .expect("role")
    .click()
    .await
    .expect("choose");
    c.find(Locator::Id("reward-level"))
        .await
        .expect("level")
        .send_keys("5")
        .await
        .expect("type");
    browser
        .click_and_wait(Locator::Css("form.stacked button"))
        .await;
    let rewards = db.list_level_roles(GUILD).await.unwrap();
    assert_eq!(
        rewards
            .iter()
            .map(|r| (r.role_id.as_str(), r.level))
            .collect::<Vec<_>>(),
        vec![("100000000000000702", 5)],
        "{}",
        text(&browser, ".flash").await
    );
    assert!(
        text(&browser, "#rewards-title + table")
            .await
            .contains("@Regular"),
        "the reward shows the role's name"
    );
    // The public board names it too.
    let board = reqwest::get(format!("{base}/g/{GUILD}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(board.contains("@Regular"), "{board}");
    assert_eq!(
        browser.horizontal_overflow().await,
        0,
        "the dashboard fits the window"
    );
    browser.screenshot("dashboard-names").await;
    browser
        .click_and_wait(Locator::Css("form.inline button"))
        .await;
    assert!(
        db.list_level_roles(GUILD).await.unwrap().is_empty(),
        "{}",
        text(&browser, ".flash").await
    );
    // A role that is not the server's, sent by a hand-made form: `/level-roles`' own
    // refusal.
    let cookie = c
        .get_named_cookie("questline_session")
        .await
        .expect("cookie");
    let csrf: String = c
        .find(Locator::Css("input[name=csrf]"))
        .await
        .expect("csrf")
        .attr("value")
        .await
        .expect("value")
        .unwrap_or_default();
    let refused = reqwest::Client::new()
        .post(format!("{base}/g/{GUILD}/admin/action"))
        .header("cookie", format!("questline_session={}", cookie.value()))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "level-roles add"),
            ("role", "123456789"),
            ("level", "3"),
        ])
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("page");
    assert!(refused.contains("not a role of this server"), "{refused}");
    assert!(db.list_level_roles(GUILD).await.unwrap().is_empty());

    // A quest and an achievement, created through `/quest create` and `/achievement create`;
    // the achievement deleted again by its id.
    fill(&browser, "quest-name", "Talk a lot").await;
    choose(&browser, "#quest-requirement option[value=total_messages]").await;
    fill(&browser, "quest-target", "10").await;
    fill(&browser, "quest-reward", "50").await;
    browser
        .click_and_wait(Locator::Css("input[value='quest create'] ~ button"))
        .await;
    assert!(
        text(&browser, ".flash").await.contains("Talk a lot"),
        "{}",
        text(&browser, ".flash").await
    );
    assert!(
        text(&browser, "#quests-title + .reply")
            .await
            .contains("Talk a lot"),
        "the list shows it"
    );
    fill(&browser, "ach-name", "Chatterbox").await;
    choose(&browser, "#ach-requirement option[value=messages]").await;
    fill(&browser, "ach-target", "5").await;
    fill(&browser, "ach-reward", "10").await;
    browser
        .click_and_wait(Locator::Css("input[value='achievement create'] ~ button"))
        .await;
    let made = db.list_achievements(GUILD).await.unwrap();
    let chatterbox = made
        .iter()
        .find(|a| a.name == "Chatterbox")
        .expect("the achievement was created");
    let id = chatterbox.id.to_string();
    browser
        .client
        .find(Locator::Id("ach-delete-id"))
        .await
        .expect("id")
        .send_keys(&id)
        .await
        .expect("type");
    browser
        .click_and_wait(Locator::Css("input[value='achievement delete'] ~ button"))
        .await;
    assert!(
        !db.list_achievements(GUILD)
            .await
            .unwrap()
            .iter()
            .any(|a| a.name == "Chatterbox"),
        "{}",
        text(&browser, ".flash").await
    );
    // A plugin's settings: shown when the box is empty, refused when not JSON.
    browser
        .click_and_wait(Locator::Css("input[value='plugins config'] ~ button"))
        .await;
    let shown = text(&browser, ".flash").await;
    assert!(
        !shown.is_empty() && !shown.contains("out of date"),
        "{shown}"
    );
    fill(&browser, "plugin-config-json", "{not json").await;
    browser
        .click_and_wait(Locator::Css("input[value='plugins config'] ~ button"))
        .await;
    assert!(
        text(&browser, ".flash")
            .await
            .to_lowercase()
            .contains("json"),
        "{}",
        text(&browser, ".flash").await
    );
    // The page lists each plugin's settings from its schema, and a typo is refused with the
    // key named and the closest setting.
    let reference = text(&browser, "#plugins-title ~ details").await;
    assert!(reference.contains("daily-bonus"), "{reference}");
    let page = browser.client.source().await.expect("page source");
    assert!(
        page.contains("<code>min_xp</code> (integer, default 15): Least XP per message."),
        "mee6-xp's settings listed"
    );
    choose(&browser, "#plugin-config-name option[value='mee6-xp']").await;
    fill(&browser, "plugin-config-json", r#"{"min_xpp": 3}"#).await;
    browser
        .click_and_wait(Locator::Css("input[value='plugins config'] ~ button"))
        .await;
    let refused = text(&browser, ".flash").await;
    assert!(
        // (The page shows the reply's `code` spans as code, without the backticks.)
        refused.contains("min_xpp is not a setting of this plugin (did you mean min_xp?)"),
        "{refused}"
    );
    assert!(
        db.get_plugin_settings(GUILD, "mee6-xp")
            .await
            .unwrap()
            .is_none(),
        "a refused setting was saved"
    );
    browser.screenshot("dashboard-after-changes").await;

    // The export, as a file, checked with Discord like a change.
    let cookie = c
        .get_named_cookie("questline_session")
        .await
        .expect("cookie");
    let export = reqwest::Client::new()
        .get(format!("{base}/g/{GUILD}/admin/export.json"))
        .header("cookie", format!("questline_session={}", cookie.value()))
        .send()
        .await
        .expect("export");
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let json: serde_json::Value =
        serde_json::from_slice(&export.bytes().await.unwrap()).expect("export JSON");
    assert!(
        json.get("members").is_some() || json.get("levels").is_some(),
        "{json}"
    );

    // The export imported back through the dashboard's upload: `/import` with the file,
    // overwriting (the server has members with XP, so the mode must be chosen).
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), serde_json::to_vec(&json).unwrap()).expect("write export");
    c.find(Locator::Css("#import-format option[value=questline]"))
        .await
        .expect("format")
        .click()
        .await
        .expect("choose");
    c.find(Locator::Css("#import-mode option[value=overwrite]"))
        .await
        .expect("mode")
        .click()
        .await
        .expect("choose");
    c.find(Locator::Id("import-file"))
        .await
        .expect("file input")
        .send_keys(&file.path().display().to_string())
        .await
        .expect("choose the file");
    browser
        .click_and_wait(Locator::Css("#import-file ~ button"))
        .await;
    let said = text(&browser, ".flash").await;
    assert!(said.contains("levels computed with"), "{said}");
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
