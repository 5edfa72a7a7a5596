//! Call limits in CPU time, not wall-clock time.
//!
//! A plugin's call is stopped when the thread running it has spent the call's budget of CPU
//! time since the call began. Time the thread waits for a core (a busy machine, twenty card
//! renders at once) or spends blocked in a host import (a kv read waiting for the database)
//! is not the plugin's work and is not counted, so a well-behaved plugin is never stopped
//! because the machine is busy, while an endless loop is still stopped within about one
//! epoch tick of its budget.
//!
//! wasmtime checks the epoch at every loop header and function entry; each store's deadline
//! is one tick ahead and [`on_epoch_tick`] decides, on the thread that runs the plugin,
//! whether the call goes on. Calls are synchronous, so the thread that armed the budget is
//! the thread that runs the call.

use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use wasmtime::{StoreContextMut, UpdateDeadline};

use super::state::HostState;

/// The current call's budget: the running thread's CPU clock when the call began, and how
/// much of it the call may use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuBudget {
    /// The thread's CPU clock at the start; `None` where the platform has no per-thread CPU
    /// clock, and then the wall clock since `wall` counts instead.
    started: Option<Duration>,
    wall: Instant,
    limit: Duration,
}

impl CpuBudget {
    /// A budget of `limit_ms` milliseconds of CPU time, starting now on this thread.
    pub(crate) fn start(limit_ms: u64) -> Self {
        Self {
            started: ThreadTime::try_now().ok().map(|t| t.as_duration()),
            wall: Instant::now(),
            limit: Duration::from_millis(limit_ms),
        }
    }

    pub(crate) fn limit_ms(&self) -> u64 {
        u64::try_from(self.limit.as_millis()).unwrap_or(u64::MAX)
    }

    /// CPU time this thread spent since the budget started (never negative, should a stale
    /// budget be read on another thread).
    pub(crate) fn spent(&self) -> Duration {
        match (self.started, ThreadTime::try_now()) {
            (Some(start), Ok(now)) => now.as_duration().saturating_sub(start),
            _ => self.wall.elapsed(),
        }
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.spent() > self.limit
    }
}

/// The store's epoch callback: stop the call (as `Trap::Interrupt`, which the runtime
/// reports as a time-out) once its CPU budget is spent, else look again at the next tick.
pub(crate) fn on_epoch_tick(
    store: StoreContextMut<'_, HostState>,
) -> wasmtime::Result<UpdateDeadline> {
    if store.data().cpu.exhausted() {
        Err(wasmtime::Trap::Interrupt.into())
    } else {
        Ok(UpdateDeadline::Continue(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waiting (for a core, for the database) is not spending; working is.
    #[test]
    fn only_the_threads_own_work_counts() {
        let budget = CpuBudget::start(20);
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            !budget.exhausted(),
            "60 ms asleep counted as {:?} of CPU time",
            budget.spent()
        );
        let began = Instant::now();
        while !budget.exhausted() && began.elapsed() < Duration::from_secs(10) {
            std::hint::spin_loop();
        }
        assert!(
            budget.exhausted(),
            "20 ms of spinning never exhausted the budget"
        );
        assert_eq!(budget.limit_ms(), 20);
    }
}
