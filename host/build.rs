//! Builds the bundled plugins (`plugins/*`) for `wasm32-wasip2` and embeds them, so a fresh
//! clone gets them with zero setup (`cargo run -- plugin list`). Built `.wasm` files are never
//! committed.

#[path = "build/wasm_build.rs"]
mod wasm_build;

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ lives in the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    // The root manifest holds the `wasm` profile the plugins are built with.
    for watched in [
        "plugins",
        "plugin-sdk",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
        "host/build",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let plugins = wasm_build::crate_dirs(&root.join("plugins"));
    let mut code = String::from("pub static BUNDLED: &[BundledPlugin] = &[\n");
    if !plugins.is_empty() {
        // The workspace's `wasm` profile (opt-level 3, stripped).
        let wasm = wasm_build::build_components(
            &root.join("Cargo.toml"),
            &wasm_build::shared_target_dir(&out_dir, "wasm-plugins"),
            "wasm",
            &plugins,
        );
        for (name, path) in plugins.iter().zip(wasm) {
            writeln!(
                code,
                "    BundledPlugin {{ name: {name:?}, wasm: include_bytes!({:?}) }},",
                path.display().to_string()
            )
            .expect("writing to a String");
        }
    }
    code.push_str("];\n");
    fs::write(out_dir.join("bundled_plugins.rs"), code).expect("write bundled_plugins.rs");
}
