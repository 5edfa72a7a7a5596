//! The plugin runtime: wasmtime components against the `questline:plugin` WIT package.

pub mod bundled;

use serde::Deserialize;

/// `[plugins]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {}
