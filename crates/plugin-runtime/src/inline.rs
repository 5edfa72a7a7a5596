//! Which thread a plugin call runs on.
//!
//! A plugin call is blocking work (wasm runs until it returns, traps or is interrupted), so
//! from async code it runs on tokio's blocking pool: one hand-off to a pool thread and one
//! wake-up back per call. For a small batch that hand-off is most of a call's cost: at 1,000
//! events/s a batch of twenty events makes about forty plugin calls, and the two thread
//! switches of each cost more CPU than the call itself. The engine therefore prepares a small
//! batch on one thread that may block ([`tokio::task::block_in_place`]) inside
//! [`calls_inline`], and every plugin call made on that thread meanwhile runs right there.

use std::cell::Cell;

thread_local! {
    /// Set while [`calls_inline`] runs on this thread.
    static INLINE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, with every plugin call that `f` (or a future it drives with `block_on`) makes on
/// this thread run here instead of on tokio's blocking pool.
///
/// Only for a thread that may block: inside [`tokio::task::block_in_place`], on a
/// `spawn_blocking` thread, or outside any runtime. On an async worker thread it would stall
/// every task queued behind it for as long as a plugin runs (up to its time limit).
pub fn calls_inline<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the flag even if `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            INLINE.set(self.0);
        }
    }
    let _restore = Restore(INLINE.replace(true));
    f()
}

/// Whether plugin calls on this thread run inline (inside [`calls_inline`]). A host import
/// that blocks on async work (a [`crate::KvStore`] over a database) asks this: inline, the
/// thread is already inside a runtime's `block_on` and must not start another.
pub fn calls_are_inline() -> bool {
    INLINE.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_holds_only_inside_and_survives_a_panic() {
        assert!(!calls_are_inline());
        calls_inline(|| {
            assert!(calls_are_inline());
            calls_inline(|| assert!(calls_are_inline()));
            assert!(
                calls_are_inline(),
                "a nested section does not clear the outer one"
            );
        });
        assert!(!calls_are_inline());
        let caught = std::panic::catch_unwind(|| calls_inline(|| panic!("boom")));
        assert!(caught.is_err());
        assert!(!calls_are_inline(), "restored after a panic");
        std::thread::spawn(|| calls_inline(|| ()))
            .join()
            .expect("thread");
        assert!(!calls_are_inline(), "per thread");
    }
}
