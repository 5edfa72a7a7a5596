//! Tests that load the machine on purpose (dozens of spinning threads). A test binary of their
//! own, because cargo runs test binaries one after another: the load must not reach tests
//! that time things in other binaries.

#[path = "../plugins/support.rs"]
mod support;

mod busy;
