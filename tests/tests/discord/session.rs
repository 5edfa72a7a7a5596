//! A lost gateway session, seen from `/healthz`: when Discord invalidates the session the
//! shard is reported disconnected at once (not after serenity's ~5 s restart), and connected
//! again after the new READY; a graceful shutdown afterwards still closes the new connection
//! with code 1000 (serenity 0.12.5's own shutdown returns before it would). The bot runs in a child process (this test binary again, with the bot's settings in
//! the environment) with the binary's own logging set-up, which is where the session watch is
//! installed, and so that no other test's bot shares its process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use questline::observe::logging::{LogConfig, LogFormat};
use questline_tests::fake_discord::FakeDiscord;
use questline_tests::fake_discord::harness::{BotProcess, start_child_bot, test_config_at};
use serde_json::Value;

const CHILD_API: &str = "QUESTLINE_TEST_SESSION_API";
const CHILD_DIR: &str = "QUESTLINE_TEST_SESSION_DIR";
const CHILD_LISTEN: &str = "QUESTLINE_TEST_SESSION_LISTEN";
const TEST_NAME: &str = "session::a_lost_session_shows_on_healthz_at_once_clears_with_the_new_ready_and_closes_with_1000";

/// The child's part: logging as `questline run` sets it up, the bot, and a graceful shutdown
/// on SIGTERM.
fn run_bot(api: String, dir: String, listen: String) {
    questline::observe::logging::init(LogFormat::Human, "warn", &LogConfig::default())
        .expect("logging");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let mut config = test_config_at(&api, std::path::Path::new(&dir));
        config.observe.listen = Some(listen);
        let bot = start_child_bot(&config).await;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        term.recv().await;
        bot.shutdown().await;
    });
}

fn spawn_bot(fake: &FakeDiscord, dir: &std::path::Path, listen: &str) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_API, fake.api_base())
        .env(CHILD_DIR, dir)
        .env(CHILD_LISTEN, listen)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the bot process")
}

async fn health(url: &str) -> Option<(u16, Value)> {
    let answer = reqwest::get(url).await.ok()?;
    let status = answer.status().as_u16();
    let body = answer.text().await.ok()?;
    Some((status, serde_json::from_str(&body).ok()?))
}

fn shards(body: &Value) -> Vec<u64> {
    body["gateway"]["connected_shards"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// Polls `/healthz` until `want` holds for its body; returns how long that took.
async fn until_health(
    url: &str,
    what: &str,
    limit: Duration,
    want: impl Fn(&Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        if let Some((_, body)) = health(url).await
            && want(&body)
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[test]
fn a_lost_session_shows_on_healthz_at_once_clears_with_the_new_ready_and_closes_with_1000() {
    if let (Ok(api), Ok(dir), Ok(listen)) = (
        std::env::var(CHILD_API),
        std::env::var(CHILD_DIR),
        std::env::var(CHILD_LISTEN),
    ) {
        return run_bot(api, dir, listen);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let url = format!("http://{listen}/healthz");
        let mut bot = BotProcess(spawn_bot(&fake, dir.path(), &listen));
        let child = &mut bot.0;
        until_health(&url, "the shard connected", Duration::from_secs(60), |b| {
            shards(b) == [0]
        })
        .await;

        fake.invalidate_session();
        let took = until_health(
            &url,
            "the shard reported disconnected",
            Duration::from_secs(10),
            |b| shards(b).is_empty() && b["status"] == "unhealthy",
        )
        .await;
        assert!(
            took < Duration::from_secs(2),
            "the lost session showed on /healthz only after {took:?}"
        );
        // serenity identifies again on its own; the new READY makes the shard connected.
        until_health(
            &url,
            "the shard back after the new READY",
            Duration::from_secs(30),
            |b| shards(b) == [0],
        )
        .await;
        assert!(fake.identified() >= 2, "no new IDENTIFY");

        // SIGTERM stops it gracefully.
        let pid = child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().expect("poll").is_none() {
            assert!(Instant::now() < deadline, "the bot did not stop on SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The connection it had after the re-identify was closed with 1000, so Discord
        // shows the bot offline at once.
        let closes = fake.closes();
        assert_eq!(
            closes.last(),
            Some(&Some(1000)),
            "the last gateway connection ended without a 1000 close frame: {closes:?}"
        );
    });
}
