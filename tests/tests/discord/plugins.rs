//! Plugin commands through the Discord front: a bundled plugin's command served, and a
//! plugin hot-reloaded while the bot runs, its commands re-registered with Discord.

use std::time::Duration;

use questline_tests::fake_discord::harness::{start_bot, start_bot_with, test_config};
use questline_tests::fake_discord::spec::{Spec, check_discord_rules};
use questline_tests::fake_discord::{ALICE, APP_ID, Call, FakeDiscord, GUILD, events};
use questline_tests::fixtures;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);
const MEMBER: u64 = 0x400 | 0x800;
const ADMIN: u64 = 0x20;
const EPHEMERAL: u64 = 1 << 6;

async fn run_command(fake: &FakeDiscord, command: &str) -> Call {
    let id = fake.id();
    fake.dispatch(
        "INTERACTION_CREATE",
        events::interaction(id, ALICE, "alice", command, vec![], MEMBER),
    );
    let path = format!("/interactions/{id}/token-{id}/callback");
    fake.wait_for(&format!("the answer to /{command}"), WAIT, |c| {
        c.method == "POST" && c.path == path
    })
    .await
}

/// Runs `/command sub` with string options as an admin.
async fn run_admin(fake: &FakeDiscord, command: &str, sub: &str, options: &[(&str, &str)]) -> Call {
    let id = fake.id();
    let opts = options
        .iter()
        .map(|(n, v)| events::opt(n, 3, json!(v)))
        .collect();
    fake.dispatch(
        "INTERACTION_CREATE",
        events::interaction(
            id,
            ALICE,
            "alice",
            command,
            vec![events::sub(sub, opts)],
            ADMIN,
        ),
    );
    let path = format!("/interactions/{id}/token-{id}/callback");
    fake.wait_for(&format!("the answer to /{command} {sub}"), WAIT, |c| {
        c.method == "POST" && c.path == path
    })
    .await
}

fn flags(call: &Call) -> u64 {
    call.json
        .as_ref()
        .and_then(|j| j.pointer("/data/flags"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
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

fn check_all(fake: &FakeDiscord) {
    let spec = Spec::load();
    for call in fake.calls().iter().filter(|c| c.method != "GET") {
        spec.check(call).unwrap_or_else(|e| panic!("{e}"));
        check_discord_rules(call).unwrap_or_else(|e| panic!("{e}"));
    }
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
    let text = answer.content().unwrap();
    assert!(text.contains("Daily bonus claimed"), "{text}");
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
    let on = run_admin(&fake, "plugins", "enable", &[("name", "daily-bonus")]).await;
    assert!(
        on.content().unwrap().contains("switched on"),
        "{:?}",
        on.content()
    );
    let claimed = run_command(&fake, "daily").await;
    assert!(
        claimed.content().unwrap().contains("Daily bonus claimed"),
        "{:?}",
        claimed.content()
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
