//! The whole pipeline's throughput (`cargo bench -p questline --bench pipeline`): the same
//! benchmark as `questline bench` (see `questline::bench`), on a temporary SQLite file and,
//! when `QUESTLINE_BENCH_POSTGRES_URL` names a PostgreSQL server, on a scratch database there
//! (created and dropped by the run).
//!
//! Sizes come from the environment so a quick look and a long run use the same target:
//! `QUESTLINE_BENCH_EVENTS` (20000), `QUESTLINE_BENCH_GUILDS` (50), `QUESTLINE_BENCH_MEMBERS`
//! (1000), `QUESTLINE_BENCH_QUESTS` (5), `QUESTLINE_BENCH_PER_EVENT` (2000). Exits non-zero
//! when a run loses events.

use std::process::ExitCode;

use questline::bench::{self, BenchOptions, Mode, WorkloadSpec};

fn env_or(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("{name}={v} is not a number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, with a tiny size.
    let quick = !std::env::args().any(|a| a == "--bench");
    let scale = |n: usize| if quick { (n / 20).max(1) } else { n };
    let base = BenchOptions {
        workload: WorkloadSpec {
            events: scale(env_or("QUESTLINE_BENCH_EVENTS", 20_000)),
            guilds: env_or("QUESTLINE_BENCH_GUILDS", 50),
            members: env_or("QUESTLINE_BENCH_MEMBERS", 1_000),
            seed: 1,
        },
        quests: env_or("QUESTLINE_BENCH_QUESTS", 5),
        mode: Mode::Both,
        per_event_events: scale(env_or("QUESTLINE_BENCH_PER_EVENT", 2_000)),
        half_rate: !quick,
        ..BenchOptions::default()
    };
    let mut targets = vec![None];
    if let Ok(url) = std::env::var("QUESTLINE_BENCH_POSTGRES_URL") {
        targets.push(Some(url));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ok = true;
    for database in targets {
        let opts = BenchOptions {
            database,
            ..base.clone()
        };
        match runtime.block_on(bench::run(&opts)) {
            Ok(report) => {
                print!("{}", bench::render(&report));
                ok &= report.verified();
            }
            Err(e) => {
                eprintln!("benchmark failed: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
