//! The real serenity client against the fake Discord on 127.0.0.1: the bot's start-up and
//! commands, files, plugin commands, rank cards, the effect sender, and the fixtures
//! themselves. One test binary; run a part with e.g.
//! `cargo test -p questline-tests --test discord files::`.

/// The rank-card tests' helpers (pictures and a loopback image server), for `/rank`.
#[path = "../cards/support.rs"]
mod card_support;

mod admin;
mod bot;
mod cards;
mod files;
mod fixtures;
mod killed;
mod plugins;
mod session;
mod sink;
mod support;
