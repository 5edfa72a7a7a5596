//! The Discord effect sender's bounded queue, against the fake Discord: a burst larger than
//! the queue never blocks the engine's `release`; the oldest notices are dropped and
//! counted, the newest are sent, role changes are kept.

use std::sync::Arc;
use std::time::Duration;

use questline::discord::DiscordSink;
use questline::discord::http::build_http;
use questline::engine::{Effect, EffectSink};
use questline_tests::fake_discord::{FakeDiscord, GENERAL, GUILD, TOKEN};

fn level_up(user: u64) -> Effect {
    Effect::LevelUp {
        guild: GUILD,
        user,
        channel: GENERAL,
        old_level: 0,
        new_level: 1,
        xp: 100,
        message: format!("<@{user}> reached level 1"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_effect_queue_drops_the_oldest_notices_and_counts_them() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db_config = questline::db::DatabaseConfig {
        url: format!("sqlite://{}?mode=rwc", dir.path().join("q.db").display()),
        ..Default::default()
    };
    let db = questline::db::Db::connect(&db_config).await.unwrap();
    let http = Arc::new(build_http(TOKEN, &fake.api_base(), Some(1)));
    let sink = DiscordSink::start_with_capacity(http, db, Duration::from_millis(200), 5);

    // 100 level-ups and one role change in one release: it returns at once.
    let mut burst: Vec<Effect> = (1..=100u64).map(level_up).collect();
    burst.insert(
        50,
        Effect::RoleAdd {
            guild: GUILD,
            user: 7,
            role: 100_000_000_000_000_702,
            level: 1,
        },
    );
    let started = std::time::Instant::now();
    sink.release(burst);
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "release waited"
    );
    assert!(sink.queued() <= 5);
    sink.flush().await;

    let c = sink.counters();
    assert_eq!(c.dropped, 96, "{c:?}");
    assert_eq!(c.lines_sent, 4, "{c:?}");
    assert_eq!(c.roles_changed, 1, "the role change was dropped: {c:?}");
    let messages: Vec<String> = fake
        .calls()
        .iter()
        .filter(|c| c.is("POST", &format!("/channels/{GENERAL}/messages")))
        .filter_map(|c| c.content())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    for user in 97..=100u64 {
        assert!(
            messages[0].contains(&format!("<@{user}>")),
            "newest notice {user} missing: {messages:?}"
        );
    }
    assert!(
        !messages[0].contains("<@1>"),
        "an old notice was kept: {messages:?}"
    );

    // Once drained, the queue takes new effects again without dropping.
    sink.release(vec![level_up(500)]);
    sink.flush().await;
    assert_eq!(sink.counters().dropped, 96);
    assert_eq!(sink.counters().lines_sent, 5);
}
