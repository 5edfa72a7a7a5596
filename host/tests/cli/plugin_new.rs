//! `questline plugin new`: every kind's scaffold is a crate whose own tests pass out of the
//! box (`cargo test` in it, natively), and whose component passes `questline plugin check`
//! (its declared capabilities cover its imports, its settings schema compiles), so an author
//! starts from green.

use std::path::Path;
use std::process::Command;

#[test]
fn every_scaffold_passes_its_own_tests() {
    let dir = tempfile::tempdir().expect("tempdir");
    // One target directory for every scaffold and every run: the SDK compiles once.
    let target = std::env::temp_dir().join("questline-scaffold-target");
    for kind in [
        "xp-formula",
        "quest-type",
        "achievement-check",
        "card-style",
        "commands",
    ] {
        let name = format!("scaffold-{kind}");
        let made = Command::new(env!("CARGO_BIN_EXE_questline"))
            .args(["plugin", "new", &name, "--kind", kind, "--dir"])
            .arg(dir.path())
            .env("QUESTLINE_LOG", "warn")
            .output()
            .expect("run questline plugin new");
        assert!(made.status.success(), "{kind}: {made:?}");
        let manifest = dir.path().join(&name).join("Cargo.toml");
        assert!(Path::new(&manifest).is_file(), "{kind}: no Cargo.toml");
        let tested = Command::new(env!("CARGO"))
            .arg("test")
            .arg("--manifest-path")
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .expect("run cargo test");
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&tested.stdout),
            String::from_utf8_lossy(&tested.stderr)
        );
        assert!(
            tested.status.success(),
            "{kind}: the scaffold's tests fail:\n{out}"
        );
        let passed: u64 = out
            .lines()
            .filter_map(|l| l.strip_prefix("test result: ok. "))
            .filter_map(|l| l.split(' ').next()?.parse::<u64>().ok())
            .sum();
        assert!(
            passed >= 1,
            "{kind}: the scaffold has no test that ran:\n{out}"
        );

        let built = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--manifest-path",
            ])
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .expect("run cargo build");
        assert!(
            built.status.success(),
            "{kind}: the scaffold does not build for wasm32-wasip2:\n{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let wasm = target
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        let checked = Command::new(env!("CARGO_BIN_EXE_questline"))
            .args(["plugin", "check"])
            .arg(&wasm)
            .env("QUESTLINE_LOG", "warn")
            .current_dir(dir.path())
            .output()
            .expect("run questline plugin check");
        let report = String::from_utf8_lossy(&checked.stdout);
        assert!(
            checked.status.success() && report.contains(&format!("name:        {name}")),
            "{kind}: the scaffold's component fails `plugin check`:\n{report}"
        );
    }
}
