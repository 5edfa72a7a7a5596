//! The real `questline` binary: a piped console script (the README's first command) and a
//! reproducible simulation with its export. Lives in the host crate because only its own
//! tests get `CARGO_BIN_EXE_questline`.

use std::io::Write;
use std::process::{Command, Stdio};

fn questline(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_questline"));
    c.current_dir(dir)
        .env("QUESTLINE_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("QUESTLINE_CONFIG");
    c
}

/// Runs `questline console --seed SEED` in `dir` with `script` piped in.
fn console(dir: &std::path::Path, seed: u64, script: &[u8]) -> std::process::Output {
    let mut child = questline(dir)
        .arg("console")
        .arg("--seed")
        .arg(seed.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run questline console");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script)
        .expect("write script");
    child.wait_with_output().expect("wait")
}

#[test]
fn a_piped_console_script_prints_what_happened_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = console(
        dir.path(),
        1,
        b"alice: hello world\nbob: hi\nalice: too soon\n:advance 2m\nalice: again\n/rank alice\n/leaderboard\n/quests alice\n/achievements alice\n/xp add bob 5000 contest winner\n/xp remove bob -3\n/daily bob\n/daily bob\n/nosuch\n:voice carol join\n:dance\n:advance 1d\n:quit\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("mee6-xp"),
        "bundled plugins listed:\n{stdout}"
    );
    assert!(stdout.contains("alice +"), "XP shown:\n{stdout}");
    assert!(
        stdout.contains("alice: no XP (message cooldown)"),
        "cooldown shown:\n{stdout}"
    );
    assert!(
        stdout.contains("alice · rank #1 of 2 · level"),
        "rank shown:\n{stdout}"
    );
    // `/rank` draws the card with the bundled classic style and says where it is.
    let card = dir.path().join("data/cards/rank-alice.png");
    assert!(
        stdout.contains("rank card: data/cards/rank-alice.png"),
        "card path shown:\n{stdout}"
    );
    let png = std::fs::read(&card).expect("rank card written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
    assert!(
        png.len() > 5_000,
        "a real card, not an empty image: {} bytes",
        png.len()
    );
    assert!(
        stdout.contains("#1 @alice · level"),
        "leaderboard shown:\n{stdout}"
    );
    assert!(stdout.contains("Your quests"), "quests shown:\n{stdout}");
    assert!(
        stdout.contains("First Words"),
        "achievement shown:\n{stdout}"
    );
    // Admin XP changes go through the audited path and validate their amount.
    let change = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("bob: ") && l.contains("recorded in the audit log"))
        .unwrap_or_else(|| panic!("/xp add applied:\n{stdout}"));
    let numbers: Vec<i64> = change
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers[1] - numbers[0], 5000, "{change}");
    assert!(
        stdout.contains("not allowed: give a whole number from 1"),
        "negative /xp refused:\n{stdout}"
    );
    // A plugin's command runs inside the plugin: the bonus once, then its own refusal.
    assert!(
        stdout.contains("Daily bonus claimed!"),
        "/daily served by the daily-bonus plugin:\n{stdout}"
    );
    assert!(
        stdout.contains("already claimed"),
        "second /daily refused by the plugin:\n{stdout}"
    );
    assert!(
        stdout.contains("no command /nosuch; commands here:") && stdout.contains("/daily"),
        "unknown command explained:\n{stdout}"
    );
    assert!(
        stdout.contains("unknown directive `:dance`"),
        "bad input explained:\n{stdout}"
    );
    assert!(
        stdout.contains("daily quests reset"),
        "reset after :advance 1d:\n{stdout}"
    );
    assert!(stdout.contains("bye:"), "clean exit:\n{stdout}");
    assert!(
        dir.path().join("data/questline.db").exists(),
        "embedded database created"
    );
}

#[test]
fn a_console_season_ends_on_schedule_and_keeps_lifetime_xp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = console(
        dir.path(),
        3,
        b"alice: before the season\n/season start Sprint ends=1d top=2 reset\n/season start Again\n:advance 2m\nbob: hello there\n:advance 2m\nalice: and me\n/leaderboard season\n/leaderboard week\n:advance 2d\n/seasons\n/seasons sprint\n/rank alice\n:quit\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let has = |text: &str| {
        assert!(stdout.contains(text), "`{text}` missing:\n{stdout}");
    };
    has("Season “Sprint” has begun");
    has("“Sprint” is still running; end it with /season end first");
    has("Season “Sprint” · ends ");
    has(" UTC · page 1");
    has("This week's leaderboard");
    // The scheduler ended it when the clock passed its end, and announced the podium.
    has("Season “Sprint” has ended!");
    has("Levels start again from 0");
    has("“Sprint” · ended");
    has("final standings");
    has("XP lifetime");
    // The season's board: bob and alice, each with what they gained after the start.
    let board: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains("Season “Sprint” · ends"))
        .skip(1)
        .take_while(|l| l.contains(" XP gained"))
        .collect();
    assert_eq!(board.len(), 2, "season board:\n{stdout}");
}

