//! What server admins run beyond the basics, through the real bot on both backends:
//! `/level set` (the curve's threshold, audited), `/audit` (the log, by member and page),
//! `/sync` (reward roles changed by hand put back), and banned or departed members off the
//! boards until they return.

use questline_tests::both_backends;
use questline_tests::fake_discord::harness::start_bot_on;
use questline_tests::fake_discord::{ALICE, BOB, FakeDiscord, GUILD, events};
use serde_json::json;

use crate::support::{ADMIN, EPHEMERAL, MEMBER, check_all, flags, run_command};

/// `/<command> <sub>` as Alice, an admin; the answer's text.
async fn admin(
    fake: &FakeDiscord,
    command: &str,
    sub: Option<&str>,
    options: Vec<serde_json::Value>,
) -> String {
    let options = match sub {
        Some(sub) => vec![events::sub(sub, options)],
        None => options,
    };
    let answer = run_command(fake, ALICE, "alice", command, options, ADMIN).await;
    assert_eq!(
        flags(&answer) & EPHEMERAL,
        EPHEMERAL,
        "admin answers are private"
    );
    answer.content().unwrap_or_default()
}

fn member(user: u64) -> serde_json::Value {
    events::opt("member", 6, json!(user.to_string()))
}

both_backends! {
    async fn level_set_uses_the_curve_and_audit_shows_every_change(t) {
        let fake = FakeDiscord::start().await;
        let bot = start_bot_on(&fake, &t, |_| {}).await;
        let db = bot.bot.db.clone();

        // Level 5 on the default MEE6 curve needs 1,150 XP.
        let said = admin(&fake, "level", Some("set"), vec![member(BOB), events::opt("level", 4, json!(5))]).await;
        assert!(said.contains("is now level 5 with 1150 XP"), "{said}");
        let row = db.get_user_level(GUILD, BOB).await.unwrap().expect("row");
        assert_eq!((row.level, row.xp), (5, 1150));
        // Beyond the curve: refused, nothing changed.
        let said = admin(&fake, "level", Some("set"), vec![member(BOB), events::opt("level", 4, json!(100_000))]).await;
        assert!(said.contains("level must be from 0 to"), "{said}");
        assert_eq!(db.get_user_level(GUILD, BOB).await.unwrap().expect("row").xp, 1150);

        let said = admin(&fake, "xp", Some("add"), vec![
            member(BOB), events::opt("amount", 4, json!(100)), events::opt("reason", 3, json!("event prize")),
        ]).await;
        assert!(!said.contains("⚠️"), "{said}");

        // Newest first, with who, whom, how much and why.
        let log = admin(&fake, "audit", None, vec![]).await;
        let lines: Vec<&str> = log.lines().collect();
        assert!(lines[0].contains("XP audit log") && lines[0].contains("page 1 of 1"), "{log}");
        assert!(lines[1].contains(&format!("<@{ALICE}> → <@{BOB}> **+100 XP** · event prize")), "{log}");
        assert!(lines[2].contains("**+1150 XP** · level set to 5"), "{log}");
        assert_eq!(lines.len(), 3, "{log}");
        // By member, and past the end.
        let none = admin(&fake, "audit", None, vec![member(ALICE)]).await;
        assert!(none.contains(&format!("No manual XP changes for <@{ALICE}>")), "{none}");
        let past = admin(&fake, "audit", None, vec![events::opt("page", 4, json!(9))]).await;
        assert!(past.contains("Page 9 is empty; the last page is 1."), "{past}");

        // Members may not read it.
        let refused = run_command(&fake, BOB, "bob", "audit", vec![], MEMBER).await;
        assert!(refused.content().unwrap_or_default().contains("is for admins"));
        check_all(&fake);
        bot.bot.shutdown().await;
    }
}

const R1: u64 = 100_000_000_000_000_801;
const R3: u64 = 100_000_000_000_000_803;
const R5: u64 = 100_000_000_000_000_805;

