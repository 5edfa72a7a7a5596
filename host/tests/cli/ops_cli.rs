//! Operators' commands through the real `questline` binary on SQLite: configuration
//! checks, imports with the bundled MEE6 curve, the export round trip, backup and restore,
//! verification, housekeeping and privacy requests.

use std::path::Path;
use std::process::{Command, Output};

fn questline(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_questline"));
    c.current_dir(dir)
        .env("QUESTLINE_LOG", "warn")
        // Compiled plugins are shared between the tests' processes.
        .env(
            "QUESTLINE_PLUGINS_CACHE_DIR",
            std::env::temp_dir().join("questline-ops-cli-cache"),
        )
        .env_remove("DATABASE_URL")
        .env_remove("QUESTLINE_DATABASE_URL")
        .env_remove("QUESTLINE_CONFIG");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    questline(dir).args(args).output().expect("run questline")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(o.status.success(), "questline {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn export(dir: &Path, guild: &str) -> serde_json::Value {
    serde_json::from_str(&ok(dir, &["export", "--guild", guild])).expect("export is JSON")
}

fn member<'a>(export: &'a serde_json::Value, user: &str) -> &'a serde_json::Value {
    export["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["user"] == user))
        .unwrap_or_else(|| panic!("member {user} in {export}"))
}

#[test]
fn config_example_passes_check_and_bad_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = ok(dir.path(), &["config", "example"]);
    std::fs::write(dir.path().join("example.toml"), &example).expect("write");
    let out = ok(dir.path(), &["config", "check", "example.toml"]);
    assert!(out.contains("example.toml: ok"), "{out}");

    std::fs::write(
        dir.path().join("bad.toml"),
        "[database]\nmax_conections = 5\n[plugins]\nhot_reload = \"yes\"\n",
    )
    .expect("write");
    let o = run(dir.path(), &["config", "check", "bad.toml"]);
    let all = text(&o);
    assert!(!o.status.success(), "{all}");
    assert!(
        all.contains("database.max_conections") && all.contains("max_connections"),
        "{all}"
    );
    assert!(
        all.contains("plugins.hot_reload = \"yes\"") && all.contains("true or false"),
        "{all}"
    );

    // A bad environment value stops start-up, naming the variable.
    let o = questline(dir.path())
        .env("QUESTLINE_DATABASE_MAX_CONNECTIONS", "lots")
        .args(["export", "--guild", "1"])
        .output()
        .expect("run");
    let all = text(&o);
    assert!(!o.status.success(), "{all}");
    assert!(
        all.contains("QUESTLINE_DATABASE_MAX_CONNECTIONS") && all.contains("lots"),
        "{all}"
    );
}

#[test]
fn import_export_backup_restore_verify_and_privacy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join("mee6.json"),
        r#"{"players": [{"id": "11", "xp": 4675, "level": 99, "message_count": 12},
                        {"id": 12, "xp": "100"}, {"id": "nope", "xp": 5}],
            "role_rewards": [{"rank": 10, "role": {"id": "901"}}]}"#,
    )
    .expect("write");

    let out = ok(d, &["import", "mee6", "mee6.json", "--guild", "1"]);
    assert!(out.contains("imported 2 members"), "{out}");
    assert!(
        out.contains("players[2]") && out.contains("`nope`"),
        "skip reason shown: {out}"
    );
    assert!(out.contains("level roles imported: 1"), "{out}");
    assert!(out.contains("mee6-xp"), "{out}");
    let e1 = export(d, "1");
    // Levels come from the bundled MEE6 curve (4,675 XP is level 10), not from the file.
    assert_eq!(member(&e1, "11")["level"], 10);
    assert_eq!(member(&e1, "12")["level"], 1);
    assert_eq!(e1["roles"][0]["role_id"], "901");

    // Importing into a guild that has members needs an explicit mode.
    let o = run(d, &["import", "mee6", "mee6.json", "--guild", "1"]);
    assert!(
        !o.status.success() && text(&o).contains("--overwrite"),
        "{}",
        text(&o)
    );
    ok(d, &["import", "mee6", "mee6.json", "--guild", "1", "--add"]);
    assert_eq!(member(&export(d, "1"), "11")["xp"], 9350);

    // A broken file changes nothing.
    std::fs::write(
        d.join("broken.json"),
        r#"{"players": [{"id": "11", "xp": 1}"#,
    )
    .expect("write");
    let o = run(
        d,
        &[
            "import",
            "mee6",
            "broken.json",
            "--guild",
            "1",
            "--overwrite",
        ],
    );
    assert!(
        !o.status.success() && text(&o).contains("not valid JSON"),
        "{}",
        text(&o)
    );
    assert_eq!(member(&export(d, "1"), "11")["xp"], 9350);

    // Export round trip into another guild.
    let e1 = export(d, "1");
    std::fs::write(d.join("export.json"), e1.to_string()).expect("write");
    ok(d, &["import", "questline", "export.json", "--guild", "2"]);
    let e2 = export(d, "2");
    assert_eq!(e2["members"], e1["members"]);
    assert_eq!(e2["roles"], e1["roles"]);

    // Backup, change, restore.
    let out = ok(d, &["backup", "--out", "backups/q.db"]);
    assert!(out.contains("backups/q.db"), "{out}");
    let o = run(d, &["backup", "--out", "backups/q.db"]);
    assert!(
        !o.status.success() && text(&o).contains("--force"),
        "{}",
        text(&o)
    );
    ok(d, &["import", "mee6", "mee6.json", "--guild", "1", "--add"]);
    assert_eq!(member(&export(d, "1"), "11")["xp"], 14025);
    let o = run(d, &["restore", "backups/q.db"]);
    assert!(
        !o.status.success() && text(&o).contains("--yes"),
        "{}",
        text(&o)
    );
    ok(d, &["restore", "backups/q.db", "--yes"]);
    assert_eq!(member(&export(d, "1"), "11")["xp"], 9350);

    // Verification and housekeeping on a healthy database.
    let out = ok(d, &["db", "verify"]);
    assert!(out.contains("checked 2 guilds; 0 problems"), "{out}");
    let out = ok(d, &["db", "maintain"]);
    assert!(out.contains("integrity check: ok"), "{out}");

    // Privacy: download, then erase.
    let out = ok(d, &["gdpr", "download", "--guild", "1", "--user", "11"]);
    let data: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(data["levels"]["xp"], 9350);
    let out = ok(d, &["gdpr", "delete", "--guild", "1", "--user", "11"]);
    assert!(out.contains("member 11 erased from guild 1"), "{out}");
    let e = export(d, "1");
    assert!(
        e["members"]
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["user"] != "11"))
    );
    assert!(
        member(&export(d, "2"), "11")["xp"] == 9350,
        "other guilds untouched"
    );
}

