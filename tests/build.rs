//! Builds the test-only fixture components in `tests/fixtures/` (a workspace of their own) for
//! `wasm32-wasip2` and exposes their paths as constants in `questline_tests::fixtures`.

#[path = "../host/build/wasm_build.rs"]
mod wasm_build;

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let fixtures = manifest_dir.join("fixtures");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed={}", fixtures.display());
    println!(
        "cargo:rerun-if-changed={}",
        manifest_dir.join("../wit").display()
    );

    let names = wasm_build::crate_dirs(&fixtures);
    let paths = wasm_build::build_components(
        &fixtures.join("Cargo.toml"),
        &wasm_build::shared_target_dir(&out_dir, "wasm-fixtures"),
        "release",
        &names,
    );
    let mut code = String::new();
    for (name, path) in names.iter().zip(paths) {
        writeln!(
            code,
            "/// The `{name}` fixture component.\npub const {}: &str = {:?};",
            name.replace('-', "_").to_uppercase(),
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    fs::write(out_dir.join("fixtures.rs"), code).expect("write fixtures.rs");
}
