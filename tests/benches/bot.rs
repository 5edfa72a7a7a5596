//! The bot as a community sees it, against the fake Discord on 127.0.0.1
//! (`cargo bench -p questline-tests --bench bot`):
//!
//! - **rank burst**: members who all type `/rank` in the same instant. Each round dispatches
//!   `QUESTLINE_BENCH_RANK_AT_ONCE` (20) interactions back to back on the gateway; the time of
//!   one `/rank` is from its dispatch to the fake receiving the reply with the card (the
//!   `PATCH` of the deferred answer). `QUESTLINE_BENCH_RANK_ROUNDS` (10) rounds after one
//!   warm-up round. Half the members have a `/card background` (fetched once from a loopback
//!   image server, then an image-cache hit), as on a real server where some members set one.
//! - **idle**: the bot in a child process (this benchmark run again: `Bot::start`, what
//!   `questline run` starts, with the default configuration apart from Discord's address and
//!   the data directory) on one guild where nobody says anything, for
//!   `QUESTLINE_BENCH_IDLE_SECS` (60) after it settled. Prints its resident memory, peak
//!   resident memory, CPU time over the window and threads, read from `/proc`.
//!
//! `QUESTLINE_BENCH_ONLY=rank|idle` runs one of them.

use std::io::Cursor;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use questline::db::CardSettings;
use questline_tests::fake_discord::harness::{
    BotProcess, start_bot_fetching_loopback_images, start_child_bot, test_config_at,
};
use questline_tests::fake_discord::{FakeDiscord, GENERAL, GUILD, events};

/// The allocator `questline` itself runs with, so the child's memory is the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Set in the idle child: the fake Discord's REST base and the bot's data directory.
const CHILD_API: &str = "QUESTLINE_BENCH_IDLE_API";
const CHILD_DIR: &str = "QUESTLINE_BENCH_IDLE_DIR";
/// View Channel and Send Messages: a member, not an admin.
const MEMBER: u64 = 0x400 | 0x800;
const WAIT: Duration = Duration::from_secs(60);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if let (Ok(api), Ok(dir)) = (std::env::var(CHILD_API), std::env::var(CHILD_DIR)) {
        return idle_child(&api, &dir);
    }
    let only = std::env::var("QUESTLINE_BENCH_ONLY").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if only.is_empty() || only == "rank" {
        rt.block_on(rank_burst());
    }
    if only.is_empty() || only == "idle" {
        rt.block_on(idle());
    }
}

/// A member of the burst.
fn member(i: usize) -> u64 {
    300_000_000_000_000_000 + i as u64
}

