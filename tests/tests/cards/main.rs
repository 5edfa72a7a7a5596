//! Rank cards: rendering and its limits, image fetching, hostile card styles and the golden
//! images. One test binary; run a part with e.g.
//! `cargo test -p questline-tests --test cards golden::`.

mod support;

mod golden;
mod hostile;
mod images;
mod render;
