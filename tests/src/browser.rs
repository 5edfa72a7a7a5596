//! A real headless Chromium for the web tests, driven over WebDriver: Debian's `chromium`
//! and `chromium-driver` (installed by `.ci/run`). With `CI=true` a missing browser fails
//! the test loudly; otherwise the test prints a skip notice and passes.
//!
//! Screenshots go to `$CARGO_TARGET_DIR/web-screenshots/` (or `target/web-screenshots/`),
//! for a person to look at.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// What tests use to find elements and press keys.
pub use fantoccini::Locator;
pub use fantoccini::key::Key;

use crate::testdb::ci;

/// A chromedriver process and a WebDriver session on it; both end on drop (the session
/// should be closed with [`Browser::close`] first so Chromium exits cleanly).
pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn find(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium window of 1280×900; `None` (after a
    /// notice) when they are not installed and this is not CI.
    pub async fn start() -> Option<Browser> {
        Self::start_with(&[]).await
    }

    /// [`Browser::start`] with the system's colour scheme set to dark, so pages match
    /// `prefers-color-scheme: dark`.
    pub async fn start_dark() -> Option<Browser> {
        Self::start_with(&[
            "--force-dark-mode",
            "--blink-settings=preferredColorScheme=0",
        ])
        .await
    }

    async fn start_with(extra_args: &[&str]) -> Option<Browser> {
        let Some(driver_bin) = find("chromedriver") else {
            assert!(
                !ci(),
                "CI=true but chromedriver is not installed: apt-get install chromium chromium-driver (.ci/run does)"
            );
            eprintln!(
                "NOTICE: skipping a browser test: chromedriver not found (apt-get install chromium chromium-driver); set CI=true to make this fatal"
            );
            return None;
        };
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1280,900",
            "--lang=en-US",
        ];
        args.extend_from_slice(extra_args);
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "args": args }
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "chromedriver on {url} gave no browser session within 30 s: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Some(Browser { client, driver })
    }

    /// Clicks what `locator` finds and waits until the browser shows the next document (a
    /// link followed, a form sent): WebDriver's click can return before the navigation it
    /// starts has replaced the page.
    pub async fn click_and_wait(&self, locator: Locator<'_>) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("the page");
        self.client
            .find(locator)
            .await
            .unwrap_or_else(|e| panic!("{locator:?}: {e}"))
            .click()
            .await
            .expect("click");
        let deadline = Instant::now() + Duration::from_secs(20);
        // The old document's root goes stale once the new document is in.
        while old.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "no new page 20 s after clicking {locator:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("body"))
            .await
            .expect("the new page");
    }

    /// How far the page is wider than the window, in CSS pixels (0: no sideways scrolling).
    pub async fn horizontal_overflow(&self) -> i64 {
        self.client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                Vec::new(),
            )
            .await
            .expect("page width")
            .as_i64()
            .unwrap_or(0)
    }

    /// Saves a PNG of the window as `<name>.png` in the screenshot folder; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Ends the session (Chromium exits) and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// axe-core's browser build, installed by `npm ci --prefix tests/fixtures/axe`.
fn axe_source() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(
                !ci(),
                "CI=true but axe-core is missing at {} ({e}): run npm ci --prefix tests/fixtures/axe (.ci/run does)",
                path.display()
            );
            eprintln!(
                "NOTICE: skipping the accessibility check: axe-core not installed (npm ci --prefix tests/fixtures/axe)"
            );
            None
        }
    }
}

impl Browser {
    /// Runs axe-core's WCAG 2.1 A and AA rules on the page shown; each violation as
    /// `{id, impact, help, nodes}`. `None` (after a notice) when axe-core is not installed
    /// and this is not CI.
    pub async fn accessibility_violations(&self) -> Option<Vec<serde_json::Value>> {
        let axe = axe_source()?;
        self.client
            .execute(&axe, Vec::new())
            .await
            .expect("load axe-core into the page");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                                            nodes: v.nodes.map(n => n.target.join(' ')) }))))
                   .catch(e => done({ error: String(e) }));",
                Vec::new(),
            )
            .await
            .expect("run axe-core");
        match result {
            serde_json::Value::Array(v) => Some(v),
            other => panic!("axe-core failed: {other}"),
        }
    }
}

/// Where screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("web-screenshots")
}