/// Waits for the bot to give (`PUT`) or take (`DELETE`) `role` of `user` on Discord, in a
/// call after the first `after` calls.
async fn role_call(fake: &FakeDiscord, after: usize, method: &str, user: u64, role: u64) {
    let path = format!("/guilds/{GUILD}/members/{user}/roles/{role}");
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    while !fake.calls()[after..]
        .iter()
        .any(|c| c.method == method && c.path == path)
    {
        assert!(std::time::Instant::now() < deadline, "no {method} {path}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn sync_puts_back_reward_roles_changed_by_hand(t) {
        let fake = FakeDiscord::start().await;
        let bot = start_bot_on(&fake, &t, |_| {}).await;
        let db = bot.bot.db.clone();
        db.add_level_role(GUILD, R1, 1, true).await.expect("role");
        db.add_level_role(GUILD, R3, 3, false).await.expect("role");
        db.add_level_role(GUILD, R5, 5, false).await.expect("role");
        admin(&fake, "level", Some("set"), vec![member(BOB), events::opt("level", 4, json!(5))]).await;
        role_call(&fake, 0, "PUT", BOB, R5).await;

        // Someone gave Bob the level-3 role back and took the others away by hand.
        fake.set_member_roles(BOB, vec![R3]);
        let before = fake.calls().len();
        let said = admin(&fake, "sync", None, vec![member(BOB)]).await;
        assert!(
            said.contains(&format!("giving <@&{R1}>, <@&{R5}> and taking away <@&{R3}>")),
            "{said}"
        );
        for (method, role) in [("PUT", R1), ("PUT", R5), ("DELETE", R3)] {
            role_call(&fake, before, method, BOB, role).await;
        }
        // In line now (as Discord would say after those calls): nothing to do.
        fake.set_member_roles(BOB, vec![R1, R5]);
        let said = admin(&fake, "sync", None, vec![member(BOB)]).await;
        assert!(said.contains("already match"), "{said}");

        // The whole server, in the background: Alice at level 3 lost her roles.
        admin(&fake, "level", Some("set"), vec![member(ALICE), events::opt("level", 4, json!(3))]).await;
        role_call(&fake, 0, "PUT", ALICE, R3).await;
        fake.set_member_roles(ALICE, vec![]);
        let before = fake.calls().len();
        let said = admin(&fake, "sync", None, vec![]).await;
        assert!(said.contains("Syncing the reward roles of 2 members at level 1 or above"), "{said}");
        role_call(&fake, before, "PUT", ALICE, R3).await;
        role_call(&fake, before, "PUT", ALICE, R1).await;
        // `/sync` shows the run's progress; once it finished, the next one reports it.
        let deadline = std::time::Instant::now() + crate::support::WAIT;
        loop {
            let said = admin(&fake, "sync", None, vec![]).await;
            if said.contains("Last run:") {
                assert!(said.contains("Done: 2 of 2 members checked, 2 role changes queued."), "{said}");
                break;
            }
            assert!(said.contains("of 2 members checked"), "{said}");
            assert!(std::time::Instant::now() < deadline, "never finished: {said}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        check_all(&fake);
        bot.bot.shutdown().await;
    }
}

/// The members on the board, in order.
async fn board(db: &questline::db::Db) -> Vec<u64> {
    db.leaderboard_rows(GUILD, 0, 10)
        .await
        .expect("board")
        .iter()
        .map(|r| r.user_id)
        .collect()
}

/// Waits until the board is `want`.
async fn board_becomes(db: &questline::db::Db, want: &[u64], why: &str) {
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    loop {
        let now = board(db).await;
        if now == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{why}: the board is {now:?}, not {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn banned_and_departed_members_leave_the_boards_until_they_return(t) {
        const CAROL: u64 = 200_000_000_000_000_003;
        let fake = FakeDiscord::start().await;
        let bot = start_bot_on(&fake, &t, |c| c.discord.members_intent = true).await;
        let db = bot.bot.db.clone();
        for (user, xp) in [(BOB, 700), (ALICE, 500), (CAROL, 300)] {
            admin(&fake, "xp", Some("set"), vec![member(user), events::opt("amount", 4, json!(xp))]).await;
        }
        board_becomes(&db, &[BOB, ALICE, CAROL], "set up").await;

        // A ban takes Bob off the board and out of /rank; his XP stays.
        fake.dispatch("GUILD_BAN_ADD", events::ban(BOB, "bob"));
        board_becomes(&db, &[ALICE, CAROL], "banned").await;
        assert_eq!(db.member_rank(GUILD, ALICE).await.unwrap().expect("rank").rank, 1);
        assert!(db.member_rank(GUILD, BOB).await.unwrap().is_none());
        assert_eq!(db.get_user_level(GUILD, BOB).await.unwrap().expect("row").xp, 700);
        // The ban lifted: with joins seen, he is back once he rejoins, not before.
        fake.dispatch("GUILD_BAN_REMOVE", events::ban(BOB, "bob"));
        let deadline = std::time::Instant::now() + crate::support::WAIT;
        while db.get_user_level(GUILD, BOB).await.unwrap().expect("row").away != "left" {
            assert!(std::time::Instant::now() < deadline, "the unban was not recorded");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(board(&db).await, vec![ALICE, CAROL]);
        fake.dispatch("GUILD_MEMBER_ADD", events::member_add(BOB, "bob"));
        board_becomes(&db, &[BOB, ALICE, CAROL], "rejoined").await;

        // Carol leaves (reset_on_leave is off): off the board, data kept; she is back as
        // soon as she is active again, even if her return was missed.
        fake.dispatch("GUILD_MEMBER_REMOVE", events::member_remove(CAROL, "carol"));
        board_becomes(&db, &[BOB, ALICE], "left").await;
        fake.dispatch("MESSAGE_CREATE", events::message(fake.id(), questline_tests::fake_discord::GENERAL, CAROL, "carol", "hi again"));
        board_becomes(&db, &[BOB, ALICE, CAROL], "active again").await;
        check_all(&fake);
        bot.bot.shutdown().await;
    }
}

/// `/config set setting value` as Alice; the answer.
async fn set(fake: &FakeDiscord, setting: &str, value: &str) -> String {
    admin(
        fake,
        "config",
        Some("set"),
        vec![
            events::opt("setting", 3, json!(setting)),
            events::opt("value", 3, json!(value)),
        ],
    )
    .await
}

/// `user` (new, level 0) speaks in #general; at 10× XP one message reaches level 1.
async fn level_up(
    fake: &FakeDiscord,
    bot: &questline_tests::fake_discord::harness::TestBot,
    user: u64,
    name: &str,
) {
    use questline_tests::fake_discord::GENERAL;
    fake.dispatch(
        "MESSAGE_CREATE",
        events::message(fake.id(), GENERAL, user, name, "hello"),
    );
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    loop {
        bot.bot.settle().await.unwrap();
        if bot
            .bot
            .db
            .get_user_level(GUILD, user)
            .await
            .unwrap()
            .is_some_and(|r| r.level >= 1)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} never reached level 1"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The message posted to `channel` that contains `text`.
async fn posted(
    fake: &FakeDiscord,
    channel: u64,
    text: &str,
) -> questline_tests::fake_discord::Call {
    let path = format!("/channels/{channel}/messages");
    fake.wait_for(&format!("{text} in {channel}"), crate::support::WAIT, |c| {
        c.method == "POST" && c.path == path && c.content().is_some_and(|t| t.contains(text))
    })
    .await
}

both_backends! {
    async fn level_up_messages_go_where_and_as_the_server_says(t) {
        use questline_tests::fake_discord::{GENERAL, dm_channel};
        let fake = FakeDiscord::start().await;
        let bot = start_bot_on(&fake, &t, |_| {}).await;
        let db = bot.bot.db.clone();
        assert!(set(&fake, "xp_rate", "10").await.contains("xp_rate"));
        db.add_level_role(GUILD, R1, 1, true).await.expect("reward");
        // Templates are checked when set.
        let refused = set(&fake, "level_up_message", "{usr} went up").await;
        assert!(refused.contains("{usr} is not a placeholder") && refused.contains("{user.name}"), "{refused}");
        let refused = admin(&fake, "levelup", Some("message"), vec![
            events::opt("level", 4, json!(1)), events::opt("text", 3, json!("{lvl}!")),
        ]).await;
        assert!(refused.contains("{lvl} is not a placeholder"), "{refused}");
        // Levels 1 and 2 get their own message (one message at 10× reaches either), and
        // the reward-role message.
        for level in [1, 2] {
            let said = admin(&fake, "levelup", Some("message"), vec![
                events::opt("level", 4, json!(level)), events::opt("text", 3, json!("{user.name} is level {level} now!")),
            ]).await;
            assert!(said.contains(&format!("Reaching level {level} now says")), "{said}");
        }
        assert!(set(&fake, "role_reward_message", "You earned {role}.").await.contains("role_reward_message"));
        let list = admin(&fake, "levelup", Some("messages"), vec![]).await;
        assert!(list.contains("**1**: {user.name} is level {level} now!\n**2**: "), "{list}");

        // channel (no level-up channel: where the member spoke), pinging.
        let m1 = 200_000_000_000_000_011;
        level_up(&fake, &bot, m1, "mia").await;
        let call = posted(&fake, GENERAL, "mia is level ").await;
        // (Other notices in the same channel may share the message.)
        let content = call.content().unwrap();
        assert!(content.contains(&format!(" now!\nYou earned <@&{R1}>.")), "{content}");
        assert_eq!(call.json.as_ref().unwrap()["allowed_mentions"]["parse"], json!(["users"]));

        // No pings.
        assert!(set(&fake, "level_up_ping", "off").await.contains("level_up_ping"));
        let m2 = 200_000_000_000_000_012;
        level_up(&fake, &bot, m2, "max").await;
        let call = posted(&fake, GENERAL, "max is level ").await;
        assert_eq!(call.json.as_ref().unwrap()["allowed_mentions"]["parse"], json!([]));

        // A direct message.
        assert!(set(&fake, "level_up_destination", "dm").await.contains("level_up_destination"));
        let m3 = 200_000_000_000_000_013;
        level_up(&fake, &bot, m3, "mo").await;
        posted(&fake, dm_channel(m3), "mo is level ").await;
        assert!(fake.calls().iter().any(|c| c.method == "POST" && c.path == "/users/@me/channels"
            && c.json.as_ref().is_some_and(|j| j["recipient_id"] == json!(m3.to_string()))));

        // Off: no message at all, the role still given.
        assert!(set(&fake, "level_up_destination", "off").await.contains("level_up_destination"));
        let m4 = 200_000_000_000_000_014;
        level_up(&fake, &bot, m4, "mel").await;
        role_call(&fake, 0, "PUT", m4, R1).await;
        bot.bot.settle().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(!fake.calls().iter().any(|c| c.content().is_some_and(|t| t.contains("mel is level"))));

        // The preview says what, where and whether it pings, and sends nothing.
        let preview = admin(&fake, "levelup", Some("preview"), vec![events::opt("level", 4, json!(1))]).await;
        assert!(preview.contains("sent nowhere") && preview.contains("does not ping"), "{preview}");
        assert!(preview.contains(&format!("alice is level 1 now!\nYou earned <@&{R1}>.")), "{preview}");
        check_all(&fake);
        bot.bot.shutdown().await;
    }
}

/// `user` speaks once in `channel` holding `roles`; the XP that one message earned.
async fn xp_from_one_message(
    fake: &FakeDiscord,
    bot: &questline_tests::fake_discord::harness::TestBot,
    user: u64,
    channel: u64,
    roles: &[u64],
) -> i64 {
    let mut m = events::message(fake.id(), channel, user, "member", "hello there");
    m["member"]["roles"] = json!(roles.iter().map(|r| r.to_string()).collect::<Vec<_>>());
    fake.dispatch("MESSAGE_CREATE", m);
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    loop {
        bot.bot.settle().await.unwrap();
        if let Some(row) = bot.bot.db.get_user_level(GUILD, user).await.unwrap() {
            // First Words (+25) may come with the first message; count the message alone.
            let achievements = bot.bot.db.get_user_achievements(GUILD, user).await.unwrap();
            return row.xp - achievements.iter().map(|(_, a)| a.reward_xp).sum::<i64>();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{user} earned nothing"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn xp_boosts_apply_only_within_their_window_and_scope(t) {
        use questline_tests::fake_discord::{GENERAL, QUESTS};
        const BOOSTED: u64 = 100_000_000_000_000_702;
        let fake = FakeDiscord::start().await;
        let bot = start_bot_on(&fake, &t, |c| c.engine.tick_secs = 1).await;
        let start = |options: Vec<serde_json::Value>| {
            let fake = &fake;
            async move {
                let answer = run_command(fake, ALICE, "alice", "boost", vec![events::sub("start", options)], ADMIN).await;
                answer.content().unwrap_or_default()
            }
        };
        // Bad input says what is accepted.
        let said = admin(&fake, "boost", Some("start"), vec![events::opt("multiplier", 10, json!(2)), events::opt("duration", 3, json!("soon"))]).await;
        assert!(said.contains("not a duration"), "{said}");

        // 10× for one role, for an hour: announced publicly where it was started.
        let said = start(vec![
            events::opt("multiplier", 10, json!(10)),
            events::opt("duration", 3, json!("1h")),
            events::opt("role", 8, json!(BOOSTED.to_string())),
        ]).await;
        assert!(said.contains(&format!("**10× XP** for <@&{BOOSTED}>")), "{said}");
        let list = admin(&fake, "boost", Some("list"), vec![]).await;
        assert!(list.contains("#1 **10× XP**"), "{list}");
        let with_role = xp_from_one_message(&fake, &bot, 200_000_000_000_000_021, GENERAL, &[BOOSTED]).await;
        let without = xp_from_one_message(&fake, &bot, 200_000_000_000_000_022, GENERAL, &[]).await;
        assert!((150..=250).contains(&with_role), "boosted: {with_role}");
        assert!((15..=25).contains(&without), "not boosted: {without}");

        // 10× in one channel.
        let said = start(vec![
            events::opt("multiplier", 10, json!(10)),
            events::opt("duration", 3, json!("30m")),
            events::opt("channel", 7, json!(QUESTS.to_string())),
        ]).await;
        assert!(said.contains(&format!("in <#{QUESTS}>")), "{said}");
        let there = xp_from_one_message(&fake, &bot, 200_000_000_000_000_023, QUESTS, &[]).await;
        let elsewhere = xp_from_one_message(&fake, &bot, 200_000_000_000_000_024, GENERAL, &[]).await;
        assert!((150..=250).contains(&there), "in the channel: {there}");
        assert!((15..=25).contains(&elsewhere), "elsewhere: {elsewhere}");

        // Stopped: no boost any more, and the end is announced where it started.
        let said = admin(&fake, "boost", Some("stop"), vec![events::opt("id", 4, json!(1))]).await;
        assert!(said.contains("Boost #1 stopped"), "{said}");
        let after = xp_from_one_message(&fake, &bot, 200_000_000_000_000_025, GENERAL, &[BOOSTED]).await;
        assert!((15..=25).contains(&after), "after the end: {after}");
        let ended = posted(&fake, GENERAL, "boost has ended").await;
        assert!(ended.content().unwrap().contains(&format!("**10× XP** for <@&{BOOSTED}>")));
        let said = admin(&fake, "boost", Some("stop"), vec![events::opt("id", 4, json!(1))]).await;
        assert!(said.contains("no running boost #1"), "{said}");

        // /rank shows a boost the member earns with.
        start(vec![events::opt("multiplier", 10, json!(2)), events::opt("duration", 3, json!("2h"))]).await;
        admin(&fake, "xp", Some("add"), vec![member(ALICE), events::opt("amount", 4, json!(50))]).await;
        let id = fake.id();
        fake.dispatch("INTERACTION_CREATE", events::interaction(id, ALICE, "alice", "rank", vec![], MEMBER));
        let card = fake
            .wait_for("the rank card", crate::support::WAIT, |c| {
                c.method == "PATCH" && c.path.ends_with(&format!("/token-{id}/messages/@original"))
            })
            .await;
        assert!(card.content().unwrap_or_default().contains("⚡ 2× XP until <t:"), "{:?}", card.content());
        check_all(&fake);
        bot.bot.shutdown().await;
    }
}

both_backends! {
    async fn achievement_badges_are_checked_set_shown_and_cleared(t) {
        let fake = FakeDiscord::start().await;
        let bot = start_bot_on(&fake, &t, |_| {}).await;
        let create = |badge: &'static str| {
            let fake = &fake;
            async move {
                admin(fake, "achievement", Some("create"), vec![
                    events::opt("name", 3, json!("Shiny")),
                    events::opt("requirement", 3, json!("messages")),
                    events::opt("target", 4, json!(3)),
                    events::opt("reward", 4, json!(10)),
                    events::opt("badge", 3, json!(badge)),
                ])
                .await
            }
        };
        // Only https on an allowed image host.
        for bad in ["http://cdn.discordapp.com/b.png", "https://evil.example/b.png"] {
            let said = create(bad).await;
            assert!(said.contains("the badge was not set"), "{bad}: {said}");
        }
        assert!(!bot.bot.db.list_achievements(GUILD).await.unwrap().iter().any(|a| a.name == "Shiny"));
        let badge = "https://cdn.discordapp.com/emojis/1.png";
        assert!(create(badge).await.contains("created"));
        let shiny = bot.bot.db.list_achievements(GUILD).await.unwrap().into_iter().find(|a| a.name == "Shiny").expect("created");
        assert_eq!(shiny.badge_url.as_deref(), Some(badge));
        let list = admin(&fake, "achievement", Some("list"), vec![]).await;
        assert!(list.contains(&format!("**Shiny** · 3 messages · 10 XP · [badge](<{badge}>)")), "{list}");
        // Cleared.
        let said = admin(&fake, "achievement", Some("badge"), vec![
            events::opt("id", 4, json!(shiny.id)), events::opt("url", 3, json!("none")),
        ]).await;
        assert!(said.contains("has no badge any more"), "{said}");
        assert_eq!(bot.bot.db.list_achievements(GUILD).await.unwrap().into_iter().find(|a| a.id == shiny.id).unwrap().badge_url, None);
        let said = admin(&fake, "achievement", Some("badge"), vec![
            events::opt("id", 4, json!(999_999)), events::opt("url", 3, json!(badge)),
        ]).await;
        assert!(said.contains("no achievement #999999"), "{said}");
        check_all(&fake);
        bot.bot.shutdown().await;
    }
}

both_backends! {
    async fn a_season_is_archived_with_its_role_and_the_boards_follow_their_periods(t) {
        use questline_tests::fake_discord::GENERAL;
        // The fixture guild's "Regular" role.
        const CHAMP: u64 = 100_000_000_000_000_702;
        const CAROL: u64 = 200_000_000_000_000_031;
        let fake = FakeDiscord::start().await;
        let bot = start_bot_on(&fake, &t, |_| {}).await;
        let db = bot.bot.db.clone();
        let public = |command: &'static str, options: Vec<serde_json::Value>, perms: u64| {
            let fake = &fake;
            async move {
                let answer = run_command(fake, ALICE, "alice", command, options, perms).await;
                (flags(&answer) & EPHEMERAL == 0, answer.content().unwrap_or_default())
            }
        };
        let add = |user: u64, amount: i64| {
            let fake = &fake;
            async move {
                admin(fake, "xp", Some("add"), vec![member(user), events::opt("amount", 4, json!(amount))]).await
            }
        };
        // Bob's XP from before the season.
        add(BOB, 1_000).await;

        let (shown, said) = public("season", vec![events::sub("start", vec![
            events::opt("name", 3, json!("Winter")),
            events::opt("top", 4, json!(1)),
            events::opt("role", 8, json!(CHAMP.to_string())),
            events::opt("reset", 5, json!(true)),
        ])], ADMIN).await;
        assert!(shown && said.contains("Season “Winter” has begun"), "{said}");
        assert!(said.contains(&format!("the top 1 get <@&{CHAMP}>")) && said.contains("lifetime XP is kept"), "{said}");
        let again = admin(&fake, "season", Some("start"), vec![events::opt("name", 3, json!("Spring"))]).await;
        assert!(again.contains("“Winter” is still running") && again.contains("/season end"), "{again}");
        let bad = admin(&fake, "season", Some("start"), vec![events::opt("name", 3, json!("x")), events::opt("ends", 3, json!("someday"))]).await;
        assert!(bad.contains("2027-03-01"), "{bad}");

        // Gains from now count on the season's board: moderators' and earned XP alike.
        add(ALICE, 300).await;
        add(BOB, 100).await;
        let earned = xp_from_one_message(&fake, &bot, CAROL, GENERAL, &[]).await;
        assert!(earned > 0);
        let (shown, board) = public("leaderboard", vec![events::opt("period", 3, json!("season"))], MEMBER).await;
        assert!(shown && board.contains("Season “Winter”"), "{board}");
        let lines: Vec<&str> = board.lines().skip(1).collect();
        assert!(lines[0].contains(&format!("**#1** <@{ALICE}> · level") ) && lines[0].ends_with("300 XP gained"), "{board}");
        assert!(lines[1].contains(&format!("<@{BOB}>")) && lines[1].ends_with("100 XP gained"), "{board}");
        assert!(lines[2].contains(&format!("<@{CAROL}>")), "{board}");
        // This week's board counts Bob's earlier 1,000 too; the all-time one is by level.
        let (_, week) = public("leaderboard", vec![events::opt("period", 3, json!("week"))], MEMBER).await;
        assert!(week.contains("This week's leaderboard") && week.lines().nth(1).unwrap().contains(&format!("<@{BOB}> · level")) && week.lines().nth(1).unwrap().ends_with("1100 XP gained"), "{week}");

        // The end: archived, the role to the top, announced, levels reset into lifetime XP.
        let (shown, ended) = public("season", vec![events::sub("end", vec![])], ADMIN).await;
        assert!(shown && ended.contains("Season “Winter” has ended"), "{ended}");
        assert!(ended.contains(&format!("🥇 <@{ALICE}> · 300 XP")) && !ended.contains(&format!("<@{BOB}> ·")), "{ended}");
        role_call(&fake, 0, "PUT", ALICE, CHAMP).await;
        posted(&fake, GENERAL, "Season “Winter” has ended").await;
        let bob = db.get_user_level(GUILD, BOB).await.unwrap().unwrap();
        assert_eq!((bob.xp, bob.level, bob.carried_xp), (0, 0, 1_100));
        let id = fake.id();
        fake.dispatch("INTERACTION_CREATE", events::interaction(id, BOB, "bob", "rank", vec![], MEMBER));
        let card = fake
            .wait_for("the rank card", crate::support::WAIT, |c| {
                c.method == "PATCH" && c.path.ends_with(&format!("/token-{id}/messages/@original"))
            })
            .await;
        assert!(card.content().unwrap_or_default().contains("0 XP total · 1100 XP lifetime"), "{:?}", card.content());

        // Viewable afterwards by everyone.
        let (_, none) = public("leaderboard", vec![events::opt("period", 3, json!("season"))], MEMBER).await;
        assert!(none.contains("No season is running"), "{none}");
        let (_, list) = public("seasons", vec![], MEMBER).await;
        assert!(list.contains("“Winter” · ended") && list.contains(&format!("🥇 <@{ALICE}> (300 XP)")), "{list}");
        let (_, standings) = public("seasons", vec![events::opt("name", 3, json!("winter"))], MEMBER).await;
        assert!(standings.contains("final standings") && standings.contains(&format!("🥇 <@{ALICE}> · 300 XP")), "{standings}");
        let (_, missing) = public("seasons", vec![events::opt("name", 3, json!("Summer"))], MEMBER).await;
        assert!(missing.contains("no ended season named “Summer”"), "{missing}");
        // Members cannot start or end one.
        let refused = run_command(&fake, BOB, "bob", "season", vec![events::sub("end", vec![])], MEMBER).await;
        assert!(refused.content().unwrap_or_default().contains("is for admins"));
        check_all(&fake);
        bot.bot.shutdown().await;
    }
}
