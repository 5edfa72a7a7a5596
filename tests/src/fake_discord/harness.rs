//! The bot, started through `questline`'s real start-up path ([`questline::discord::Bot`],
//! what `questline run` uses) against a [`FakeDiscord`], on an embedded SQLite database in
//! a temporary directory (or a test database of either backend, [`start_bot_on`]).

use std::time::Duration;

use questline::config::Config;
use questline::discord::{Bot, BotOptions};

use super::{FakeDiscord, TOKEN};

/// A bot under test and the directory holding its database and plugin folders.
pub struct TestBot {
    pub bot: Bot,
    pub config: Config,
    pub dir: tempfile::TempDir,
}

/// The configuration a test bot runs with: SQLite in `dir`, no plugin directory content, no
/// hot reload, short batching and coalescing windows, Discord at the fake.
pub fn test_config(fake: &FakeDiscord, dir: &std::path::Path) -> Config {
    test_config_at(&fake.api_base(), dir)
}

/// [`test_config`] for a fake Discord known only by its address (a bot in a child process).
pub fn test_config_at(api_base: &str, dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}?mode=rwc", dir.join("questline.db").display());
    config.plugins.dir = dir.join("plugins");
    config.plugins.cache_dir = dir.join("plugin-cache");
    config.plugins.hot_reload = false;
    config.engine.batch_max_wait_ms = 20;
    config.discord.api_base = api_base.to_string();
    config.discord.command_sync_secs = 0;
    config.discord.coalesce_ms = 50;
    std::fs::create_dir_all(&config.plugins.dir).expect("plugin dir");
    config
}

/// Starts the bot of a child process (tests and benchmarks that run the bot in a process of
/// its own): `questline run`'s start-up with the fake's token, panicking if it fails. The
/// parent, which owns the [`FakeDiscord`], waits for it to identify.
pub async fn start_child_bot(config: &Config) -> Bot {
    Bot::start(
        config,
        BotOptions {
            token: TOKEN.to_string(),
            ..BotOptions::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("bot did not start: {e}"))
}

/// Starts a bot whose cards may use images from a test server on 127.0.0.1 over plain HTTP
/// (members' `/card background` URLs), in a fresh directory.
pub async fn start_bot_fetching_loopback_images(fake: &FakeDiscord) -> TestBot {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(fake, dir.path());
    config.cards.allowed_hosts.push("127.0.0.1".to_owned());
    config.cards.allow_insecure_loopback = true;
    start_bot_with(fake, config, dir).await
}

/// Starts the bot with `config` and waits until it identified on the fake gateway.
pub async fn start_bot_with(fake: &FakeDiscord, config: Config, dir: tempfile::TempDir) -> TestBot {
    let bot = Bot::start(
        &config,
        BotOptions {
            token: TOKEN.to_string(),
            // Used only when the config sets `[web] client_id`.
            client_secret: Some(super::oauth::CLIENT_SECRET.to_string()),
            ..BotOptions::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("bot did not start: {e}"));
    fake.wait_ready(Duration::from_secs(30)).await;
    TestBot { bot, config, dir }
}

/// Starts the bot with the default test configuration.
/// [`start_bot`] on a test database of either backend ([`crate::testdb::TestDb`]), so a
/// command's whole path runs on PostgreSQL too; `adjust` changes the rest of the test
/// configuration.
pub async fn start_bot_on(
    fake: &FakeDiscord,
    db: &crate::testdb::TestDb,
    adjust: impl FnOnce(&mut Config),
) -> TestBot {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(fake, dir.path());
    config.database = db.config.clone();
    adjust(&mut config);
    start_bot_with(fake, config, dir).await
}

pub async fn start_bot(fake: &FakeDiscord) -> TestBot {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = test_config(fake, dir.path());
    start_bot_with(fake, config, dir).await
}

/// A bot running in a child process (tests that kill or signal it), killed if the test fails
/// before it stops it: an orphan would hold the test's output open.
pub struct BotProcess(pub std::process::Child);

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
