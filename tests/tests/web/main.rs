//! The web pages over real HTTP (axum on 127.0.0.1, reqwest as the visitor) on both
//! backends: who sees which guild's leaderboard, what the pages and the JSON API say, and
//! the headers every answer carries; Discord login against the fake Discord's OAuth2, with
//! the access matrix of every page and form; and the pages in a real headless Chromium, in
//! the light and the dark scheme. The console's pages in a
//! browser are tested with the `questline` binary in the host crate (`host/tests/cli/web.rs`).

mod access;
mod admin;
mod board;
mod browser;
mod login;
mod member;
mod pages_access;
mod support;
