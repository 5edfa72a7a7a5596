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
