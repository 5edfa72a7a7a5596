//! Shared by `host/build.rs` and `tests/build.rs`: run a nested `cargo build` for
//! `wasm32-wasip2` the way wasmtime's test-programs and Spin's test components do.
//!
//! The nested build gets a target directory of its own inside the outer one (no lock waits
//! on the outer build), shared by every profile of the outer build: a debug build, a release
//! build and clippy all find the components already built. It stays inside the outer cargo's
//! jobserver (`CARGO_MAKEFLAGS` is passed down), so the two builds together never run more
//! compilers than `-j` allows. Wrappers and flags meant for the outer build (clippy,
//! coverage, RUSTFLAGS) are not passed down: components are built plainly.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The component target.
pub const TARGET: &str = "wasm32-wasip2";

/// Builds `packages` of the workspace at `manifest` with `profile` into `target_dir` and
/// returns the path of each package's component, in order.
pub fn build_components(
    manifest: &Path,
    target_dir: &Path,
    profile: &str,
    packages: &[String],
) -> Vec<PathBuf> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target")
        .arg(TARGET)
        .arg("--profile")
        .arg(profile)
        .arg("--target-dir")
        .arg(target_dir);
    for name in packages {
        cmd.arg("-p").arg(name);
    }
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CLIPPY_ARGS",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build wasm components: {e}"));
    assert!(
        status.success(),
        "building wasm components for {TARGET} failed (see the errors above); \
         is the target installed? `rustup target add {TARGET}`"
    );
    packages
        .iter()
        .map(|name| {
            let wasm = target_dir
                .join(TARGET)
                .join(profile)
                .join(format!("{}.wasm", name.replace('-', "_")));
            assert!(
                wasm.is_file(),
                "`{name}` did not produce {}",
                wasm.display()
            );
            wasm
        })
        .collect()
}

/// Where the nested build of `name` goes: `<outer target dir>/<name>`, found from the build
/// script's `OUT_DIR` (`<target>/[<triple>/]<profile>/build/<pkg>-<hash>/out`) as the nearest
/// ancestor holding cargo's `CACHEDIR.TAG`; `OUT_DIR/<name>` if there is none.
pub fn shared_target_dir(out_dir: &Path, name: &str) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .unwrap_or(out_dir)
        .join(name)
}

/// The directories under `dir` that hold a crate (`Cargo.toml`), by name, sorted. Each
/// crate's package name must equal its directory name (cargo checks it when we pass `-p`).
pub fn crate_dirs(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}
