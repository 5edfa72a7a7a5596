//! The web pages over real HTTP (axum on 127.0.0.1, reqwest as the visitor) on both
//! backends: who sees which guild's leaderboard, what the pages and the JSON API say, and
//! the headers every answer carries. The console's pages in a real browser are tested with
//! the `questline` binary in the host crate (`host/tests/cli/web.rs`).

mod access;
mod board;
mod support;
