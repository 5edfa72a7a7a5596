//! `questline console`: a local guild on the embedded database, typed into by a person.
//!
//! [`input`] parses lines; the session that runs them lands with the engine.

pub mod input;
