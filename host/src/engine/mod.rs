//! The leveling engine: activities in; XP, levels, roles, quest progress and achievements out.
//!
//! This module grows with the engine issue; today it holds the pure building blocks the
//! pipeline is made of, each tested on its own.

pub mod curve;
pub mod dedupe;
pub mod schedule;
pub mod template;
pub mod voice;
