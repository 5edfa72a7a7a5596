//! The login in a real headless Chromium: a members-only leaderboard asks a visitor to log
//! in, the fake Discord's consent page sends them back logged in to the board they wanted,
//! its pages work, axe-core finds no WCAG 2.1 A/AA violation on the logged-in page, and
//! logging out ends the session. Screenshots are saved for a person to look at.

use questline_tests::browser::{Browser, Locator};
use questline_tests::fake_discord::FakeDiscord;
use questline_tests::testdb::{Backend, run};

use crate::login::{login_server, member};
use crate::support::{members, set, text};

const G: u64 = 41771983423143937;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_logs_in_through_discord_sees_the_board_and_logs_out() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let shown = &browser;
    run(Backend::Sqlite, |t| async move {
        let browser = shown;
        let db = t.open().await;
        members(&db, G, 150).await;
        set(&db, G, "leaderboard_visibility", "members").await;
        let fake = FakeDiscord::start().await;
        fake.oauth_user(member());
        let server = login_server(&db, &fake).await;
        let base = format!("http://{}", server.local_addr);
        let c = &browser.client;

        c.goto(&format!("{base}/g/{G}"))
            .await
            .expect("open the board");
        assert_eq!(text(browser, "h1").await, "This leaderboard is not public");
        browser.screenshot("login-required").await;
        browser
            .click_and_wait(Locator::Css("main a[href^='/login']"))
            .await;
        // The fake Discord's consent page.
        assert!(
            c.current_url()
                .await
                .expect("url")
                .as_str()
                .starts_with(&fake.api_base())
        );
        browser.click_and_wait(Locator::Id("authorize")).await;
        // Discord sends the browser back through the callback to the board.
        c.wait()
            .for_element(Locator::Css("table"))
            .await
            .expect("back on the board");

        // Back on the board, logged in.
        assert_eq!(
            c.current_url().await.expect("url").path(),
            format!("/g/{G}")
        );
        assert_eq!(text(browser, "h1").await, "Leaderboard");
        assert_eq!(text(browser, "form.account strong").await, "Mia Member");
        assert_eq!(
            c.find_all(Locator::Css("tbody tr"))
                .await
                .expect("rows")
                .len(),
            100
        );
        assert_eq!(
            text(browser, "tbody tr:first-child .name").await,
            "member 1"
        );
        if let Some(violations) = browser.accessibility_violations().await {
            assert!(
                violations.is_empty(),
                "accessibility violations: {violations:#?}"
            );
        }
        browser.screenshot("login-leaderboard").await;
        browser.click_and_wait(Locator::LinkText("Next →")).await;
        assert_eq!(
            c.find_all(Locator::Css("tbody tr"))
                .await
                .expect("rows")
                .len(),
            50
        );
        assert_eq!(
            text(browser, "tbody tr:last-child .name").await,
            "member 150"
        );

        // Log out: the form posts the CSRF token; the board asks for a login again.
        browser
            .click_and_wait(Locator::Css("form.account button"))
            .await;
        assert_eq!(c.current_url().await.expect("url").path(), "/");
        c.goto(&format!("{base}/g/{G}"))
            .await
            .expect("open the board");
        assert_eq!(text(browser, "h1").await, "This leaderboard is not public");
        server.stop().await;
    })
    .await;
    browser.close().await;
}

/// The pages in a browser whose system prefers the dark scheme: the dark palette is used,
/// and axe-core finds no contrast (or other WCAG 2.1 A/AA) violation on the board, the
/// login request and the front page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_read_well_in_the_dark_scheme() {
    let Some(browser) = Browser::start_dark().await else {
        return;
    };
    let shown = &browser;
    run(Backend::Sqlite, |t| async move {
        let browser = shown;
        let db = t.open().await;
        members(&db, G, 30).await;
        set(&db, G, "leaderboard_visibility", "public").await;
        let fake = FakeDiscord::start().await;
        let server = login_server(&db, &fake).await;
        let base = format!("http://{}", server.local_addr);
        let c = &browser.client;
        for (path, name) in [
            (format!("/g/{G}"), "dark-leaderboard"),
            ("/".to_string(), "dark-front"),
        ] {
            c.goto(&format!("{base}{path}")).await.expect("open");
            let dark = c
                .execute(
                    "return [matchMedia('(prefers-color-scheme: dark)').matches, getComputedStyle(document.documentElement).backgroundColor];",
                    vec![],
                )
                .await
                .expect("scheme");
            assert_eq!(dark[0], true, "the browser prefers dark: {dark}");
            // The dark palette's background (#14161c), not the light one.
            assert_eq!(dark[1], "rgb(20, 22, 28)", "{path}: {dark}");
            if let Some(violations) = browser.accessibility_violations().await {
                assert!(
                    violations.is_empty(),
                    "{path} in the dark: {violations:#?}"
                );
            }
            browser.screenshot(name).await;
        }
        set(&db, G, "leaderboard_visibility", "members").await;
        c.goto(&format!("{base}/g/{G}")).await.expect("open");
        assert_eq!(text(browser, "h1").await, "This leaderboard is not public");
        if let Some(violations) = browser.accessibility_violations().await {
            assert!(violations.is_empty(), "login request in the dark: {violations:#?}");
        }
        browser.screenshot("dark-login-required").await;
        server.stop().await;
    })
    .await;
    browser.close().await;
}
