//! The host's own integration tests: the real `questline` binary (console and operators'
//! commands; only the host package's tests get `CARGO_BIN_EXE_questline`), the console's
//! web pages in a real browser, and the observability endpoint. One test binary; run a part with e.g.
//! `cargo test -p questline --test cli ops_cli::`.

mod console;
mod observe;
mod ops_cli;
mod plugin_install;
mod plugin_new;
mod plugin_try;
mod web;
