//! The `/healthz` and `/metrics` endpoint over a real engine, database and bundled plugins,
//! scraped over HTTP the way a monitor or Prometheus would.

use std::sync::Arc;
use std::time::Duration;

use crate::plugin_support;
use crate::support::*;
use questline::db::ServerSetting;
use questline::engine::{Engine, EngineDeps, ManualClock, NullSink, boot};
use questline::observe::{ObserveSources, start};
use questline_tests::fixtures;

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("endpoint answers");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

async fn health(addr: std::net::SocketAddr) -> (u16, serde_json::Value) {
    let (status, body) = get(addr, "/healthz").await;
    (
        status,
        serde_json::from_str(&body).expect("/healthz is JSON"),
    )
}

both_backends! {
    async fn healthz_follows_the_quest_scheduler(t) {
        let (db, plugins) = boot::open(&t.config, &plugins_config(), false).await.expect("boot");
        let config = questline::engine::EngineConfig { tick_secs: 1, ..generating_quests(1, 0, 0) };
        let engine = Engine::start(
            EngineDeps {
                db: db.clone(),
                plugins: plugins.clone(),
                clock: Arc::new(ManualClock::new(at("2026-01-05T10:00:00Z"))),
                sink: Arc::new(NullSink),
            },
            config,
            &[GUILD],
        )
        .await
        .expect("engine");
        let server = start(
            "127.0.0.1:0".parse().expect("addr"),
            ObserveSources::with_engine(db.clone(), plugins.clone(), &engine, 1),
        )
        .await
        .expect("endpoint");
        let addr = server.local_addr;

        let (status, body) = health(addr).await;
        assert_eq!(status, 200, "{body}");
        let scheduler = &body["scheduler"];
        assert_eq!(scheduler["running"], true, "{body}");
        assert_eq!(scheduler["ok"], true, "{body}");
        let first = scheduler["last_run"].as_str().expect("the start-up catch-up counts as a run").to_owned();

        // The engine's own ticker (every second here) beats again.
        let mut later = None;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (_, body) = health(addr).await;
            let last = body["scheduler"]["last_run"].as_str().map(str::to_owned);
            if last.as_deref() != Some(first.as_str()) {
                later = last;
                break;
            }
        }
        let later = later.expect("the scheduler ran again within 5 s");
        let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("RFC 3339");
        assert!(parse(&later) > parse(&first), "{later} after {first}");

        // A stopped engine is a stopped scheduler: unhealthy, and said so.
        engine.shutdown().await;
        let (status, body) = health(addr).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["status"], "unhealthy", "{body}");
        assert_eq!(body["scheduler"]["running"], false, "{body}");
        assert_eq!(body["scheduler"]["ok"], false, "{body}");
        assert_eq!(body["database"]["ok"], true, "{body}");
        let (_, metrics) = get(addr, "/metrics").await;
        assert!(metrics.contains("questline_up{component=\"scheduler\"} 0\n"), "{metrics}");
        server.stop().await;
    }
}

/// `/metrics` as `series -> value` (`name{labels}` exactly as exposed).
fn parse(text: &str) -> std::collections::HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("`series value`");
            (
                series.to_owned(),
                value.parse().unwrap_or_else(|_| panic!("number in {l}")),
            )
        })
        .collect()
}

fn value(m: &std::collections::HashMap<String, f64>, series: &str) -> f64 {
    *m.get(series)
        .unwrap_or_else(|| panic!("{series} is exposed"))
}

