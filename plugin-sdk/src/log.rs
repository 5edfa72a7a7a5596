//! Logging through the host's `log` import (lines end up in the host's tracing, tagged with
//! the plugin and guild). Use the [`info!`](crate::info) family of macros, or [`log`].

use crate::types::Level;

/// Logs one line at `level`.
pub fn log(level: Level, message: &str) {
    crate::host::log(level, message);
}

/// Logs a formatted line at trace level.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => { $crate::log::log($crate::Level::Trace, &::std::format!($($arg)*)) };
}

/// Logs a formatted line at debug level.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::log($crate::Level::Debug, &::std::format!($($arg)*)) };
}

/// Logs a formatted line at info level.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::log($crate::Level::Info, &::std::format!($($arg)*)) };
}

/// Logs a formatted line at warn level.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::log($crate::Level::Warn, &::std::format!($($arg)*)) };
}

/// Logs a formatted line at error level.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log::log($crate::Level::Error, &::std::format!($($arg)*)) };
}
