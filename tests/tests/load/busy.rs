//! Time limits measure the plugin's own work. On a machine kept busy by other threads (64
//! spinning threads per core: a thread that loses its core waits about a tenth of a second
//! for it again) the bundled plugins load, twenty threads render cards back to back and four
//! send bursts of XP questions, all under a 10 ms limit, and not one call is stopped; under
//! a wall-clock limit, every call that happens to lose its core times out.
//! An endless loop is still stopped (`plugins` binary, `hostile::infinite_loop_times_out`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use questline::cards::CardData;
use questline::cards::styles::to_wit;
use questline::plugins::{MemoryKv, PluginError, PluginHost, PluginsConfig, XpContext};

use crate::support::{activity, config, ctx, stats};

/// Back-to-back calls per thread: long enough runs of work that the scheduler takes the core
/// away in the middle of some calls.
const RENDERS_PER_THREAD: usize = 100;
const LIMIT_MS: u64 = 10;
const XP_CALLS_PER_THREAD: usize = 20;

/// Threads that spin until dropped (and for at most a minute in any case).
struct Busy {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Busy {
    fn start(threads: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let began = Instant::now();
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) && began.elapsed() < Duration::from_secs(60)
                    {
                        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005) + 1);
                    }
                })
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// What went wrong in the calls, by kind.
#[derive(Default)]
struct Tally {
    calls: AtomicUsize,
    timeouts: AtomicUsize,
}

impl Tally {
    fn record<T>(&self, what: &str, result: Result<T, PluginError>) -> Option<T> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(v) => Some(v),
            // A plugin quarantined after time-outs was stopped too, only earlier.
            Err(PluginError::Timeout { .. } | PluginError::Quarantined { .. }) => {
                self.timeouts.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => panic!("{what} failed for another reason: {e}"),
        }
    }
}

#[test]
fn a_busy_machine_does_not_stop_well_behaved_plugins() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A tight limit (the default is 50 ms): every call here needs well under a millisecond of
    // CPU time, while a call that loses its core to the spinning threads waits far longer
    // than 10 ms for it, so a limit on wall-clock time would stop some of them.
    let cfg = PluginsConfig {
        call_timeout_ms: LIMIT_MS,
        ..config(dir.path())
    };
    // Compile the bundled plugins into the cache while the machine is quiet; loading them
    // again below (instantiation and the metadata call) runs under load.
    let warm = PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("plugin host");
    assert!(warm.load_bundled(questline::bundled::BUNDLED).is_empty());
    drop(warm);

    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let busy = Busy::start(cores * 64);

    let host = PluginHost::new(&cfg, Arc::new(MemoryKv::new())).expect("plugin host");
    let failures = host.load_bundled(questline::bundled::BUNDLED);
    assert!(
        failures.is_empty(),
        "bundled plugins failed to load under load: {failures:?}"
    );

    let card = to_wit(&CardData::sample());
    let tally = Tally::default();
    let items: Vec<XpContext> = (0..1_000)
        .map(|i| XpContext {
            activity: activity(i),
            stats: stats(),
            seconds_since_last_award: Some(120),
            xp_rate: 1.0,
        })
        .collect();
    std::thread::scope(|s| {
        for _ in 0..20 {
            s.spawn(|| {
                for _ in 0..RENDERS_PER_THREAD {
                    let svg = tally.record(
                        "a classic-card render",
                        host.card_render_blocking("classic-card", &ctx(), "classic", &card),
                    );
                    if let Some(answer) = svg {
                        let svg = answer.expect("classic-card renders its own style");
                        assert!(svg.contains("<svg"), "not an SVG document");
                    }
                }
            });
        }
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..XP_CALLS_PER_THREAD {
                    let xp = tally.record(
                        "a 1,000-activity mee6-xp call",
                        host.xp_for_activities_blocking("mee6-xp", &ctx(), &items),
                    );
                    if let Some(xp) = xp {
                        assert_eq!(xp.len(), items.len());
                        assert!(xp.iter().all(|x| (15..=25).contains(x)), "{xp:?}");
                    }
                }
            });
        }
    });
    drop(busy);
    assert_eq!(
        tally.calls.load(Ordering::Relaxed),
        20 * RENDERS_PER_THREAD + 4 * XP_CALLS_PER_THREAD
    );
    assert_eq!(
        tally.timeouts.load(Ordering::Relaxed),
        0,
        "well-behaved calls were stopped because the machine was busy"
    );
}