both_backends! {
    async fn metrics_count_real_traffic(t) {
        let (db, plugins) = boot::open(&t.config, &plugins_config(), false).await.expect("boot");
        // Every message is worth a level or more.
        db.update_server_config(GUILD, ServerSetting::XpRate(1000.0)).await.expect("rate");
        let start_at = at("2026-01-05T10:00:00Z");
        let engine = Engine::start(
            EngineDeps {
                db: db.clone(),
                plugins: plugins.clone(),
                clock: Arc::new(ManualClock::new(start_at)),
                sink: Arc::new(NullSink),
            },
            generating_quests(1, 0, 0),
            &[GUILD],
        )
        .await
        .expect("engine");
        let server = start(
            "127.0.0.1:0".parse().expect("addr"),
            ObserveSources::with_engine(db.clone(), plugins.clone(), &engine, 60),
        )
        .await
        .expect("endpoint");

        const USERS: u64 = 5;
        const MESSAGES: u64 = 20;
        for i in 0..MESSAGES {
            let when = start_at + chrono::Duration::seconds(61 * i as i64);
            engine.submit(msg(100 + i % USERS, 1_000 + i, when)).await.expect("submit");
        }
        engine.flush().await.expect("flush");
        // A plugin that traps, called through the same runtime.
        let bytes = std::fs::read(fixtures::TRAP).expect("trap fixture");
        let trap = plugins.load_bundled_bytes("fixture", &bytes).expect("load").name;
        for _ in 0..2 {
            let (host, name) = (plugins.clone(), trap.clone());
            let r = tokio::task::spawn_blocking(move || {
                host.xp_for_activities_blocking(&name, &plugin_support::ctx(), &plugin_support::xp_items(1))
            })
            .await
            .expect("join");
            assert!(r.is_err(), "the trap fixture fails");
        }

        let (status, text) = get(server.local_addr, "/metrics").await;
        assert_eq!(status, 200);
        let m = parse(&text);
        let c = engine.counters();
        assert_eq!(value(&m, "questline_engine_processed_total"), MESSAGES as f64, "{text}");
        assert_eq!(value(&m, "questline_engine_queue_depth"), 0.0);
        assert!(c.level_ups >= USERS, "{c:?}");
        assert_eq!(value(&m, "questline_engine_level_ups_total"), c.level_ups as f64);
        assert!(c.quest_resets >= 1, "the first quests were generated: {c:?}");
        assert_eq!(value(&m, "questline_engine_quest_resets_total"), c.quest_resets as f64);
        // Every submitted event was in exactly one batch the engine cut.
        assert_eq!(value(&m, "questline_engine_batch_events_sum"), MESSAGES as f64, "{text}");
        let batches = value(&m, "questline_engine_batch_events_count");
        assert!(batches >= 1.0);
        assert_eq!(value(&m, "questline_engine_batch_events_bucket{le=\"+Inf\"}"), batches);
        assert!(value(&m, "questline_engine_commit_seconds_count") >= 1.0, "{text}");
        assert!(value(&m, "questline_engine_commit_seconds_sum") > 0.0, "{text}");
        assert_eq!(value(&m, "questline_engine_event_latency_seconds_count"), MESSAGES as f64);
        // Cumulative buckets never decrease.
        let buckets: Vec<f64> = text
            .lines()
            .filter(|l| l.starts_with("questline_engine_commit_seconds_bucket"))
            .map(|l| l.rsplit_once(' ').expect("sample").1.parse().expect("number"))
            .collect();
        assert_eq!(buckets.len(), 17, "{text}");
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");

        // Per plugin: the XP formula served every batch; the trap failed both calls.
        let calls = value(&m, "questline_plugin_calls_total{plugin=\"mee6-xp\"}");
        assert!(calls >= 1.0, "{text}");
        assert_eq!(value(&m, "questline_plugin_call_failures_total{plugin=\"mee6-xp\"}"), 0.0);
        assert_eq!(value(&m, "questline_plugin_call_duration_seconds_count{plugin=\"mee6-xp\"}"), calls);
        assert_eq!(value(&m, &format!("questline_plugin_calls_total{{plugin=\"{trap}\"}}")), 2.0);
        assert_eq!(value(&m, &format!("questline_plugin_call_failures_total{{plugin=\"{trap}\"}}")), 2.0);
        // Caches are there too.
        assert!(m.contains_key("questline_cache_hits_total{cache=\"server_config\"}"), "{text}");
        assert!(m.contains_key("questline_cache_entries{cache=\"held_achievements\"}"), "{text}");
        engine.shutdown().await;
        server.stop().await;
    }
}
