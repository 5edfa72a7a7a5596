//! `questline console --web`: the README's quick start shows its leaderboard in a real
//! headless Chromium (Debian's `chromium` and `chromium-driver`; CI installs them). Members
//! typed into the console appear on the page in XP order, 100 to a page with working page
//! links, keyboard users land on the skip link first, axe-core finds no WCAG 2.1 A/AA
//! violation, and screenshots are saved for a person to look at. A non-loopback address is refused: these pages have no login.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use questline_tests::browser::{Browser, Key, Locator, screenshot_dir};
use serde_json::Value;

fn questline(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_questline"));
    c.current_dir(dir)
        .env("QUESTLINE_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("QUESTLINE_CONFIG");
    c
}

/// The console child, killed if the test fails half-way.
struct Console(Child);

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn json(url: &str) -> Value {
    let body = reqwest::get(url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_leaderboard_pages_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut console = Console(
        questline(dir.path())
            .args([
                "console",
                "--seed",
                "7",
                "--web",
                &format!("127.0.0.1:{port}"),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run questline console --web"),
    );
    // The banner names the page.
    let stdout = console.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let banner_line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("leaderboard: "))
        .expect("the console prints its leaderboard address");
    assert_eq!(
        banner_line,
        format!("leaderboard: http://127.0.0.1:{port}/g/1 (read-only, this computer only)")
    );
    std::thread::spawn(move || lines.for_each(drop));

    // alice talks three times (two minutes apart: the XP cooldown), 130 others once.
    let mut script =
        String::from("alice: hello\n:advance 2m\nalice: again\n:advance 2m\nalice: and again\n");
    for i in 0..130 {
        script.push_str(&format!("member{i:03}: hi all\n"));
    }
    let mut stdin = console.0.stdin.take().expect("stdin");
    stdin.write_all(script.as_bytes()).expect("write script");
    stdin.flush().expect("flush");

    let base = format!("http://127.0.0.1:{port}");
    let api = format!("{base}/api/v1/guilds/1/leaderboard");
    let deadline = Instant::now() + Duration::from_secs(120);
    let first = loop {
        let j = json(&api).await;
        if j["total"].as_i64() == Some(131) {
            break j;
        }
        assert!(
            Instant::now() < deadline,
            "the console did not store 131 members: {j}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The JSON API: members in rank order, each with rank, user_id, name, level and XP.
    let rows = first["members"].as_array().expect("members");
    assert_eq!(rows.len(), 100);
    assert_eq!(
        (rows[0]["rank"].as_i64(), rows[0]["name"].as_str()),
        (Some(1), Some("alice"))
    );
    for row in rows {
        for key in ["rank", "user_id", "name", "level", "xp"] {
            assert!(!row[key].is_null(), "{key} missing in {row}");
        }
    }
    assert!(
        rows.windows(2)
            .all(|w| w[0]["rank"].as_i64() <= w[1]["rank"].as_i64())
    );
    assert!(
        rows[0]["xp_for_level"].as_i64().unwrap_or(0) > 0,
        "progress from the guild's curve: {}",
        rows[0]
    );

    let c = &browser.client;
    // `/` leads to the local guild's board.
    c.goto(&format!("{base}/")).await.expect("open /");
    assert_eq!(c.current_url().await.expect("url").path(), "/g/1");
    assert_eq!(
        c.title().await.expect("title"),
        "Questline Console leaderboard · Questline"
    );
    let h1 = c
        .find(Locator::Css("h1"))
        .await
        .expect("h1")
        .text()
        .await
        .expect("text");
    assert_eq!(h1, "Leaderboard");
    let body_rows = c.find_all(Locator::Css("tbody tr")).await.expect("rows");
    assert_eq!(body_rows.len(), 100, "100 members on page 1");
    let first_name = c
        .find(Locator::Css("tbody tr:first-child .name"))
        .await
        .expect("first row")
        .text()
        .await
        .expect("name");
    assert_eq!(first_name, "alice");
    // axe-core finds no WCAG 2.1 A/AA violation (contrast, labels, landmarks, names).
    if let Some(violations) = browser.accessibility_violations().await {
        assert!(
            violations.is_empty(),
            "accessibility violations: {violations:#?}"
        );
    }
    let shot = browser.screenshot("console-leaderboard-page-1").await;
    assert!(std::fs::metadata(&shot).expect("screenshot").len() > 10_000);

    // Keyboard: the first Tab reaches the skip link.
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys(&String::from(char::from(Key::Tab)))
        .await
        .expect("tab");
    let focused = c
        .active_element()
        .await
        .expect("focus")
        .text()
        .await
        .expect("text");
    assert_eq!(focused, "Skip to content");

    // Page 2 through its link: the remaining 31 members, ranks continuing.
    browser.click_and_wait(Locator::LinkText("Next →")).await;
    let url = c.current_url().await.expect("url");
    assert_eq!(url.query(), Some("page=2"));
    let page2 = c.find_all(Locator::Css("tbody tr")).await.expect("rows");
    assert_eq!(page2.len(), 31);
    let pager = c
        .find(Locator::Css("[aria-current=page]"))
        .await
        .expect("pager")
        .text()
        .await
        .expect("text");
    assert_eq!(pager, "Page 2 of 2");
    let last_rank_p1 = rows[99]["rank"].as_i64().expect("rank");
    let first_rank_p2: i64 = c
        .find(Locator::Css("tbody tr:first-child .place"))
        .await
        .expect("rank cell")
        .text()
        .await
        .expect("text")
        .trim_start_matches('#')
        .parse()
        .expect("a rank number");
    assert!(
        first_rank_p2 >= last_rank_p1,
        "ranks continue: {last_rank_p1} then {first_rank_p2}"
    );
    browser.screenshot("console-leaderboard-page-2").await;
    eprintln!("screenshots in {}", screenshot_dir().display());

    browser.close().await;
    drop(stdin);
    let status = console.0.wait().expect("console exit");
    assert!(
        status.success(),
        "the console exits 0 when stdin ends: {status:?}"
    );
}

#[test]
fn the_consoles_web_view_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = questline(dir.path())
        .args(["console", "--web", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .output()
        .expect("run questline console");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused");
    assert!(stderr.contains("loopback address only"), "{stderr}");
}
