//! `questline plugin install` through the real binary: a file and a URL are checked before
//! anything is written, a wrong `--sha256`, a broken component, a host off the allow-list and
//! a download over the limit are refused with nothing installed, and a reinstall replaces the
//! file in one rename. (The URL cases call the command's function: plain HTTP from a loopback
//! server is a test-only switch of the downloader.)

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

fn questline(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_questline"))
        .current_dir(dir)
        .env("QUESTLINE_LOG", "warn")
        .env(
            "QUESTLINE_PLUGINS_CACHE_DIR",
            std::env::temp_dir().join("questline-ops-cli-cache"),
        )
        .env_remove("QUESTLINE_CONFIG")
        .args(args)
        .output()
        .expect("run questline")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The bundled plugin `name`'s component.
fn bundled(name: &str) -> &'static [u8] {
    questline::bundled::BUNDLED
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("bundled {name}"))
        .wasm
}

/// Serves `body` to every connection on 127.0.0.1 over plain HTTP; returns the base URL.
fn serve(body: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/wasm\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    format!("http://127.0.0.1:{}", addr.port())
}

/// The plugin directory's entries, sorted.
fn installed(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("plugins"))
        .map(|rd| {
            rd.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_file_is_checked_then_installed_atomically_and_bad_sources_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("questline.toml"), "[plugins]\ndir = \"plugins\"\n").expect("config");
    let wasm = bundled("polynomial-curve");
    std::fs::write(d.join("curve.wasm"), wasm).expect("write");
    std::fs::write(d.join("broken.wasm"), b"\0asm\x0d\0\x01\0garbage").expect("write");

    // A wrong checksum and a broken component: refused, nothing written.
    let o = questline(
        d,
        &[
            "plugin",
            "install",
            "curve.wasm",
            "--sha256",
            &"0".repeat(64),
        ],
    );
    assert!(
        !o.status.success() && text(&o).contains("not the 0000"),
        "{}",
        text(&o)
    );
    let o = questline(d, &["plugin", "install", "broken.wasm"]);
    assert!(
        !o.status.success() && text(&o).contains("not a usable plugin"),
        "{}",
        text(&o)
    );
    assert!(installed(d).is_empty(), "{:?}", installed(d));

    // The right checksum: installed under its own name, no temporary file left.
    let sha = questline::plugins::sha256_hex(wasm);
    let o = questline(
        d,
        &[
            "plugin",
            "install",
            "curve.wasm",
            "--sha256",
            &sha.to_uppercase(),
        ],
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("Installed polynomial-curve") && out.contains(&sha),
        "{out}"
    );
    assert_eq!(installed(d), vec!["polynomial-curve.wasm".to_string()]);
    assert_eq!(
        std::fs::read(d.join("plugins/polynomial-curve.wasm")).unwrap(),
        wasm
    );
    let listed = text(&questline(d, &["plugin", "list"]));
    assert!(
        listed.contains("polynomial-curve") && listed.contains("plugins/polynomial-curve.wasm"),
        "{listed}"
    );

    // Off the allow-list: refused before anything is fetched.
    let o = questline(
        d,
        &["plugin", "install", "https://plugins.example/curve.wasm"],
    );
    assert!(
        !o.status.success() && text(&o).contains("allowed_hosts"),
        "{}",
        text(&o)
    );
    assert_eq!(installed(d), vec!["polynomial-curve.wasm".to_string()]);
}

/// The configuration of a plugin directory under `dir` that may download from a loopback
/// server over plain HTTP (a test-only switch no configuration file can set).
fn loopback_config(dir: &Path, max_download_bytes: u64) -> questline::config::Config {
    let mut config = questline::config::Config::default();
    config.plugins.dir = dir.join("plugins");
    config.plugins.cache_dir = std::env::temp_dir().join("questline-ops-cli-cache");
    config.plugins.max_download_bytes = max_download_bytes;
    config.cards.allowed_hosts = vec!["127.0.0.1".into()];
    config.cards.allow_insecure_loopback = true;
    config
}

#[tokio::test]
async fn a_url_is_downloaded_within_the_limit_and_replaces_the_installed_file() {
    use questline::cli::plugin::install::install;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let wasm = bundled("polynomial-curve");
    let url = format!("{}/curve.wasm", serve(wasm));

    // Over the limit: refused while downloading, nothing written.
    let err = install(&loopback_config(d, 1_000), &url, None)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("max_download_bytes = 1000"),
        "{err:#}"
    );
    assert!(installed(d).is_empty(), "{:?}", installed(d));

    let config = loopback_config(d, 5_000_000);
    let sha = questline::plugins::sha256_hex(wasm);
    let code = install(&config, &url, Some(&sha)).await.expect("installed");
    assert_eq!(
        format!("{code:?}"),
        format!("{:?}", std::process::ExitCode::SUCCESS)
    );
    assert_eq!(
        std::fs::read(d.join("plugins/polynomial-curve.wasm")).unwrap(),
        wasm
    );
    // Again: replaced in one rename, no temporary file left behind.
    install(&config, &url, None).await.expect("reinstalled");
    assert_eq!(installed(d), vec!["polynomial-curve.wasm".to_string()]);
}
