//! The `questline` binary: parses the command line and hands over to [`questline::cli`].
//! Errors become one readable message here, at the edge.

use std::process::ExitCode;

/// mimalloc instead of the system allocator: a batch allocates and frees many small, short-lived
/// values (rows, plugin inputs, statements) across threads, and glibc's malloc spent about a
/// quarter of the bot's CPU on it (`perf`, README Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    questline::cli::main()
}
