//! Test support for Questline integration tests.
