//! The Discord effect sender against the fake Discord: effects wait in the database's outbox,
//! so a burst never blocks the engine, a rate limit delays a reward instead of losing it
//! (no request inside the window Discord gave), and what one sender left is sent by the
//! next.

use std::sync::Arc;
use std::time::{Duration, Instant};

use questline::db::Db;
use questline::discord::DiscordSink;
use questline::discord::sink::{RestTarget, SinkSettings};
use questline::engine::{Effect, EffectSink};
use questline_tests::fake_discord::{
    Call, FakeDiscord, GENERAL, GUILD, LEVEL_UPS, Scripted, TOKEN,
};

const ROLE: u64 = 100_000_000_000_000_702;

fn level_up(user: u64, channel: u64) -> Effect {
    Effect::LevelUp {
        guild: GUILD,
        user,
        channel,
        old_level: 0,
        new_level: 1,
        xp: 100,
        message: format!("<@{user}> reached level 1"),
    }
}

fn role_add(user: u64) -> Effect {
    Effect::RoleAdd {
        guild: GUILD,
        user,
        role: ROLE,
        level: 1,
    }
}

async fn sqlite(dir: &tempfile::TempDir) -> Db {
    let db_config = questline::db::DatabaseConfig {
        url: format!("sqlite://{}?mode=rwc", dir.path().join("q.db").display()),
        ..Default::default()
    };
    Db::connect(&db_config).await.unwrap()
}

fn sink_on(fake: &FakeDiscord, db: Db, capacity: usize) -> Arc<DiscordSink> {
    DiscordSink::start(
        RestTarget {
            client: reqwest::Client::new(),
            api_base: fake.api_base(),
            token: TOKEN.to_string(),
        },
        db,
        SinkSettings {
            coalesce: Duration::from_millis(100),
            capacity,
            ..SinkSettings::default()
        },
    )
}

fn role_calls(fake: &FakeDiscord) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.path.contains("/roles/"))
        .collect()
}

