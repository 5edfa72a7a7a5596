//! A full disk under the database: the engine stops taking activity (submitters wait on the
//! full queue), says why on `/healthz`, keeps everything it holds, and resumes by itself once
//! space is freed, losing nothing. The disk is a real one: a small tmpfs mounted for the test
//! (which needs root, as CI runs; elsewhere without root the test says so and stops).

use std::io::Write;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use questline::engine::{CollectingSink, Engine, EngineDeps, SystemClock, boot};
use questline::observe::{ObserveSources, start};

use crate::support::*;

/// Unmounts the tmpfs when the test ends, whatever happens.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Writes zeros to `path` until the filesystem is full.
fn fill(path: &std::path::Path) -> u64 {
    let mut f = std::fs::File::create(path).expect("filler file");
    let chunk = vec![0u8; 16 * 1024];
    let mut written = 0;
    while f.write_all(&chunk).is_ok() {
        written += chunk.len() as u64;
    }
    // A last partial chunk may have gone in; what matters is that nothing more fits.
    let _ = f.flush();
    written
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_pauses_intake_and_everything_is_stored_once_space_returns() {
    if !is_root() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "this test mounts a tmpfs and must run as root under CI"
        );
        eprintln!("NOTICE: not root: the full-disk test needs to mount a tmpfs; not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(dir.path())
        .status()
        .expect("run mount");
    assert!(status.success(), "mounting a tmpfs failed");
    let _mounted = Mounted(dir.path().to_path_buf());

    let db_config = questline::db::DatabaseConfig {
        url: format!("sqlite://{}?mode=rwc", dir.path().join("q.db").display()),
        retry_attempts: 2,
        ..Default::default()
    };
    let (db, plugins) = boot::open(&db_config, &plugins_config(), false)
        .await
        .expect("boot");
    let deps = EngineDeps {
        db: db.clone(),
        plugins: plugins.clone(),
        clock: Arc::new(SystemClock),
        sink: Arc::new(CollectingSink::new()),
    };
    let config = questline::engine::EngineConfig {
        queue_capacity: 200,
        batch_max_events: 100,
        batch_max_wait_ms: 10,
        ..engine_config()
    };
    let engine = Arc::new(Engine::start(deps, config, &[GUILD]).await.expect("start"));
    let server = start(
        "127.0.0.1:0".parse().expect("addr"),
        ObserveSources::with_engine(db.clone(), plugins.clone(), &engine, 60),
    )
    .await
    .expect("observe endpoint");
    let health = format!("http://{}/healthz", server.local_addr);

    // The disk fills up; then 3,000 new members speak.
    let filler = dir.path().join("filler");
    assert!(fill(&filler) > 0, "nothing could be written to the tmpfs");
    const N: u64 = 3_000;
    let submitter = {
        let engine = engine.clone();
        tokio::spawn(async move {
            for i in 0..N {
                engine
                    .submit(msg(10_000 + i, i + 1, chrono::Utc::now()))
                    .await
                    .expect("submit");
            }
        })
    };
    until("intake to pause", Duration::from_secs(60), || {
        engine.intake().paused().is_some()
    })
    .await;
    let paused = engine.intake().paused().expect("paused");
    assert!(
        paused.reason.contains("storage is full"),
        "{}",
        paused.reason
    );
    let answer = reqwest::get(&health).await.expect("healthz");
    assert_eq!(answer.status().as_u16(), 503);
    let body: serde_json::Value = answer.json_or_text().await;
    assert_eq!(body["intake"]["ok"], false, "{body}");
    assert!(
        body["intake"]["paused"]
            .as_str()
            .is_some_and(|r| r.contains("free disk space")),
        "{body}"
    );
    // Backpressure: the submitter is held up on the full queue, nothing is dropped.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!submitter.is_finished(), "intake did not stop");
    assert_eq!(engine.counters().dropped, 0);

    // Space returns: intake resumes by itself and everything is stored.
    std::fs::remove_file(&filler).expect("free the space");
    tokio::time::timeout(Duration::from_secs(120), submitter)
        .await
        .expect("the submitter went on once space returned")
        .expect("submitter");
    engine.flush().await.expect("flush");
    assert!(engine.intake().paused().is_none(), "still paused");
    let c = engine.counters();
    assert_eq!(c.failed_events, 0, "{c:?}");
    assert!(c.storage_full > 0, "{c:?}");
    let rows = db.export_guild_levels(GUILD).await.expect("levels");
    let messages: i64 = rows.iter().map(|r| r.total_messages).sum();
    assert_eq!(messages, N as i64, "activity lost while the disk was full");
    let answer = reqwest::get(&health).await.expect("healthz");
    let body: serde_json::Value = answer.json_or_text().await;
    assert_eq!(body["intake"]["ok"], true, "{body}");
    server.stop().await;
}

/// `reqwest` without its `json` feature: the body parsed as JSON.
trait JsonBody {
    async fn json_or_text(self) -> serde_json::Value;
}

impl JsonBody for reqwest::Response {
    async fn json_or_text(self) -> serde_json::Value {
        let text = self.text().await.unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    }
}