/// A photo-like background picture, as members upload them.
fn picture() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(1200, 400, |x, y| {
        image::Rgba([(x / 5) as u8, (y / 2) as u8, ((x ^ y) % 256) as u8, 255])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode");
    out
}

/// Serves `body` at every path on 127.0.0.1; returns the base URL.
async fn serve_picture(body: Vec<u8>) -> String {
    use hyper::service::{make_service_fn, service_fn};
    let body = std::sync::Arc::new(body);
    let make = make_service_fn(move |_| {
        let body = body.clone();
        async move {
            Ok::<_, std::convert::Infallible>(service_fn(move |_req| {
                let body = body.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "image/png")
                            .body(hyper::Body::from(body.as_ref().clone()))
                            .expect("response"),
                    )
                }
            }))
        }
    });
    let server = hyper::Server::bind(&([127, 0, 0, 1], 0).into()).serve(make);
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server);
    base
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn rank_burst() {
    let at_once = env_usize("QUESTLINE_BENCH_RANK_AT_ONCE", 20).max(1);
    let rounds = env_usize("QUESTLINE_BENCH_RANK_ROUNDS", 10).max(1);
    let images = serve_picture(picture()).await;
    let fake = FakeDiscord::start().await;
    let t = start_bot_fetching_loopback_images(&fake).await;
    // Every member has said something (so has a rank); every other one has a background.
    for i in 0..at_once {
        let user = member(i);
        fake.dispatch(
            "MESSAGE_CREATE",
            events::message(
                fake.id(),
                GENERAL,
                user,
                &format!("member{i}"),
                "hello there",
            ),
        );
        if i % 2 == 0 {
            t.bot
                .db
                .set_card_settings(
                    GUILD,
                    user,
                    &CardSettings {
                        background_url: Some(format!("{images}/bg{i}.png")),
                        ..CardSettings::default()
                    },
                )
                .await
                .expect("set a background");
        }
    }
    let deadline = Instant::now() + WAIT;
    loop {
        t.bot.settle().await.expect("settle");
        let mut ranked = 0;
        for i in 0..at_once {
            if t.bot
                .db
                .get_user_level(GUILD, member(i))
                .await
                .expect("read")
                .is_some_and(|l| l.xp > 0)
            {
                ranked += 1;
            }
        }
        if ranked == at_once {
            break;
        }
        assert!(Instant::now() < deadline, "members never got XP");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut latencies = Vec::new();
    let mut deferrals = Vec::new();
    for round in 0..=rounds {
        let started = Instant::now();
        let ids: Vec<u64> = (0..at_once)
            .map(|i| {
                let id = fake.id();
                fake.dispatch(
                    "INTERACTION_CREATE",
                    events::interaction(
                        id,
                        member(i),
                        &format!("member{i}"),
                        "rank",
                        vec![],
                        MEMBER,
                    ),
                );
                id
            })
            .collect();
        for id in &ids {
            let edit = fake
                .wait_for("the rank card", WAIT, |c| {
                    c.method == "PATCH"
                        && c.path.ends_with(&format!("/token-{id}/messages/@original"))
                })
                .await;
            assert!(
                edit.files
                    .iter()
                    .any(|f| f.field == "files[0]" && f.bytes.starts_with(b"\x89PNG")),
                "the reply to /rank carries no card"
            );
            let deferred = fake
                .wait_for("the deferral", WAIT, |c| {
                    c.method == "POST"
                        && c.path == format!("/interactions/{id}/token-{id}/callback")
                })
                .await;
            // Round 0 warms the caches (background fetched, plugin instances made).
            if round > 0 {
                latencies.push(edit.at.duration_since(started).as_secs_f64() * 1e3);
                deferrals.push(deferred.at.duration_since(started).as_secs_f64() * 1e3);
            }
        }
        // The next round starts on a quiet bot.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    latencies.sort_by(f64::total_cmp);
    deferrals.sort_by(f64::total_cmp);
    println!(
        "rank burst: {at_once} /rank at once, {rounds} rounds, {} answers, {} cores",
        latencies.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "  card reply (dispatch -> PATCH with the card): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        quantile(&latencies, 1.0)
    );
    println!(
        "  deferral (dispatch -> \"thinking...\"):      p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        quantile(&deferrals, 0.5),
        quantile(&deferrals, 0.99),
        quantile(&deferrals, 1.0)
    );
    t.bot.shutdown().await;
}

/// The child's part: the bot as `questline run` starts it, until it is killed.
fn idle_child(api: &str, dir: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let mut config = test_config_at(api, std::path::Path::new(dir));
        // The defaults a real run has, where the test configuration differs.
        let defaults = questline::config::Config::default();
        config.plugins.hot_reload = defaults.plugins.hot_reload;
        config.engine = defaults.engine;
        config.discord.coalesce_ms = defaults.discord.coalesce_ms;
        let _bot = start_child_bot(&config).await;
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// What `/proc` says about a process.
#[derive(Debug, Clone, Copy)]
struct ProcSample {
    rss_kib: u64,
    hwm_kib: u64,
    threads: u64,
    /// User + system CPU, in clock ticks.
    cpu_ticks: u64,
}

fn sample(pid: u32) -> ProcSample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    // Fields after the command name (which may hold spaces) start at ")".
    let rest: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of stat; `rest` starts at field 3.
    let ticks = |i: usize| {
        rest.get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    ProcSample {
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
        threads: field("Threads:"),
        cpu_ticks: ticks(14) + ticks(15),
    }
}

fn clock_ticks_per_sec() -> f64 {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok());
    out.unwrap_or(100.0)
}

async fn idle() {
    let secs = env_usize("QUESTLINE_BENCH_IDLE_SECS", 60).max(1) as u64;
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let child = Command::new(std::env::current_exe().expect("benchmark binary"))
        .env(CHILD_API, fake.api_base())
        .env(CHILD_DIR, dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the bot process");
    let bot = BotProcess(child);
    let pid = bot.0.id();
    fake.wait_ready(WAIT).await;
    // Start-up work (migrations, plugin loading, the first tick) is over before the window.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = sample(pid);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let after = sample(pid);
    let wall = started.elapsed().as_secs_f64();
    let cpu_secs = after.cpu_ticks.saturating_sub(before.cpu_ticks) as f64 / clock_ticks_per_sec();
    println!("idle: the bot with one quiet guild, {wall:.0} s window");
    println!(
        "  resident memory {:.1} MiB (peak {:.1} MiB), {} threads",
        after.rss_kib as f64 / 1024.0,
        after.hwm_kib as f64 / 1024.0,
        after.threads
    );
    println!(
        "  CPU {:.2} s in the window: {:.3}% of one core ({:.0} ms per minute)",
        cpu_secs,
        cpu_secs / wall * 100.0,
        cpu_secs / wall * 60_000.0
    );
    drop(bot);
}