/// Polls until `done` holds (or fails the test after 30 s).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_waiting_notices_drop_the_oldest_and_never_a_role_change() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    let sink = sink_on(&fake, db.clone(), 5);

    // 100 level-ups and one role change in one release: it returns at once.
    let mut burst: Vec<Effect> = (1..=100u64).map(|u| level_up(u, GENERAL)).collect();
    burst.insert(50, role_add(7));
    let started = Instant::now();
    sink.release(burst);
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "release waited"
    );
    sink.flush().await;

    let c = sink.counters();
    assert_eq!(c.dropped, 95, "{c:?}");
    assert_eq!(c.lines_sent, 5, "{c:?}");
    assert_eq!(c.roles_changed, 1, "the role change was dropped: {c:?}");
    let messages: Vec<String> = fake
        .calls()
        .iter()
        .filter(|c| c.is("POST", &format!("/channels/{GENERAL}/messages")))
        .filter_map(|c| c.content())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    for user in 96..=100u64 {
        assert!(
            messages[0].contains(&format!("<@{user}>")),
            "newest notice {user} missing: {messages:?}"
        );
    }
    assert!(
        !messages[0].contains("<@1>"),
        "an old notice was kept: {messages:?}"
    );
    assert_eq!(db.pending_effects().await.unwrap(), 0, "sent entries stay");

    // Once drained, new notices go out without dropping.
    sink.release(vec![level_up(500, GENERAL)]);
    sink.flush().await;
    assert_eq!(sink.counters().dropped, 95);
    assert_eq!(sink.counters().lines_sent, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_role_is_given_after_retry_after_with_no_request_inside_the_window() {
    let fake = FakeDiscord::start().await;
    fake.script_roles(vec![Scripted::rate_limited(
        5.0,
        false,
        &[("retry-after", "5"), ("x-ratelimit-scope", "user")],
    )]);
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    let sink = sink_on(&fake, db.clone(), 100);

    sink.release(vec![role_add(7)]);
    until("the rate-limited attempt", || !role_calls(&fake).is_empty()).await;
    // Another member's change on the same guild's route waits too.
    sink.release(vec![role_add(8)]);
    until("both roles given", || {
        role_calls(&fake)
            .iter()
            .filter(|c| c.status == Some(204))
            .count()
            == 2
    })
    .await;

    let calls = role_calls(&fake);
    assert_eq!(calls[0].status, Some(429));
    let window_end = calls[0].at + Duration::from_secs(5);
    for c in &calls[1..] {
        assert!(
            c.at >= window_end,
            "a role request landed {:?} into the 5 s window",
            c.at - calls[0].at
        );
    }
    assert_eq!(calls.len(), 3, "one 429, then each role once: {calls:?}");
    assert!(
        calls[0].at.elapsed() < Duration::from_secs(20),
        "the retry came far later than the reset"
    );
    sink.flush().await;
    assert_eq!(db.pending_effects().await.unwrap(), 0);
    let c = sink.counters();
    assert_eq!((c.roles_changed, c.retries, c.failures), (2, 1, 0), "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_limit_holds_every_route_and_an_exhausted_bucket_waits_for_its_reset() {
    let fake = FakeDiscord::start().await;
    fake.script_roles(vec![
        // The bucket is used up by this (successful) change: 1.5 s before the next.
        Scripted {
            status: 204,
            headers: vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset-after".into(), "1.5".into()),
            ],
            body: None,
        },
        // Then a global limit: nothing at all for 2 s.
        Scripted::rate_limited(2.0, true, &[("x-ratelimit-global", "true")]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    let sink = sink_on(&fake, db.clone(), 100);

    sink.release(vec![role_add(7), role_add(8)]);
    until("the global 429", || role_calls(&fake).len() >= 2).await;
    let calls = role_calls(&fake);
    assert!(
        calls[1].at >= calls[0].at + Duration::from_millis(1500),
        "the second change did not wait for the bucket's reset: {:?}",
        calls[1].at - calls[0].at
    );
    let global_at = calls[1].at;
    // A notice for a channel (another route) waits out the global limit as well.
    sink.release(vec![level_up(9, LEVEL_UPS)]);
    until("the notice", || {
        fake.calls()
            .iter()
            .any(|c| c.is("POST", &format!("/channels/{LEVEL_UPS}/messages")))
    })
    .await;
    until("the retried role", || role_calls(&fake).len() == 3).await;
    for c in fake.calls().iter().filter(|c| c.at > global_at) {
        assert!(
            c.at >= global_at + Duration::from_secs(2),
            "{} {} sent inside the global limit",
            c.method,
            c.path
        );
    }
    sink.flush().await;
    assert_eq!(db.pending_effects().await.unwrap(), 0);
}

/// A sender stopped mid-request (its runtime shut down, as a process's ends) leaves the role
/// change in the outbox, and the next sender on the database gives it, once.
#[test]
fn what_a_stopped_sender_left_in_the_outbox_is_sent_by_the_next_once() {
    let runtime = |workers| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap()
    };
    let main = runtime(2);
    let fake = main.block_on(FakeDiscord::start());
    fake.hold_roles(true);
    let dir = tempfile::tempdir().unwrap();

    let first_rt = runtime(1);
    let first = first_rt.block_on(async { sink_on(&fake, sqlite(&dir).await, 100) });
    first.release(vec![role_add(7), level_up(7, GENERAL)]);
    main.block_on(until("the held role change", || {
        !role_calls(&fake).is_empty()
    }));
    // The sender's task and its request in flight end with their runtime.
    first_rt.shutdown_timeout(Duration::from_secs(5));
    drop(first);

    main.block_on(async {
        let db = sqlite(&dir).await;
        assert_eq!(
            db.pending_effects().await.unwrap(),
            1,
            "the unanswered role change must stay owed (the notice was sent)"
        );
        fake.hold_roles(false);
        let restarted = Instant::now();
        let second = sink_on(&fake, db.clone(), 100);
        second.flush().await;
        until("the role given by the next sender", || {
            role_calls(&fake)
                .iter()
                .any(|c| c.at > restarted && c.status == Some(204))
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        second.flush().await;
        assert_eq!(db.pending_effects().await.unwrap(), 0);
        let after: Vec<Call> = role_calls(&fake)
            .into_iter()
            .filter(|c| c.at > restarted)
            .collect();
        assert_eq!(
            after.len(),
            1,
            "the role was sent more than once: {after:?}"
        );
        assert_eq!(second.counters().roles_changed, 1);
    });
}
