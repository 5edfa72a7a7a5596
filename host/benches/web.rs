//! Web leaderboard benchmark (`cargo bench -p questline --bench web`): the server time of
//! page 1 and page 100 of a guild with 100,000 members, as HTML and as JSON, on SQLite (a
//! temporary file) and PostgreSQL (a scratch database on `QUESTLINE_BENCH_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`; skipped with a notice when it is
//! unreachable). Each request goes through the real server on 127.0.0.1; the time is the
//! server's own `Server-Timing` figure, p50 and p99 over the requests. The query plan of
//! each page is printed and must use the `ix_levels_guild_listed_xp` index, or the run fails.
//!
//! `QUESTLINE_BENCH_WEB_MEMBERS` and `QUESTLINE_BENCH_WEB_REQUESTS` change the size.

use std::sync::Arc;

use questline::db::{
    DatabaseConfig, Db, LevelRecord, MemberProfile, ScratchDatabase, ServerSetting,
};
use questline::web::server::{GuildNames, Scope};
use questline::web::{WebSources, board::PAGE_SIZE};

const GUILD: u64 = 41771983423143937;

struct Names;

impl GuildNames for Names {
    fn guild_name(&self, guild: u64) -> Option<String> {
        (guild == GUILD).then(|| "Bench".to_string())
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn seed(db: &Db, members: u64) {
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let records: Vec<LevelRecord> = (1..=members)
        .map(|u| {
            // xorshift: varied XP with ties, like a real guild.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            LevelRecord {
                user_id: (1_000_000 + u).to_string(),
                xp: (rng % 500_000) as i64,
                level: 0,
                messages: (rng % 10_000) as i64,
                voice_time_seconds: 0,
                total_messages: 0,
                total_reactions: 0,
                commands_used: 0,
                last_message_time: None,
                hidden: u % 50 == 0,
                carried_xp: 0,
            }
        })
        .collect();
    for chunk in records.chunks(5_000) {
        db.import_guild_levels(GUILD, chunk)
            .await
            .expect("seed levels");
    }
    let profiles: Vec<MemberProfile> = (1..=members)
        .map(|u| MemberProfile::new(1_000_000 + u, &format!("member {u}"), None))
        .collect();
    db.upsert_member_profiles(GUILD, &profiles)
        .await
        .expect("seed profiles");
    db.update_server_config(
        GUILD,
        ServerSetting::parse("leaderboard_visibility", "public").expect("setting"),
    )
    .await
    .expect("public board");
    db.maintain().await.expect("analyze");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(backend: &str, url: &str, members: u64, requests: usize) {
    let db = Db::connect(&DatabaseConfig {
        url: url.to_string(),
        ..DatabaseConfig::default()
    })
    .await
    .expect("connect");
    let t = std::time::Instant::now();
    seed(&db, members).await;
    eprintln!(
        "{backend}: {members} members seeded in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let last_page = (members / PAGE_SIZE).min(100);
    for page in [1, last_page] {
        let plan = db
            .leaderboard_plan(GUILD, page - 1, PAGE_SIZE)
            .await
            .expect("plan");
        println!("{backend} plan, page {page}:\n  {}", plan.join("\n  "));
        assert!(
            plan.iter().any(|l| l.contains("ix_levels_guild_listed_xp")),
            "{backend}: page {page} does not use the (guild_id, xp) index"
        );
    }
    let server = questline::web::start(
        "127.0.0.1:0".parse().expect("addr"),
        WebSources {
            db: db.clone(),
            pipeline: None,
            scope: Scope::Bot {
                guilds: Arc::new(Names),
            },
            login: None,
            commands: None,
            managers: None,
        },
    )
    .await
    .expect("web server");
    let client = reqwest::Client::new();
    let base = format!("http://{}", server.local_addr);
    for (what, path) in [
        ("page", format!("/g/{GUILD}")),
        ("json", format!("/api/v1/guilds/{GUILD}/leaderboard")),
    ] {
        for page in [1, last_page] {
            let url = format!("{base}{path}?page={page}");
            let mut times = Vec::with_capacity(requests);
            for i in 0..requests + 10 {
                let res = client.get(&url).send().await.expect("request");
                assert_eq!(res.status(), 200, "{url}");
                let timing: f64 = res.headers()["server-timing"]
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("app;dur="))
                    .and_then(|v| v.parse().ok())
                    .expect("a Server-Timing header");
                let _ = res.bytes().await.expect("body");
                if i >= 10 {
                    times.push(timing);
                }
            }
            times.sort_by(f64::total_cmp);
            println!(
                "{backend:<10} {what:<4} page {page:>3}: p50 {:>7.2} ms  p99 {:>7.2} ms  ({requests} requests)",
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            );
        }
    }
    server.stop().await;
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing and
    // should not spend minutes here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let members = env_or("QUESTLINE_BENCH_WEB_MEMBERS", 100_000);
    let requests = env_or("QUESTLINE_BENCH_WEB_REQUESTS", 200) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        run("SQLite", &url, members, requests).await;
        let admin = std::env::var("QUESTLINE_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        match ScratchDatabase::create(&admin).await {
            Ok(scratch) => {
                run("PostgreSQL", scratch.url(), members, requests).await;
                let _ = scratch.drop_database().await;
            }
            Err(e) => eprintln!("NOTICE: PostgreSQL part skipped: {e}"),
        }
    });
}
