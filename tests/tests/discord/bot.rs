//! The real serenity client, started through `questline`'s own start-up path
//! (`questline::discord::Bot`, what `questline run` uses), against the fake Discord on
//! 127.0.0.1 with an embedded SQLite database. Every REST call the bot makes is checked
//! against Discord's OpenAPI description and the limits it leaves loose.

use std::time::Duration;

use questline::discord::{Bot, BotOptions};
use questline_tests::fake_discord::harness::{start_bot, start_bot_with, test_config};
use questline_tests::fake_discord::{
    ALICE, APP_ID, BOB, BOT_ID, FakeDiscord, GENERAL, GUILD, LEVEL_UPS, QUESTS, TOKEN, events,
};
use serde_json::{Value, json};

use crate::support::{
    ADMIN, EPHEMERAL, MEMBER, WAIT, check_all, flags, run_command, wait_xp, xp_of,
};

const REWARD_ROLE: u64 = 100_000_000_000_000_702;
const GUILD_MEMBERS_INTENT: u64 = 1 << 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_lead_to_a_level_up_message_and_a_reward_role() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    // Commands were registered globally, with the rules Discord enforces.
    let reg = fake
        .wait_for("command registration", WAIT, |c| {
            c.is("PUT", &format!("/applications/{APP_ID}/commands"))
        })
        .await;
    let names: Vec<&str> = reg
        .json
        .as_ref()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains(&"rank") && names.contains(&"xp"),
        "{names:?}"
    );
    // No privileged intent unless configured.
    assert_eq!(
        fake.intents() & GUILD_MEMBERS_INTENT,
        0,
        "GUILD_MEMBERS asked for"
    );

    // An admin configures the level-up channel, a generous XP rate and a reward role.
    for (setting, value) in [
        ("level_up_channel", format!("<#{LEVEL_UPS}>")),
        ("xp_rate", "10".to_string()),
    ] {
        let answer = run_command(
            &fake,
            ALICE,
            "alice",
            "config",
            vec![events::sub(
                "set",
                vec![
                    events::opt("setting", 3, json!(setting)),
                    events::opt("value", 3, json!(value)),
                ],
            )],
            ADMIN,
        )
        .await;
        assert!(
            answer.content().unwrap().contains(setting),
            "{:?}",
            answer.content()
        );
    }
    run_command(
        &fake,
        ALICE,
        "alice",
        "level-roles",
        vec![events::sub(
            "add",
            vec![
                events::opt("role", 8, json!(REWARD_ROLE.to_string())),
                events::opt("level", 4, json!(1)),
            ],
        )],
        ADMIN,
    )
    .await;

    // Bots, webhooks and DMs earn nothing.
    fake.dispatch(
        "MESSAGE_CREATE",
        events::bot_message(fake.id(), GENERAL, BOT_ID),
    );
    fake.dispatch(
        "MESSAGE_CREATE",
        events::webhook_message(fake.id(), GENERAL),
    );
    fake.dispatch("MESSAGE_CREATE", events::dm_message(fake.id(), BOB));
    // Bob posts: at 10× rate, one message is 150-250 XP, level 1 at 100.
    fake.dispatch(
        "MESSAGE_CREATE",
        events::message(fake.id(), GENERAL, BOB, "bob", "hello everyone"),
    );
    let level_up = fake
        .wait_for("the level-up message", WAIT, |c| {
            c.is("POST", &format!("/channels/{LEVEL_UPS}/messages"))
        })
        .await;
    let content = level_up.content().unwrap();
    assert!(content.contains(&format!("<@{BOB}>")), "{content}");
    fake.wait_for("the reward role", WAIT, |c| {
        c.method == "PUT" && c.path == format!("/guilds/{GUILD}/members/{BOB}/roles/{REWARD_ROLE}")
    })
    .await;
    t.bot.settle().await.unwrap();
    assert!(xp_of(&t, BOB).await >= 150);
    assert_eq!(xp_of(&t, BOT_ID).await, 0, "a bot earned XP");
    assert_eq!(
        xp_of(&t, 300_000_000_000_000_999).await,
        0,
        "a webhook earned XP"
    );
    // The level-up was not announced where Bob spoke (the level-up channel is set);
    // achievement notices may go there (no achievement channel is set).
    assert!(
        !fake.calls().iter().any(|c| {
            c.is("POST", &format!("/channels/{GENERAL}/messages"))
                && c.content().is_some_and(|t| t.contains("reached level"))
        }),
        "level-up announced in the wrong channel"
    );
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rank_replies_with_a_png_card() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    fake.dispatch(
        "MESSAGE_CREATE",
        events::message(fake.id(), GENERAL, ALICE, "alice", "hi"),
    );
    wait_xp(&t, ALICE).await;
    // /rank defers (rendering may pass the 3 s window) and edits the PNG in.
    let id = fake.id();
    fake.dispatch(
        "INTERACTION_CREATE",
        events::interaction(id, ALICE, "alice", "rank", vec![], MEMBER),
    );
    let defer = fake
        .wait_for("the deferral", WAIT, |c| {
            c.method == "POST" && c.path == format!("/interactions/{id}/token-{id}/callback")
        })
        .await;
    assert_eq!(defer.json.as_ref().unwrap()["type"], json!(5));
    let edit = fake
        .wait_for("the rank card", WAIT, |c| {
            c.method == "PATCH"
                && c.path == format!("/webhooks/{APP_ID}/token-{id}/messages/@original")
        })
        .await;
    assert!(edit.multipart, "the card is sent as a file");
    let file = edit
        .files
        .iter()
        .find(|f| f.field == "files[0]")
        .expect("files[0] part");
    assert!(file.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let img = image::load_from_memory(&file.bytes).expect("decodable PNG");
    assert!(img.width() >= 300 && img.height() >= 100);
    assert!(
        edit.content().unwrap().contains("rank #1"),
        "{:?}",
        edit.content()
    );
    check_all(&fake);
    t.bot.shutdown().await;
}

