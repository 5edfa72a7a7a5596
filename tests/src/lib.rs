//! Test support for Questline's integration tests (`tests/tests/<area>/`, one test binary per area): fresh databases on
//! both backends ([`testdb`], [`both_backends!`]), fixture plugin components and the fake
//! Discord.

pub mod browser;
pub mod testdb;

pub mod fixtures {
    //! Paths of the fixture components built from `tests/fixtures/` by `build.rs`: a
    //! well-behaved plugin in two versions (for hot reload) and hostile ones, each of which
    //! the runtime must contain.
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

pub mod fake_discord;
