//! The throughput benchmark's correctness (never its timings): a small run on SQLite and on
//! PostgreSQL stores every event, batched and per event, and the verification catches a
//! counter that does not match what was sent.

use std::time::Duration;

use crate::support::*;
use questline::bench::{self, BenchOptions, Mode, Workload, WorkloadSpec, verify};
use questline::db::{ActivityCounter, Db};

fn options(database: Option<String>) -> BenchOptions {
    BenchOptions {
        database,
        workload: WorkloadSpec {
            events: 1_500,
            guilds: 4,
            members: 60,
            seed: 11,
        },
        quests: 3,
        mode: Mode::Both,
        per_event_events: 150,
        batch_max_events: 128,
        batch_max_wait_ms: 5,
        ceiling: Duration::from_millis(200),
        plugins: plugins_config(),
        ..BenchOptions::default()
    }
}

fn postgres_url() -> Option<String> {
    match std::env::var("QUESTLINE_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!(
                "CI=true but QUESTLINE_TEST_POSTGRES_URL is not set; point it at a PostgreSQL server"
            )
        }
        Err(_) => {
            eprintln!(
                "NOTICE: skipping the PostgreSQL bench: QUESTLINE_TEST_POSTGRES_URL is not set"
            );
            None
        }
    }
}

async fn small_bench_stores_every_event(database: Option<String>) {
    let report = bench::run(&options(database)).await.expect("bench runs");
    assert!(report.verified(), "{report:#?}");
    assert_eq!(report.lost_events, 0);
    for run in [report.batched.as_ref(), report.per_event.as_ref()] {
        let run = run.expect("both modes ran");
        let v = &run.verification;
        assert!(v.ok, "{}", v.summary());
        assert!(v.expected.messages > 0 && v.expected.reactions > 0 && v.expected.commands > 0);
        assert!(
            v.expected.voice_seconds > 0,
            "the workload has overlapping voice sessions"
        );
        assert_eq!(run.counters.failed_events, 0);
        assert!(run.transactions > 0);
    }
    let batched = report.batched.expect("batched");
    let per_event = report.per_event.expect("per-event");
    assert_eq!(
        per_event.batch_sizes.max, 1,
        "the baseline commits one event per transaction"
    );
    assert!(batched.batch_sizes.max > 1, "the batched run batches");
    assert!(report.ceiling.expect("ceiling measured").transactions > 0);
    assert!(batched.plugin_calls > 0, "plugin time is accounted");
    assert!(
        batched.plugin_ns_per_event > 0.0
            && batched.plugin_ns_per_event < batched.process_cpu_ns_per_event,
        "plugins' CPU is measured and is part of the process's: {} of {} ns per event",
        batched.plugin_ns_per_event,
        batched.process_cpu_ns_per_event
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn small_bench_on_sqlite_stores_every_event() {
    small_bench_stores_every_event(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn small_bench_on_postgres_stores_every_event() {
    if let Some(url) = postgres_url() {
        small_bench_stores_every_event(Some(url)).await;
    }
}

/// Adds `by` (> 0) to one member's counter through the repository.
async fn tamper_add(db: &Db, workload: &Workload, counter: ActivityCounter, by: i64) {
    let a = workload
        .activities
        .iter()
        .find(|a| matches!(a.kind, questline::engine::ActivityKind::Message { .. }))
        .expect("a message");
    db.update_activity_counter(a.guild, a.user, counter, by)
        .await
        .expect("tamper");
}

/// Takes one message away from a member who has some, through the repository's import (an
/// operator restoring an old backup of one member, say).
async fn tamper_lose_message(db: &Db, workload: &Workload) {
    for &guild in &workload.guild_ids {
        let rows = db.export_guild_levels(guild).await.expect("export");
        if let Some(mut r) = rows.into_iter().find(|r| r.total_messages > 0) {
            r.total_messages -= 1;
            db.import_guild_levels(guild, &[r]).await.expect("import");
            return;
        }
    }
    panic!("no member has messages");
}

both_backends! {
    async fn verification_catches_a_counter_that_does_not_match(t) {
        let db = Db::connect(&t.config).await.expect("connect");
        let opts = options(None);
        let workload = Workload::generate(WorkloadSpec { events: 400, ..opts.workload });
        let run = bench::run_pipeline(&opts, db.clone(), &workload, "batched", 64, None)
            .await
            .expect("run");
        assert!(run.verification.ok, "{}", run.verification.summary());
        let counters = run.counters;

        // One message missing: lost.
        tamper_lose_message(&db, &workload).await;
        let v = verify::verify(&db, &workload, &counters).await.expect("verify");
        assert!(!v.ok);
        assert_eq!(v.lost_events, 1);
        assert_eq!(v.messages_diff, -1);

        // Put back, then one reaction counted twice: not lost, but still a failed run.
        tamper_add(&db, &workload, ActivityCounter::TotalMessages, 1).await;
        assert!(verify::verify(&db, &workload, &counters).await.expect("verify").ok);
        tamper_add(&db, &workload, ActivityCounter::TotalReactions, 1).await;
        let v = verify::verify(&db, &workload, &counters).await.expect("verify");
        assert!(!v.ok);
        assert_eq!(v.reactions_diff, 1);
        assert_eq!(v.lost_events, 0);

        // Voice seconds that do not match what the sessions earned: a failed run.
        let mut short = workload.clone();
        short.expected.voice_seconds += 5;
        let stored = verify::verify(&db, &short, &counters).await.expect("verify");
        assert!(!stored.ok);
        assert_eq!(stored.voice_seconds_diff, -5);
        assert!(stored.lost_events >= 1);
        let _ = db.close().await;
    }
}