/// `simulate` on a disk that fills up: it says once that intake is paused and why, reads no
/// further, and when the disk grows it finishes, every activity stored, exit 0. A real disk:
/// a 1 MB tmpfs (mounting needs root, as CI runs; elsewhere the test says so and stops).
#[test]
fn simulate_waits_out_a_full_disk_and_stores_everything() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "this test mounts a tmpfs and must run as root under CI"
        );
        eprintln!("NOTICE: not root: the full-disk simulate test needs to mount a tmpfs; not run");
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let disk = work.path().join("disk");
    std::fs::create_dir(&disk).expect("mount point");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&disk)
        .status()
        .expect("run mount");
    assert!(mounted.success(), "mounting a tmpfs failed");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(disk.clone());

    const N: usize = 20_000;
    let events: String = (0..N)
        .map(|i| {
            format!(
                "{{\"t\": \"2026-01-05T10:{:02}:{:02}Z\", \"guild\": 1, \"channel\": 10, \"user\": {}, \"kind\": \"message\", \"id\": {}, \"length\": 42}}\n",
                (i / 60) % 60,
                i % 60,
                100_000 + i,
                i + 1
            )
        })
        .collect();
    std::fs::write(work.path().join("events.jsonl"), events).expect("events");
    let url = format!("sqlite://{}?mode=rwc", disk.join("q.db").display());
    let stderr_path = work.path().join("stderr.log");
    let mut child = questline(work.path())
        .args(["simulate", "--events", "events.jsonl", "--database", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("start simulate");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        if log.contains("intake paused") {
            assert!(log.contains("free disk space"), "{log}");
            break;
        }
        assert!(
            child.try_wait().expect("poll").is_none(),
            "simulate ended while the disk was full: {log}"
        );
        assert!(std::time::Instant::now() < deadline, "never paused: {log}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Held, not finished: it waits for space.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "simulate did not wait"
    );
    let grown = Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&disk)
        .status()
        .expect("run mount");
    assert!(grown.success(), "growing the tmpfs failed");
    let out = child.wait_with_output().expect("simulate ends");
    let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{log}",
        out.status
    );
    assert!(
        stdout.contains(&format!("events:              {N}")),
        "{stdout}"
    );
    assert!(log.contains("intake resumed"), "{log}");
    assert_eq!(
        log.matches("intake paused").count(),
        1,
        "the pause is reported once per episode: {log}"
    );
    let export: serde_json::Value = serde_json::from_str(&ok(
        work.path(),
        &["export", "--guild", "1", "--database", &url],
    ))
    .expect("export is JSON");
    let messages: i64 = export["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["total_messages"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(messages, N as i64, "activity lost while the disk was full");
}

/// Plugin authors' offline card render: the PNG, the time per card with `--repeat`, and an
/// unknown style named with the ones there are.
#[test]
fn card_render_writes_the_png_and_times_the_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ok(
        dir.path(),
        &[
            "card", "render", "--style", "minimal", "--out", "card.png", "--repeat", "3",
        ],
    );
    let png = std::fs::read(dir.path().join("card.png")).expect("the card was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let timing = out
        .lines()
        .find(|l| l.starts_with("minimal: "))
        .unwrap_or_else(|| panic!("no timing line in {out}"));
    let ms: f64 = timing
        .trim_start_matches("minimal: ")
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no time per card in {timing}"));
    assert!(ms > 0.0 && timing.contains("cards/s") && timing.contains("3 warm cards"));
    let bad = run(
        dir.path(),
        &["card", "render", "--style", "nope", "--out", "x.png"],
    );
    assert!(!bad.status.success());
    let text = text(&bad);
    assert!(text.contains("nope") && text.contains("classic"), "{text}");
}