const EVENTS: &str = r#"{"t":"2026-01-05T10:00:00Z","kind":"message","guild":"1","channel":"10","user":"100","id":"9001","length":42,"roles":["7"]}
{"t":"2026-01-05T10:00:05Z","kind":"reaction","guild":"1","channel":"10","user":"101","message":"9001"}
{"t":"2026-01-05T10:00:06Z","kind":"voice","guild":"1","channel":"20","user":"100","state":"join"}
not json
{"t":"2026-01-05T10:00:07Z","kind":"voice","guild":"1","channel":"20","user":"101","state":"join"}
{"t":"2026-01-05T10:30:07Z","kind":"voice","guild":"1","channel":"20","user":"101","state":"leave"}
{"t":"2026-01-05T10:31:00Z","kind":"command","guild":"1","channel":"10","user":"100","name":"rank"}
"#;

/// Runs a seeded simulation into a fresh database, then exports the guild: the simulate run's
/// output and the export's exact bytes.
fn simulate(dir: &std::path::Path, db: &str) -> (std::process::Output, Vec<u8>) {
    let mut events = EVENTS.to_string();
    for i in 0..300 {
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-05T11:00:00Z").expect("time")
            + chrono::Duration::seconds(i * 400);
        events.push_str(&format!(
            "{{\"t\":\"{}\",\"kind\":\"message\",\"guild\":\"1\",\"channel\":\"10\",\"user\":\"{}\",\"id\":\"{}\",\"length\":20}}\n",
            t.to_rfc3339(),
            100 + i % 3,
            20_000 + i
        ));
    }
    std::fs::write(dir.join("events.jsonl"), events).expect("write events");
    let url = format!("sqlite://{}?mode=rwc", dir.join(db).display());
    let out = questline(dir)
        .args([
            "--database",
            &url,
            "simulate",
            "--events",
            "events.jsonl",
            "--seed",
            "42",
        ])
        .output()
        .expect("run simulate");
    let export = questline(dir)
        .args(["--database", &url, "export", "--guild", "1"])
        .output()
        .expect("run export");
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    (out, export.stdout)
}

#[test]
fn a_seeded_simulation_replays_exactly_and_reports_malformed_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, a_bytes) = simulate(dir.path(), "a.db");
    let (second, b_bytes) = simulate(dir.path(), "b.db");
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(
        first.status.code(),
        Some(2),
        "malformed lines make the exit status 2\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("events.jsonl:4: skipped: not valid JSON"),
        "{stderr}"
    );
    assert!(stdout.contains("events:              306"), "{stdout}");
    assert!(stdout.contains("malformed lines:     1"), "{stdout}");
    assert!(stdout.contains("level-ups:"), "{stdout}");
    assert!(stdout.contains("events/s:"), "{stdout}");
    assert_eq!(second.status.code(), Some(2));
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("events/s"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(&stdout),
        strip(&String::from_utf8_lossy(&second.stdout))
    );
    // Byte for byte: every timestamp comes from the engine's clock (event time), none from
    // the wall clock.
    assert!(
        a_bytes == b_bytes,
        "same seed, same export bytes\n{}\n---\n{}",
        String::from_utf8_lossy(&a_bytes),
        String::from_utf8_lossy(&b_bytes)
    );
    let a: serde_json::Value = serde_json::from_slice(&a_bytes).expect("export is JSON");
    // The stored times are event times of the simulated day, not today's date.
    let text = String::from_utf8_lossy(&a_bytes);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        today.starts_with("2026-01-0") || !text.contains(&today),
        "no wall-clock date in the export"
    );
    assert!(text.contains("2026-01-0"), "event-time stamps present");
    let members = a["members"].as_array().expect("members");
    assert_eq!(members.len(), 3);
    let m100 = members
        .iter()
        .find(|m| m["user"] == "100")
        .expect("member 100");
    // 100 and 101 were in voice together for 30 minutes; 100 was alone afterwards.
    assert_eq!(m100["voice_time_seconds"], 1800);
    assert_eq!(m100["commands_used"], 1);
    assert!(m100["xp"].as_i64().expect("xp") > 0);
    assert!(
        !a["quests"].as_array().expect("quests").is_empty(),
        "quests generated"
    );
}

#[test]
fn an_events_line_that_is_not_utf8_is_named_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = "{\"t\":\"2026-01-05T10:00:00Z\",\"kind\":\"message\",\"guild\":\"1\",\"channel\":\"10\",\"user\":\"100\",\"id\":\"1\",\"length\":20}\n";
    let mut events = good.as_bytes().to_vec();
    events.extend_from_slice(b"{\"t\":\"\xff\xfe\"}\n");
    events.extend_from_slice(good.replace("\"id\":\"1\"", "\"id\":\"2\"").as_bytes());
    std::fs::write(dir.path().join("events.jsonl"), events).expect("write events");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let out = questline(dir.path())
        .args(["--database", &url, "simulate", "--events", "events.jsonl"])
        .output()
        .expect("run simulate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("events.jsonl:2: skipped: not UTF-8"),
        "{stderr}"
    );
    assert!(stdout.contains("events:              2"), "{stdout}");
}
