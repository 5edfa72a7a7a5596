//! `[database] slow_statement_ms`: statements slower than the threshold are logged at WARN
//! with their duration and the threshold, on both backends. (The log capture is the
//! process-wide subscriber, so it also sees the rest of the `db` binary's tests; the threshold
//! in each line tells this test's statements from theirs.)

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use crate::support::*;
use questline_tests::both_backends;

/// Everything logged at WARN or above in this process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

fn captured() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Captured::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        log
    })
}

/// The slow-statement lines logged with `threshold` (sqlx prints it with every such line,
/// which tells this test's connections from any other's).
fn slow_lines(threshold: &str) -> Vec<String> {
    captured()
        .text()
        .lines()
        .filter(|l| {
            l.contains("slow statement") && l.contains(&format!("slow_threshold={threshold}"))
        })
        .map(str::to_owned)
        .collect()
}

both_backends! {
    async fn statements_slower_than_the_threshold_are_logged_with_their_duration(t) {
        captured();
        // An hour: nothing a test does is that slow, so nothing is logged.
        let db = t.open_with(|c| c.slow_statement_ms = 3_600_000).await;
        db.award_xp(G, 7, 10, &SqrtCurve).await.expect("award");
        db.get_user_level(G, 7).await.expect("read");
        assert_eq!(slow_lines("3600s"), Vec::<String>::new());

        // 0 ms: every statement is over the threshold (the setting for chasing a slow query).
        let db = t.open_with(|c| c.slow_statement_ms = 0).await;
        db.award_xp(G, 8, 10, &SqrtCurve).await.expect("award");
        db.get_user_level(G, 8).await.expect("read");
        let lines = slow_lines("0ns");
        assert!(!lines.is_empty(), "no slow-statement line in:\n{}", captured().text());
        assert!(lines.iter().all(|l| l.contains("WARN") && l.contains("elapsed=")), "{lines:?}");
        assert!(lines.iter().any(|l| l.to_lowercase().contains("select")), "{lines:?}");
    }
}
