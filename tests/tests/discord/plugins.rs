//! Plugin commands through the Discord front: a bundled plugin's command served, and a
//! plugin hot-reloaded while the bot runs, its commands re-registered with Discord.

use std::time::Duration;

use questline_tests::fake_discord::harness::{start_bot, start_bot_with, test_config};
use questline_tests::fake_discord::{ALICE, APP_ID, Call, FakeDiscord, GUILD, events};
use questline_tests::fixtures;
use serde_json::{Value, json};

use crate::support::{self, ADMIN, EPHEMERAL, MEMBER, WAIT, check_all, flags};

/// Runs `/command` as Alice, a member.
async fn run_command(fake: &FakeDiscord, command: &str) -> Call {
    support::run_command(fake, ALICE, "alice", command, vec![], MEMBER).await
}

/// Runs `/command sub` with string options as Alice, an admin.
async fn run_admin(fake: &FakeDiscord, command: &str, sub: &str, options: &[(&str, &str)]) -> Call {
    let opts = options
        .iter()
        .map(|(n, v)| events::opt(n, 3, json!(v)))
        .collect();
    support::run_command(
        fake,
        ALICE,
        "alice",
        command,
        vec![events::sub(sub, opts)],
        ADMIN,
    )
    .await
}

fn registered_names(call: &Call) -> Vec<String> {
    call.json
        .as_ref()
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundled_plugin_command_is_served() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    let reg = fake
        .wait_for("registration", WAIT, |c| {
            c.is("PUT", &format!("/applications/{APP_ID}/commands"))
        })
        .await;
    assert!(registered_names(&reg).contains(&"daily".to_string()));
    let answer = run_command(&fake, "daily").await;
    // The plugin's embed reaches Discord as an embed, not flattened into the content.
    let embed = answer
        .json
        .as_ref()
        .and_then(|j| j.pointer("/data/embeds/0"))
        .cloned()
        .unwrap_or_else(|| panic!("no embed in {:?}", answer.json));
    assert_eq!(embed["title"], "Daily bonus claimed!", "{embed}");
    assert_eq!(embed["color"], 0xF1C40F, "{embed}");
    assert_eq!(embed["fields"][0]["name"], "Bonus", "{embed}");
    assert_eq!(embed["fields"][0]["inline"], true, "{embed}");
    assert!(
        answer.content().unwrap_or_default().is_empty(),
        "the text is in the embed only: {:?}",
        answer.content()
    );
    t.bot.settle().await.unwrap();
    let xp = t
        .bot
        .db
        .get_user_level(GUILD, ALICE)
        .await
        .unwrap()
        .map_or(0, |m| m.xp);
    assert!((50..=150).contains(&xp), "daily bonus granted {xp} XP");
    // The grant went through the engine's one plugin-command path: audited as the plugin,
    // not as the member who ran the command.
    let audit = t.bot.db.list_audit(GUILD, 10, None).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].actor_id, "plugin:daily-bonus");
    assert_eq!(audit[0].target_id, ALICE.to_string());
    // A second claim the same day is refused by the plugin, ephemerally, with no XP.
    let again = run_command(&fake, "daily").await;
    assert!(again.content().unwrap().contains("already claimed"));
    t.bot.settle().await.unwrap();
    let after = t
        .bot
        .db
        .get_user_level(GUILD, ALICE)
        .await
        .unwrap()
        .map_or(0, |m| m.xp);
    assert_eq!(after, xp);
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_reloaded_plugin_gets_its_commands_registered() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&fake, dir.path());
    config.plugins.hot_reload = true;
    config.discord.command_sync_secs = 1;
    let plugin_dir = config.plugins.dir.clone();
    let t = start_bot_with(&fake, config, dir).await;
    let path = format!("/applications/{APP_ID}/commands");
    let first = fake
        .wait_for("registration", WAIT, |c| c.is("PUT", &path))
        .await;
    assert!(!registered_names(&first).contains(&"fixture-echo".to_string()));

    std::fs::copy(fixtures::GOOD_V1, plugin_dir.join("fixture-good.wasm")).unwrap();
    fake.wait_for("re-registration with the plugin's command", WAIT, |c| {
        c.is("PUT", &path) && registered_names(c).contains(&"fixture-echo".to_string())
    })
    .await;
    let answer = run_command(&fake, "fixture-echo").await;
    assert!(
        answer.content().unwrap().contains("version=1.0.0"),
        "{:?}",
        answer.content()
    );

    // A new version replaces the old one while the bot runs.
    std::fs::copy(fixtures::GOOD_V2, plugin_dir.join("fixture-good.wasm")).unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let answer = run_command(&fake, "fixture-echo").await;
        if answer.content().unwrap().contains("version=2.0.0") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "v2 never served");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Removing the plugin removes its command from Discord.
    std::fs::remove_file(plugin_dir.join("fixture-good.wasm")).unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let calls = fake.calls();
        let last = calls.iter().rev().find(|c| c.is("PUT", &path)).unwrap();
        if !registered_names(last).contains(&"fixture-echo".to_string()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the removed plugin's command stayed registered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_are_switched_and_configured_per_server() {
    let fake = FakeDiscord::start().await;
    // No generated quests (a "use N commands" quest would add its reward to the XP this
    // test checks exactly).
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&fake, dir.path());
    config.engine.quests = questline::engine::QuestCounts {
        daily: 0,
        weekly: 0,
        monthly: 0,
    };
    let t = start_bot_with(&fake, config, dir).await;
    // No default achievements: XP here must come from what the test does (a default one,
    // e.g. "use 10 commands", would add its reward).
    t.bot
        .db
        .create_achievement(
            GUILD,
            "Unreachable",
            "",
            "level",
            1_000_000,
            0,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let xp = |t: &questline_tests::fake_discord::harness::TestBot| {
        let db = t.bot.db.clone();
        async move {
            db.get_user_level(GUILD, ALICE)
                .await
                .unwrap()
                .map_or(0, |m| m.xp)
        }
    };
    // Unknown plugins are named as such.
    let unknown = run_admin(&fake, "plugins", "disable", &[("name", "no-such-plugin")]).await;
    assert!(
        unknown
            .content()
            .unwrap()
            .contains("no plugin named `no-such-plugin`"),
        "{:?}",
        unknown.content()
    );
    // Switched off: the command answers so, ephemerally, and grants nothing.
    let off = run_admin(&fake, "plugins", "disable", &[("name", "daily-bonus")]).await;
    assert!(
        off.content().unwrap().contains("switched off"),
        "{:?}",
        off.content()
    );
    let refused = run_command(&fake, "daily").await;
    let text = refused.content().unwrap();
    assert!(
        text.contains("switched off") && text.contains("/plugins enable"),
        "{text}"
    );
    assert_eq!(flags(&refused) & EPHEMERAL, EPHEMERAL);
    t.bot.settle().await.unwrap();
    assert_eq!(xp(&t).await, 0, "a switched-off plugin granted XP");
    let stored = t
        .bot
        .db
        .get_plugin_settings(GUILD, "daily-bonus")
        .await
        .unwrap()
        .expect("stored");
    assert!(!stored.enabled);
    let list = run_admin(&fake, "plugins", "list", &[]).await;
    let text = list.content().unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("daily-bonus"))
        .unwrap_or_else(|| panic!("daily-bonus not listed: {text}"));
    assert!(line.contains("switched off here"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("mee6-xp") && l.contains("switched off")),
        "{text}"
    );

    // Bad settings are refused with what to do; good ones apply at once.
    let bad = run_admin(
        &fake,
        "plugins",
        "config",
        &[("name", "daily-bonus"), ("json", "{min_xp: 5")],
    )
    .await;
    assert!(
        bad.content().unwrap().contains("must be JSON"),
        "{:?}",
        bad.content()
    );
    let not_object = run_admin(
        &fake,
        "plugins",
        "config",
        &[("name", "daily-bonus"), ("json", "[1]")],
    )
    .await;
    assert!(
        not_object.content().unwrap().contains("JSON object"),
        "{:?}",
        not_object.content()
    );
    // The plugin's settings schema refuses a typo and a wrong value, naming the key, and
    // nothing is saved.
    let typo = run_admin(
        &fake,
        "plugins",
        "config",
        &[
            ("name", "daily-bonus"),
            ("json", r#"{"min_xp": 5, "maxxp": 9}"#),
        ],
    )
    .await;
    let text = typo.content().unwrap();
    assert!(
        text.contains("settings refused, nothing was saved")
            && text.contains("`maxxp` is not a setting of this plugin (did you mean `max_xp`?)"),
        "{text}"
    );
    let wrong = run_admin(
        &fake,
        "plugins",
        "config",
        &[("name", "daily-bonus"), ("json", r#"{"min_xp": "lots"}"#)],
    )
    .await;
    let text = wrong.content().unwrap();
    assert!(text.contains("`min_xp`: \"lots\" is not of type"), "{text}");
    let stored = t
        .bot
        .db
        .get_plugin_settings(GUILD, "daily-bonus")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.config, json!({}), "a refused setting was saved");
    run_admin(
        &fake,
        "plugins",
        "config",
        &[
            ("name", "daily-bonus"),
            ("json", r#"{"min_xp": 500, "max_xp": 500}"#),
        ],
    )
    .await;
    let shown = run_admin(&fake, "plugins", "config", &[("name", "daily-bonus")]).await;
    let text = shown.content().unwrap();
    assert!(
        text.contains("off") && text.contains("\"min_xp\":500"),
        "{text}"
    );
    // ... with the keys its schema declares.
    assert!(
        text.contains("- min_xp (integer, default 50): Least bonus."),
        "{text}"
    );
    let on = run_admin(&fake, "plugins", "enable", &[("name", "daily-bonus")]).await;
    assert!(
        on.content().unwrap().contains("switched on"),
        "{:?}",
        on.content()
    );
    let claimed = run_command(&fake, "daily").await;
    assert_eq!(
        claimed
            .json
            .as_ref()
            .and_then(|j| j.pointer("/data/embeds/0/title")),
        Some(&json!("Daily bonus claimed!")),
        "{:?}",
        claimed.json
    );
    t.bot.settle().await.unwrap();
    assert_eq!(xp(&t).await, 500, "the configured bonus was not used");
    let stored = t
        .bot
        .db
        .get_plugin_settings(GUILD, "daily-bonus")
        .await
        .unwrap()
        .expect("stored");
    assert!(stored.enabled);
    assert_eq!(stored.config, json!({"min_xp": 500, "max_xp": 500}));
    check_all(&fake);
    t.bot.shutdown().await;
}

/// `/plugins reload` acts on every server the bot is in, so a server's admin may not run it:
/// only the application's owner (here the bot user, the fake's owner) and `[discord]
/// operators`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_operators_reload_plugins() {
    use questline_tests::fake_discord::BOB;
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(&fake, dir.path());
    config.discord.operators = vec![BOB];
    let t = start_bot_with(&fake, config, dir).await;
    let reload = |user: u64, name: &'static str| {
        let fake = &fake;
        async move {
            let sub = vec![events::sub("reload", vec![])];
            support::run_command(fake, user, name, "plugins", sub, ADMIN).await
        }
    };
    // Alice manages the server, but is no operator.
    let refused = reload(ALICE, "alice").await;
    let text = refused.content().unwrap_or_default();
    assert!(text.contains("only the bot's operators"), "{text}");
    assert_eq!(flags(&refused) & EPHEMERAL, EPHEMERAL);
    // Bob is listed in [discord] operators.
    let done = reload(BOB, "bob").await;
    let text = done.content().unwrap_or_default();
    assert!(text.contains("Plugins reloaded"), "{text}");
    check_all(&fake);
    t.bot.shutdown().await;
}
