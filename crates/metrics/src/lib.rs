//! The primitives Questline's subsystems record into and its `/healthz` and `/metrics`
//! endpoint reads: fixed-bound atomic histograms and liveness signals. A leaf crate, so the
//! engine, the plugin runtime and the Discord front record without depending on the HTTP
//! endpoint that publishes what they record.

pub mod histogram;
pub mod status;

pub use histogram::{Histogram, HistogramSnapshot};
pub use status::{GatewayStatus, Heartbeat, Intake, Paused};
