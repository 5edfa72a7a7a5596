//! A web server over a test database: guilds with members, names and settings.

use std::collections::HashMap;
use std::sync::Arc;

use questline::db::{Db, LevelRecord, MemberProfile, ServerSetting};
use questline::web::server::{GuildNames, Scope};
use questline::web::{WebServer, WebSources};

/// The guilds a test bot is "in".
pub struct Names(pub HashMap<u64, String>);

impl GuildNames for Names {
    fn guild_name(&self, guild: u64) -> Option<String> {
        self.0.get(&guild).cloned()
    }
}

/// `n` members in `guild` with XP `n*10, (n-1)*10, …` (user ids 1..=n; user 1 has the most),
/// named `member <id>`.
pub async fn members(db: &Db, guild: u64, n: u64) {
    let records: Vec<LevelRecord> = (1..=n)
        .map(|u| LevelRecord {
            user_id: u.to_string(),
            xp: ((n + 1 - u) * 10) as i64,
            level: 0,
            messages: u as i64,
            voice_time_seconds: 0,
            total_messages: 0,
            total_reactions: 0,
            commands_used: 0,
            last_message_time: None,
            hidden: false,
            carried_xp: 0,
        })
        .collect();
    for chunk in records.chunks(5_000) {
        db.import_guild_levels(guild, chunk).await.expect("import");
    }
    let profiles: Vec<MemberProfile> = (1..=n)
        .map(|u| MemberProfile::new(u, &format!("member {u}"), None))
        .collect();
    db.upsert_member_profiles(guild, &profiles)
        .await
        .expect("profiles");
}

pub async fn set(db: &Db, guild: u64, setting: &str, value: &str) {
    db.update_server_config(
        guild,
        ServerSetting::parse(setting, value).expect("setting"),
    )
    .await
    .expect("update setting");
}

/// A bot-scope server over `db` for `guilds`.
pub async fn bot_server(db: &Db, guilds: &[(u64, &str)]) -> WebServer {
    let names = guilds.iter().map(|(g, n)| (*g, n.to_string())).collect();
    questline::web::start(
        "127.0.0.1:0".parse().expect("addr"),
        WebSources {
            db: db.clone(),
            pipeline: None,
            scope: Scope::Bot {
                guilds: Arc::new(Names(names)),
            },
            login: None,
            commands: None,
            managers: None,
        },
    )
    .await
    .expect("web server")
}

/// `GET url` → (status, headers, body).
pub async fn get(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(url)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.text().await.expect("body");
    (status, headers, body)
}

/// The text of the first element `css` finds on the browser's page.
pub async fn text(b: &questline_tests::browser::Browser, css: &str) -> String {
    b.client
        .find(questline_tests::browser::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// The real bot against `fake`, serving its web pages with Discord login on a free port;
/// the bot and the pages' base URL.
pub async fn bot_with_web(
    fake: &questline_tests::fake_discord::FakeDiscord,
) -> (questline_tests::fake_discord::harness::TestBot, String) {
    use questline_tests::fake_discord::harness::{start_bot_with, test_config};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(fake, dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    config.web.listen = Some(format!("127.0.0.1:{port}"));
    config.web.public_url = Some(base.clone());
    config.web.client_id = Some(1234);
    (start_bot_with(fake, config, dir).await, base)
}
