//! `questline console`: a local guild on the embedded database, typed into by a person (or
//! a piped script).
//!
//! [`input`] parses lines; [`session`] runs them on the engine and renders what happened.

pub mod input;
pub mod session;
