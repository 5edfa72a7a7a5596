//! The bot killed with SIGKILL after a batch committed and before Discord answered its reward
//! role: the role change was stored in the batch's transaction, so the next start gives it,
//! once. The bot runs in a child process (this test binary run again, with the bot's
//! settings in the environment: it then only runs the bot until it is killed), so the kill is
//! a real one, with nothing flushed on the way out.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use questline::db::{Db, ServerSetting};
use questline_tests::fake_discord::harness::{BotProcess, start_child_bot, test_config_at};
use questline_tests::fake_discord::{BOB, Call, FakeDiscord, GENERAL, GUILD, events};

/// Set in the child: the fake Discord's REST base and the directory holding the database.
const CHILD_API: &str = "QUESTLINE_TEST_KILLED_API";
const CHILD_DIR: &str = "QUESTLINE_TEST_KILLED_DIR";
const TEST_NAME: &str =
    "killed::a_role_owed_when_the_bot_is_killed_is_given_by_the_next_start_once";
const REWARD_ROLE: u64 = 100_000_000_000_000_702;

/// The child's part: the bot, as `questline run` starts it, until it is killed.
fn run_bot(api: String, dir: String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let mut config = test_config_at(&api, std::path::Path::new(&dir));
        config.discord.coalesce_ms = 0;
        let _bot = start_child_bot(&config).await;
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

fn spawn_bot(fake: &FakeDiscord, dir: &std::path::Path) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_API, fake.api_base())
        .env(CHILD_DIR, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the bot process")
}

fn role_calls(fake: &FakeDiscord) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.path == format!("/guilds/{GUILD}/members/{BOB}/roles/{REWARD_ROLE}"))
        .collect()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn open(dir: &std::path::Path) -> Db {
    let config = questline::db::DatabaseConfig {
        url: format!("sqlite://{}?mode=rwc", dir.join("questline.db").display()),
        ..Default::default()
    };
    Db::connect(&config).await.expect("open the bot's database")
}

#[test]
fn a_role_owed_when_the_bot_is_killed_is_given_by_the_next_start_once() {
    if let (Ok(api), Ok(dir)) = (std::env::var(CHILD_API), std::env::var(CHILD_DIR)) {
        return run_bot(api, dir);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        // The guild as its admins set it up: a generous rate (one message is a level) and a
        // reward role at level 1.
        {
            let db = open(dir.path()).await;
            db.update_server_config(GUILD, ServerSetting::XpRate(10.0))
                .await
                .unwrap();
            db.add_level_role(GUILD, REWARD_ROLE, 1, false)
                .await
                .unwrap();
            db.close().await.unwrap();
        }
        // Discord takes the role change and never answers: the bot is killed meanwhile.
        fake.hold_roles(true);
        let mut first = BotProcess(spawn_bot(&fake, dir.path()));
        until("the first bot on the gateway", || fake.identified() >= 1).await;
        fake.dispatch(
            "MESSAGE_CREATE",
            events::message(fake.id(), GENERAL, BOB, "bob", "hello everyone"),
        );
        until("the reward role request", || !role_calls(&fake).is_empty()).await;
        first.0.kill().expect("SIGKILL");
        let _ = first.0.wait();

        let db = open(dir.path()).await;
        let bob = db
            .get_user_level(GUILD, BOB)
            .await
            .unwrap()
            .expect("Bob's row");
        assert!(bob.level >= 1, "the batch was not committed: {bob:?}");
        assert!(
            db.pending_effects().await.unwrap() >= 1,
            "the unanswered role change must still be owed after the kill"
        );

        fake.hold_roles(false);
        let restarted = Instant::now();
        let identified = fake.identified();
        let mut second = BotProcess(spawn_bot(&fake, dir.path()));
        until("the second bot on the gateway", || {
            fake.identified() > identified
        })
        .await;
        until("the role given by the next start", || {
            role_calls(&fake)
                .iter()
                .any(|c| c.at > restarted && c.status == Some(204))
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while db.pending_effects().await.unwrap() > 0 {
            assert!(Instant::now() < deadline, "the outbox never emptied");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Nothing more comes: the role was sent once.
        tokio::time::sleep(Duration::from_millis(500)).await;
        second.0.kill().expect("SIGKILL");
        let _ = second.0.wait();
        let after: Vec<Call> = role_calls(&fake)
            .into_iter()
            .filter(|c| c.at > restarted)
            .collect();
        assert_eq!(
            after.len(),
            1,
            "the role was sent more than once: {after:?}"
        );
        assert_eq!(after[0].method, "PUT");
    });
}
