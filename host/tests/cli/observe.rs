//! The observability endpoint, started on an ephemeral port and scraped over real HTTP.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use questline::backup::schedule::HousekeepingCounters;
use questline::db::{DatabaseConfig, Db};
use questline::engine::EngineCounters;
use questline::observe::{ObserveSources, start};
use questline::plugins::{MemoryKv, PluginHost, PluginsConfig};
use questline_metrics::Heartbeat;

async fn get(url: String) -> (u16, String, String) {
    let resp = reqwest::get(&url).await.expect("request");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, ctype, resp.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_report_the_real_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::connect(&DatabaseConfig {
        url: format!("sqlite://{}?mode=rwc", dir.path().join("q.db").display()),
        ..Default::default()
    })
    .await
    .expect("db");
    db.get_user_level(1, 2)
        .await
        .expect("a cache miss to count");

    // Database but no plugins: unhealthy, and says why.
    let server = start(
        "127.0.0.1:0".parse().expect("addr"),
        ObserveSources {
            db: Some(db.clone()),
            ..Default::default()
        },
    )
    .await
    .expect("starts");
    let base = format!("http://{}", server.local_addr);
    let (status, ctype, body) = get(format!("{base}/healthz")).await;
    assert_eq!(status, 503, "{body}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["status"], "unhealthy");
    assert_eq!(json["database"]["ok"], true);
    assert_eq!(json["plugins"]["ok"], false);
    server.stop().await;

    // Everything present: healthy, and the metrics carry the subsystems' numbers.
    let plugins = PluginHost::new(
        &PluginsConfig {
            dir: dir.path().join("plugins"),
            cache_dir: std::env::temp_dir().join("questline-observe-tests-cache"),
            hot_reload: false,
            pooling: false,
            ..Default::default()
        },
        Arc::new(MemoryKv::new()),
    )
    .expect("plugin host");
    let mee6 = questline::bundled::BUNDLED
        .iter()
        .find(|b| b.name == "mee6-xp")
        .expect("mee6-xp is bundled");
    plugins
        .load_bundled_bytes(mee6.name, mee6.wasm)
        .expect("loads");
    let beat = Heartbeat::new();
    beat.start();
    beat.beat(chrono::Utc::now());
    let counters = EngineCounters::default();
    counters.submitted.store(10, Ordering::Relaxed);
    counters.processed.store(8, Ordering::Relaxed);
    counters.level_ups.store(3, Ordering::Relaxed);
    let housekeeping = HousekeepingCounters::default();
    housekeeping.backups.store(2, Ordering::Relaxed);
    housekeeping.backup_failures.store(1, Ordering::Relaxed);
    let sources = ObserveSources {
        db: Some(db.clone()),
        plugins: Some(plugins.clone()),
        engine: Some(Arc::new(counters)),
        scheduler: Some(beat.clone()),
        scheduler_stale_after: Duration::from_secs(60),
        housekeeping: Some(Arc::new(housekeeping)),
        gateway: None,
        intake: None,
    };
    let server = start("127.0.0.1:0".parse().expect("addr"), sources.clone())
        .await
        .expect("starts");
    let base = format!("http://{}", server.local_addr);
    let (status, _, body) = get(format!("{base}/healthz")).await;
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["plugins"]["loaded"], 1);
    assert!(json["scheduler"]["last_run"].is_string(), "{json}");

    let (status, ctype, text) = get(format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    for expected in [
        "# TYPE questline_engine_level_ups_total counter",
        "questline_engine_level_ups_total 3\n",
        "questline_engine_queue_depth 2\n",
        "questline_cache_misses_total{cache=\"user_stats\"} 1\n",
        "questline_up{component=\"database\"} 1\n",
        "questline_backups_total 2\n",
        "questline_backup_failures_total 1\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("questline_plugin_up{plugin=\"mee6-xp\"") && l.ends_with(" 1")),
        "{text}"
    );
    server.stop().await;

    // A gateway with no shard connected makes the bot unhealthy; one connected shard is fine.
    let gateway = questline_metrics::GatewayStatus::default();
    let with_gateway = ObserveSources {
        gateway: Some(gateway.clone()),
        ..sources.clone()
    };
    let server = start("127.0.0.1:0".parse().expect("addr"), with_gateway)
        .await
        .expect("starts");
    let url = format!("http://{}/healthz", server.local_addr);
    let (status, _, body) = get(url.clone()).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("\"gateway\":{\"ok\":false,\"present\":true"),
        "{body}"
    );
    gateway.shard_connected(3);
    let (status, _, body) = get(url.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"connected_shards\":[3]"), "{body}");
    gateway.shard_disconnected(3);
    assert_eq!(get(url).await.0, 503);
    server.stop().await;

    // A scheduler that stopped running makes the process unhealthy.
    beat.beat(chrono::Utc::now() - chrono::Duration::seconds(600));
    let server = start("127.0.0.1:0".parse().expect("addr"), sources)
        .await
        .expect("starts");
    let (status, _, body) = get(format!("http://{}/healthz", server.local_addr)).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"scheduler\":{\"ok\":false"), "{body}");
    server.stop().await;
}