/// A `/rank` whose answer is for the invoker alone (a member without XP) removes the public
/// "thinking…" and answers in an ephemeral follow-up: the channel never sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_rank_answer_is_never_shown_to_the_channel() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    let id = fake.id();
    fake.dispatch(
        "INTERACTION_CREATE",
        events::interaction(id, BOB, "bob", "rank", vec![], MEMBER),
    );
    let followup = fake
        .wait_for("the private answer", WAIT, |c| {
            c.method == "POST" && c.path == format!("/webhooks/{APP_ID}/token-{id}")
        })
        .await;
    let body = followup.json.as_ref().expect("a JSON follow-up");
    assert_eq!(
        body["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "ephemeral: {body}"
    );
    assert!(
        body["content"].as_str().unwrap_or("").contains("no XP yet"),
        "{body}"
    );
    let calls = fake.calls();
    let original = format!("/webhooks/{APP_ID}/token-{id}/messages/@original");
    assert!(
        calls
            .iter()
            .any(|c| c.method == "DELETE" && c.path == original),
        "the public \"thinking…\" is removed"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.method == "PATCH" && c.path == original),
        "nothing is edited into the public message"
    );
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_is_ordered_and_paged() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    // Eleven members with known XP, set by an admin.
    let members: Vec<(u64, i64)> = (0..11u64)
        .map(|i| {
            (
                210_000_000_000_000_000 + i,
                ((i * 37) % 11 + 1) as i64 * 100,
            )
        })
        .collect();
    for (user, xp) in &members {
        let answer = run_command(
            &fake,
            ALICE,
            "alice",
            "xp",
            vec![events::sub(
                "set",
                vec![
                    events::opt("member", 6, json!(user.to_string())),
                    events::opt("amount", 4, json!(xp)),
                ],
            )],
            ADMIN,
        )
        .await;
        assert!(
            !answer.content().unwrap().contains("⚠️"),
            "{:?}",
            answer.content()
        );
    }
    let mut expected = members.clone();
    expected.sort_by_key(|e| std::cmp::Reverse(e.1));
    let page1 = run_command(&fake, BOB, "bob", "leaderboard", vec![], MEMBER).await;
    let text = page1.content().unwrap();
    let order: Vec<usize> = expected[..10]
        .iter()
        .map(|(u, _)| {
            text.find(&format!("<@{u}>"))
                .unwrap_or_else(|| panic!("{u} missing from page 1:\n{text}"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "not ordered by XP:\n{text}"
    );
    assert!(text.contains(&format!("{} XP", expected[0].1)));
    let page2 = run_command(
        &fake,
        BOB,
        "bob",
        "leaderboard",
        vec![events::opt("page", 4, json!(2))],
        MEMBER,
    )
    .await;
    let text2 = page2.content().unwrap();
    assert!(text2.contains(&format!("<@{}>", expected[10].0)), "{text2}");
    assert!(!text2.contains(&format!("<@{}>", expected[0].0)), "{text2}");
    // Leaderboards never ping the members they list.
    let mentions = page1
        .json
        .as_ref()
        .unwrap()
        .pointer("/data/allowed_mentions/parse");
    assert_eq!(mentions, Some(&json!([])));
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_are_refused_without_manage_server() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    let answer = run_command(
        &fake,
        BOB,
        "bob",
        "xp",
        vec![events::sub(
            "add",
            vec![
                events::opt("member", 6, json!(BOB.to_string())),
                events::opt("amount", 4, json!(500)),
            ],
        )],
        MEMBER,
    )
    .await;
    assert!(
        answer.content().unwrap().contains("Manage Server"),
        "{:?}",
        answer.content()
    );
    assert_eq!(
        flags(&answer) & EPHEMERAL,
        EPHEMERAL,
        "the refusal is ephemeral"
    );
    t.bot.settle().await.unwrap();
    assert_eq!(xp_of(&t, BOB).await, 0, "the refused command changed XP");
    // The same command with Manage Server works.
    let ok = run_command(
        &fake,
        ALICE,
        "alice",
        "xp",
        vec![events::sub(
            "add",
            vec![
                events::opt("member", 6, json!(BOB.to_string())),
                events::opt("amount", 4, json!(500)),
            ],
        )],
        ADMIN,
    )
    .await;
    assert!(!ok.content().unwrap().contains("⚠️"), "{:?}", ok.content());
    assert_eq!(xp_of(&t, BOB).await, 500);
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xp_amounts_out_of_range_are_rejected() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    for amount in [
        json!(-5),
        json!(0),
        json!(2_000_000_000i64),
        json!(i64::MAX),
    ] {
        let answer = run_command(
            &fake,
            ALICE,
            "alice",
            "xp",
            vec![events::sub(
                "add",
                vec![
                    events::opt("member", 6, json!(BOB.to_string())),
                    events::opt("amount", 4, amount.clone()),
                ],
            )],
            ADMIN,
        )
        .await;
        let text = answer.content().unwrap();
        assert!(text.contains("1 to 1000000000"), "{amount}: {text}");
        assert_eq!(flags(&answer) & EPHEMERAL, EPHEMERAL);
    }
    t.bot.settle().await.unwrap();
    assert_eq!(xp_of(&t, BOB).await, 0);
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_in_the_middle_of_traffic_loses_no_committed_xp() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    // 300 members post once each; shut down while the events are still arriving.
    let users: Vec<u64> = (0..300u64).map(|i| 220_000_000_000_000_000 + i).collect();
    for (i, u) in users.iter().enumerate() {
        fake.dispatch(
            "MESSAGE_CREATE",
            events::message(fake.id(), GENERAL, *u, "member", "hello"),
        );
        if i == 150 {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    let dir = t.dir;
    let config = t.config;
    let report = t.bot.shutdown().await;
    assert!(
        report.engine.submitted > 0,
        "nothing arrived before shutdown"
    );
    assert_eq!(report.engine.submitted, report.engine.processed);
    assert_eq!(report.engine.failed_events, 0);
    assert_eq!(report.engine.dropped, 0);
    // Reopen the database: every activity the engine took is there.
    let db = questline::db::Db::connect(&config.database).await.unwrap();
    let rows = db.export_guild_levels(GUILD).await.unwrap();
    let with_xp = rows.iter().filter(|r| r.xp > 0).count() as u64;
    assert_eq!(
        with_xp, report.engine.submitted,
        "committed XP lost or invented"
    );
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_token_is_refused_with_a_pointer_to_the_console() {
    let fake = FakeDiscord::start().await;
    fake.reject_token();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(&fake, dir.path());
    let err = Bot::start(
        &config,
        BotOptions {
            token: TOKEN.into(),
            ..BotOptions::default()
        },
    )
    .await
    .err()
    .expect("a rejected token must fail start-up");
    let text = err.to_string();
    assert!(
        text.contains("DISCORD_TOKEN") && text.contains("questline console"),
        "{text}"
    );
    let missing = Bot::start(&config, BotOptions::default())
        .await
        .err()
        .unwrap();
    assert!(missing.to_string().contains("questline console"));
    let _ = start_bot_with;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_manage_roles_permission_is_reported_once() {
    let fake = FakeDiscord::start().await;
    fake.set_role_status(403);
    let t = start_bot(&fake).await;
    for (setting, value) in [("xp_rate", "10")] {
        run_command(
            &fake,
            ALICE,
            "alice",
            "config",
            vec![events::sub(
                "set",
                vec![
                    events::opt("setting", 3, json!(setting)),
                    events::opt("value", 3, json!(value)),
                ],
            )],
            ADMIN,
        )
        .await;
    }
    run_command(
        &fake,
        ALICE,
        "alice",
        "level-roles",
        vec![events::sub(
            "add",
            vec![
                events::opt("role", 8, json!(REWARD_ROLE.to_string())),
                events::opt("level", 4, json!(1)),
            ],
        )],
        ADMIN,
    )
    .await;
    for i in 0..3u64 {
        fake.dispatch(
            "MESSAGE_CREATE",
            events::message(
                fake.id(),
                GENERAL,
                230_000_000_000_000_000 + i,
                "m",
                "hello",
            ),
        );
    }
    for i in 0..3u64 {
        wait_xp(&t, 230_000_000_000_000_000 + i).await;
    }
    t.bot.settle().await.unwrap();
    let calls = fake.calls();
    let role_calls = calls.iter().filter(|c| c.path.contains("/roles/")).count();
    assert_eq!(
        role_calls, 3,
        "each role change tried once, not retried on 403"
    );
    let notices = calls
        .iter()
        .filter(|c| c.content().is_some_and(|t| t.contains("Manage Roles")))
        .count();
    assert_eq!(
        notices, 1,
        "the missing permission is reported exactly once"
    );
    assert_eq!(t.bot.effects().forbidden, 3);
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_quest_is_announced_in_the_quest_channel() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    let set = run_command(
        &fake,
        ALICE,
        "alice",
        "config",
        vec![events::sub(
            "set",
            vec![
                events::opt("setting", 3, json!("quest_channel")),
                events::opt("value", 3, json!(format!("<#{QUESTS}>"))),
            ],
        )],
        ADMIN,
    )
    .await;
    assert!(
        set.content().unwrap().contains("quest_channel"),
        "{:?}",
        set.content()
    );
    let created = run_command(
        &fake,
        ALICE,
        "alice",
        "quest",
        vec![events::sub(
            "create",
            vec![
                events::opt("name", 3, json!("Two words")),
                events::opt("requirement", 3, json!("total_messages")),
                events::opt("target", 4, json!(2)),
                events::opt("reward", 4, json!(50)),
                events::opt("cycle", 3, json!("once")),
            ],
        )],
        ADMIN,
    )
    .await;
    assert!(
        created.content().unwrap().contains("created"),
        "{:?}",
        created.content()
    );
    for text in ["hello", "again"] {
        fake.dispatch(
            "MESSAGE_CREATE",
            events::message(fake.id(), GENERAL, BOB, "bob", text),
        );
    }
    let notice = fake
        .wait_for("the quest notice in the quest channel", WAIT, |c| {
            c.is("POST", &format!("/channels/{QUESTS}/messages"))
                && c.content().is_some_and(|t| t.contains("**Two words**"))
        })
        .await;
    let content = notice.content().unwrap();
    assert!(
        content.contains(&format!("<@{BOB}>")) && content.contains("+50 XP"),
        "{content}"
    );
    t.bot.settle().await.unwrap();
    assert!(
        !fake.calls().iter().any(|c| {
            !c.path.starts_with(&format!("/channels/{QUESTS}/"))
                && c.content()
                    .is_some_and(|t| t.contains("**Two words**") && t.contains("completed"))
        }),
        "the quest was announced outside the quest channel"
    );
    let uq = t.bot.db.get_user_active_quests(GUILD, BOB).await.unwrap();
    let done = uq
        .iter()
        .find(|q| q.quest.name == "Two words")
        .and_then(|q| q.progress.clone())
        .expect("progress row");
    assert!(done.completed);
    assert!(xp_of(&t, BOB).await >= 50);
    check_all(&fake);
    t.bot.shutdown().await;
}

/// Discord's autocomplete for `/<command> create requirement` after `typed`: the choices'
/// `(name, value)`.
async fn suggested(
    fake: &FakeDiscord,
    command: &str,
    typed: &str,
    permissions: u64,
) -> Vec<(String, String)> {
    let id = fake.id();
    fake.dispatch(
        "INTERACTION_CREATE",
        events::autocomplete(
            id,
            ALICE,
            command,
            vec![events::sub(
                "create",
                vec![events::focused("requirement", typed)],
            )],
            permissions,
        ),
    );
    let path = format!("/interactions/{id}/token-{id}/callback");
    let answer = fake
        .wait_for("the suggestions", WAIT, |c| {
            c.method == "POST" && c.path == path
        })
        .await;
    let json = answer.json.expect("json");
    assert_eq!(json["type"], 8, "an autocomplete result: {json}");
    json["data"]["choices"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

async fn create(fake: &FakeDiscord, command: &str, requirement: &str) -> String {
    run_command(
        fake,
        ALICE,
        "alice",
        command,
        vec![events::sub(
            "create",
            vec![
                events::opt("name", 3, json!(format!("Count {requirement}"))),
                events::opt("requirement", 3, json!(requirement)),
                events::opt("target", 4, json!(3)),
                events::opt("reward", 4, json!(10)),
            ],
        )],
        ADMIN,
    )
    .await
    .content()
    .unwrap_or_default()
}

/// `/quest create` and `/achievement create` offer, while the admin types, the requirement
/// types the loaded plugins count (with voice's unit), and refuse any other, so nothing is
/// stored that could never be earned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requirements_are_the_plugins_types_suggested_while_typing() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    let quest = suggested(&fake, "quest", "voice", ADMIN).await;
    assert_eq!(
        quest.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
        vec!["voice_time_seconds"],
        "{quest:?}"
    );
    assert!(quest[0].0.contains("seconds"), "{quest:?}");
    let all = suggested(&fake, "quest", "", ADMIN).await;
    let values: Vec<&str> = all.iter().map(|(_, v)| v.as_str()).collect();
    assert!(
        values.contains(&"total_messages") && values.contains(&"plugin:streak-quests:streak_days"),
        "{values:?}"
    );
    let achievement = suggested(&fake, "achievement", "", ADMIN).await;
    let values: Vec<&str> = achievement.iter().map(|(_, v)| v.as_str()).collect();
    assert!(
        values.contains(&"level") && values.contains(&"voice"),
        "{values:?}"
    );
    assert!(
        suggested(&fake, "quest", "", MEMBER).await.is_empty(),
        "members get nothing"
    );

    // What the old descriptions suggested is refused, naming what is accepted.
    for (command, typed) in [
        ("quest", "messages"),
        ("quest", "voice_minutes"),
        ("achievement", "voice_time"),
    ] {
        let said = create(&fake, command, typed).await;
        assert!(
            said.contains("could never be earned") && said.contains("`"),
            "{command} {typed}: {said}"
        );
    }
    assert!(
        !t.bot
            .db
            .list_achievements(GUILD)
            .await
            .unwrap()
            .iter()
            .any(|a| a.requirement_type == "voice_time"),
        "nothing stored"
    );
    // A plugin's own type, by its bare name, is stored under its plugin.
    let said = create(&fake, "quest", "streak_days").await;
    assert!(said.contains("created"), "{said}");
    let quests = t.bot.db.get_guild_active_quests(GUILD, None).await.unwrap();
    assert!(
        quests
            .iter()
            .any(|q| q.requirement_type == "plugin:streak-quests:streak_days"),
        "{quests:?}"
    );
    let said = create(&fake, "achievement", "voice").await;
    assert!(said.contains("seconds in voice"), "{said}");
    check_all(&fake);
    t.bot.shutdown().await;
}

async fn set_xp(fake: &FakeDiscord, user: u64, amount: i64) {
    let answer = run_command(
        fake,
        ALICE,
        "alice",
        "xp",
        vec![events::sub(
            "set",
            vec![
                events::opt("member", 6, json!(user.to_string())),
                events::opt("amount", 4, json!(amount)),
            ],
        )],
        ADMIN,
    )
    .await;
    assert!(
        !answer.content().unwrap().contains("⚠️"),
        "{:?}",
        answer.content()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_leaves_is_reset_only_where_the_guild_asks_for_it() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&fake, dir.path());
    config.discord.members_intent = true;
    let t = start_bot_with(&fake, config, dir).await;
    assert_eq!(
        fake.intents() & GUILD_MEMBERS_INTENT,
        GUILD_MEMBERS_INTENT,
        "members_intent did not ask for GUILD_MEMBERS"
    );
    let carol = 200_000_000_000_000_003;
    for user in [BOB, carol] {
        set_xp(&fake, user, 700).await;
    }
    // reset_on_leave is off by default: leaving keeps the data.
    fake.dispatch("GUILD_MEMBER_REMOVE", events::member_remove(carol, "carol"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        xp_of(&t, carol).await,
        700,
        "data reset although reset_on_leave is off"
    );

    let on = run_command(
        &fake,
        ALICE,
        "alice",
        "config",
        vec![events::sub(
            "set",
            vec![
                events::opt("setting", 3, json!("reset_on_leave")),
                events::opt("value", 3, json!("true")),
            ],
        )],
        ADMIN,
    )
    .await;
    assert!(
        on.content().unwrap().contains("members_intent"),
        "{:?}",
        on.content()
    );
    fake.dispatch("GUILD_MEMBER_REMOVE", events::member_remove(BOB, "bob"));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let row = t.bot.db.get_user_level(GUILD, BOB).await.unwrap();
        if row.is_none() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Bob's data was not reset when he left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The audit entry of the change made to him went too; others are untouched.
    let audit = t.bot.db.list_audit(GUILD, 100, None).await.unwrap();
    assert!(
        audit.iter().all(|a| a.target_id != BOB.to_string()),
        "{audit:?}"
    );
    assert_eq!(xp_of(&t, carol).await, 700);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_and_roles_that_are_not_in_the_guild_are_refused() {
    let fake = FakeDiscord::start().await;
    let t = start_bot(&fake).await;
    let missing = 100_000_000_000_000_999u64;
    let bad_channel = run_command(
        &fake,
        ALICE,
        "alice",
        "config",
        vec![events::sub(
            "set",
            vec![
                events::opt("setting", 3, json!("level_up_channel")),
                events::opt("value", 3, json!(format!("<#{missing}>"))),
            ],
        )],
        ADMIN,
    )
    .await;
    let text = bad_channel.content().unwrap();
    assert!(text.contains("not a channel of this server"), "{text}");
    assert_eq!(flags(&bad_channel) & EPHEMERAL, EPHEMERAL);
    let cfg = t.bot.db.get_server_config(GUILD).await.unwrap();
    assert_eq!(cfg.level_up_channel, None, "an unknown channel was stored");
    let bad_role = run_command(
        &fake,
        ALICE,
        "alice",
        "level-roles",
        vec![events::sub(
            "add",
            vec![
                events::opt("role", 8, json!(missing.to_string())),
                events::opt("level", 4, json!(2)),
            ],
        )],
        ADMIN,
    )
    .await;
    let text = bad_role.content().unwrap();
    assert!(text.contains("not a role of this server"), "{text}");
    assert_eq!(flags(&bad_role) & EPHEMERAL, EPHEMERAL);
    assert!(t.bot.db.list_level_roles(GUILD).await.unwrap().is_empty());
    // Ids that exist are taken (checked against the guild over REST).
    let ok = run_command(
        &fake,
        ALICE,
        "alice",
        "config",
        vec![events::sub(
            "set",
            vec![
                events::opt("setting", 3, json!("quest_channel")),
                events::opt("value", 3, json!(QUESTS.to_string())),
            ],
        )],
        ADMIN,
    )
    .await;
    assert!(!ok.content().unwrap().contains("⚠️"), "{:?}", ok.content());
    assert!(
        fake.calls()
            .iter()
            .any(|c| c.is("GET", &format!("/guilds/{GUILD}/channels")))
    );
    check_all(&fake);
    t.bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_bot_serves_healthz_and_metrics_with_its_engine() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(&fake, dir.path());
    config.observe.listen = Some("127.0.0.1:0".into());
    let t = start_bot_with(&fake, config, dir).await;
    let addr = t.bot.observe_addr().expect("[observe] listen set");
    fake.dispatch(
        "MESSAGE_CREATE",
        events::message(fake.id(), GENERAL, ALICE, "alice", "hello"),
    );
    wait_xp(&t, ALICE).await;

    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("healthz")
        .text()
        .await
        .expect("body");
    let health: Value = serde_json::from_str(&health).expect("json");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["gateway"]["present"], true, "{health}");
    assert_eq!(
        health["gateway"]["connected_shards"],
        json!([0]),
        "{health}"
    );
    assert_eq!(health["scheduler"]["running"], true, "{health}");
    assert!(health["scheduler"]["last_run"].is_string(), "{health}");
    let metrics = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("questline_engine_processed_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("questline_plugin_calls_total{plugin=\"mee6-xp\"}")),
        "{metrics}"
    );
    t.bot.shutdown().await;
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err(),
        "the endpoint stops with the bot"
    );
}
