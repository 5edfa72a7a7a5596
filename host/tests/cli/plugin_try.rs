//! `questline plugin try` through the real binary: a bundled plugin written to a file runs on
//! a scratch guild with the author's settings, and what it decided is printed per activity;
//! a broken file and an empty script are refused with the reason.

use std::path::Path;
use std::process::{Command, Output};

fn questline(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_questline"))
        .current_dir(dir)
        .env_remove("QUESTLINE_LOG")
        .env(
            "QUESTLINE_PLUGINS_CACHE_DIR",
            std::env::temp_dir().join("questline-ops-cli-cache"),
        )
        .env_remove("QUESTLINE_CONFIG")
        .env_remove("DATABASE_URL")
        .args(args)
        .output()
        .expect("run questline")
}

const EVENTS: &str = r#"{"t":"2026-01-05T10:00:00Z","kind":"message","guild":"1","channel":"10","user":"100","id":"1","length":42,"name":"alice"}
{"t":"2026-01-05T10:00:20Z","kind":"message","guild":"1","channel":"10","user":"100","id":"2","length":10,"name":"alice"}
{"t":"2026-01-05T10:01:30Z","kind":"message","guild":"1","channel":"10","user":"100","id":"3","length":10,"name":"alice"}
{"t":"2026-01-05T10:02:00Z","kind":"reaction","guild":"1","channel":"10","user":"101","message":"3","name":"bob"}
"#;

#[test]
fn a_plugin_is_tried_on_a_scratch_guild_activity_by_activity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let wasm = questline::bundled::BUNDLED
        .iter()
        .find(|b| b.name == "mee6-xp")
        .expect("bundled mee6-xp")
        .wasm;
    std::fs::write(d.join("mee6.wasm"), wasm).expect("write");
    std::fs::write(d.join("events.jsonl"), EVENTS).expect("write");
    std::fs::write(d.join("settings.json"), r#"{"min_xp": 100, "max_xp": 100}"#).expect("write");

    let o = questline(
        d,
        &[
            "plugin",
            "try",
            "mee6.wasm",
            "--events",
            "events.jsonl",
            "--settings",
            "settings.json",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("trying mee6-xp 0.1.0 (xp-formula) from mee6.wasm"),
        "{out}"
    );
    // Per activity: the settings' 100 XP (with First Words' 25), the cooldown's nothing, then
    // 100 again.
    let blocks: Vec<&str> = out.split("\n2026-01-05 ").collect();
    assert!(
        blocks[1].starts_with("10:00:00 alice: message (42 characters) in 10"),
        "{out}"
    );
    assert!(blocks[1].contains("+125 XP → 125 XP, level 1"), "{out}");
    assert!(
        blocks[1].contains("achievement “First Words” earned (+25 XP)"),
        "{out}"
    );
    assert!(
        blocks[1].contains("quest “Daily Chatter"),
        "quest progress shown: {out}"
    );
    assert!(blocks[1].contains("level up → 1"), "{out}");
    assert!(
        blocks[2].starts_with("10:00:20 alice") && !blocks[2].contains("XP →"),
        "cooldown: {out}"
    );
    assert!(blocks[3].contains("+100 XP → 225 XP"), "{out}");
    assert!(blocks[4].starts_with("10:02:00 bob: reaction"), "{out}");
    // The bundled achievements still run beside the tried plugin.
    assert!(out.contains("achievement “First Words” earned"), "{out}");
    assert!(
        out.contains("\nmee6-xp: ") && out.contains(" calls, 0 failed; mean "),
        "{out}"
    );

    // Nothing kept: the scratch guild lived in memory.
    assert!(!d.join("data").exists(), "no database written");

    std::fs::write(d.join("broken.wasm"), b"\0asm\x0d\0\x01\0garbage").expect("write");
    let o = questline(
        d,
        &["plugin", "try", "broken.wasm", "--events", "events.jsonl"],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !o.status.success() && out.contains("not a usable plugin"),
        "{out}"
    );
    // Settings are checked against the plugin's schema, as `/plugins config` checks them.
    std::fs::write(d.join("typo.json"), r#"{"max_xpp": 100}"#).expect("write");
    let o = questline(
        d,
        &[
            "plugin",
            "try",
            "mee6.wasm",
            "--events",
            "events.jsonl",
            "--settings",
            "typo.json",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("typo.json do not fit the plugin's settings schema")
            && err.contains("`max_xpp` is not a setting of this plugin (did you mean `max_xp`?)"),
        "{err}"
    );
    std::fs::write(d.join("empty.jsonl"), "\n").expect("write");
    let o = questline(
        d,
        &["plugin", "try", "mee6.wasm", "--events", "empty.jsonl"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("holds no activities"),
        "{err}"
    );
}
