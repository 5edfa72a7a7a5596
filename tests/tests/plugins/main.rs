//! The plugin host through the real runtime: bundled plugins, every kind, hostile plugins, hot
//! reload and a plugin written in JavaScript. One test binary; run a part with e.g.
//! `cargo test -p questline-tests --test plugins hostile::`.

mod support;

mod bundled;
mod contract;
mod hostile;
mod kinds;
mod languages;
mod reload;
