//! Temporary stand-in until the lead's generated version lands on main.

/// A plugin compiled into the binary.
pub struct BundledPlugin {
    pub name: &'static str,
    pub wasm: &'static [u8],
}

/// Every bundled plugin.
pub static BUNDLED: &[BundledPlugin] = &[];
