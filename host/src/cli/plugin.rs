//! `questline plugin list|check|install|try|new`: what an operator and a plugin author use to see,
//! vet, install and start plugins.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::config::Config;
use crate::plugins::{MemoryKv, PluginHost, PluginKind, PluginStatus, valid_plugin_name};

#[derive(Debug, clap::Args)]
pub struct PluginArgs {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PluginCommand {
    /// List bundled plugins and those in the plugin directory, with their state.
    List,
    /// Validate a plugin file (format, contract version, exports, metadata) without loading it.
    Check {
        /// The `.wasm` component to check.
        file: PathBuf,
    },
    /// Check a plugin (a file, or an https URL on a host of `[cards] allowed_hosts`) and put it
    /// into the plugin directory atomically, so a running bot never loads half a file.
    Install {
        /// A `.wasm` file, or an https URL to download it from.
        source: String,
        /// The SHA-256 the file must have (hex); anything else is refused.
        #[arg(long)]
        sha256: Option<String>,
    },
    /// Run a plugin on a scratch guild with scripted activities and print what it decided
    /// per activity (XP, levels, quests, achievements), its log lines and its call times.
    Try(super::plugin_try::TryArgs),
    /// Scaffold a new plugin crate.
    New {
        /// Plugin name: lowercase letters, digits and `-`.
        name: String,
        /// The kind of plugin: xp-formula, quest-type, achievement-check, card-style, commands.
        #[arg(long)]
        kind: PluginKind,
        /// Parent directory of the new crate (default: the current directory).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
}

impl PluginArgs {
    /// Whether this is `plugin try` (which logs the plugin's own lines).
    pub fn is_try(&self) -> bool {
        matches!(self.command, PluginCommand::Try(_))
    }
}

pub async fn run(config: &Config, args: PluginArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PluginCommand::List => list(config),
        PluginCommand::Check { file } => check(config, &file),
        PluginCommand::Try(args) => super::plugin_try::run(config, args).await,
        PluginCommand::Install { source, sha256 } => {
            install::install(config, &source, sha256.as_deref()).await
        }
        PluginCommand::New { name, kind, dir } => {
            let created = scaffold::new_plugin(&name, kind, &dir)?;
            println!("Created plugin `{name}` ({kind}) in {}", created.display());
            println!(
                "Build it with: cd {} && cargo build --release --target wasm32-wasip2",
                created.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn host(config: &Config) -> anyhow::Result<PluginHost> {
    PluginHost::new(&config.plugins, Arc::new(MemoryKv::new()))
        .context("cannot start the plugin runtime")
}

fn list(config: &Config) -> anyhow::Result<ExitCode> {
    let host = host(config)?;
    host.load_bundled(crate::bundled::BUNDLED);
    if let Err(err) = host.load_dir() {
        eprintln!("warning: {err}");
    }
    let rows = host.list();
    print!("{}", render_table(&rows));
    let failed = rows
        .iter()
        .filter(|r| matches!(r.state, crate::plugins::PluginState::Failed(_)))
        .count();
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn render_table(rows: &[PluginStatus]) -> String {
    if rows.is_empty() {
        return "No plugins (none bundled, and the plugin directory is empty).\n".to_owned();
    }
    let header = ["NAME", "VERSION", "KINDS", "USES", "SOURCE", "STATUS"];
    let joined = |items: Vec<&str>| {
        if items.is_empty() {
            "-".to_owned()
        } else {
            items.join(",")
        }
    };
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.version.clone().unwrap_or_else(|| "-".into()),
                joined(r.kinds.iter().map(|k| k.as_str()).collect()),
                joined(r.capabilities.iter().map(|c| c.as_str()).collect()),
                r.source.to_string(),
                r.state.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cols: &[&str]| {
        let mut text = String::new();
        for (i, col) in cols.iter().enumerate() {
            if i + 1 == cols.len() {
                text.push_str(col);
            } else {
                text.push_str(&format!("{col:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &cells {
        let cols: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cols);
    }
    out
}

fn check(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    let host = host(config)?;
    match host.check_file(file) {
        Ok(report) => {
            let kinds: Vec<&str> = report.info.kinds.iter().map(|k| k.as_str()).collect();
            println!("OK: {} is a valid Questline plugin", file.display());
            println!("  name:        {}", report.info.name);
            println!("  version:     {}", report.info.version);
            println!("  description: {}", report.info.description);
            println!("  kinds:       {}", kinds.join(", "));
            println!("  contract:    {}", report.info.contract);
            println!("  size:        {} bytes", report.size_bytes);
            println!("  sha256:      {}", report.sha256);
            println!(
                "  compile:     {:.1} ms ({:?})",
                report.stats.compile.as_secs_f64() * 1e3,
                report.stats.cache
            );
            if report.info.capabilities.is_empty() {
                println!("  uses:        no host interface (it only answers its calls)");
            }
            for c in &report.info.capabilities {
                let unused = if report.imports.contains(&c.capability) {
                    ""
                } else {
                    " [declared, not imported]"
                };
                println!(
                    "  uses:        {} ({}): {}{unused}",
                    c.capability,
                    c.capability.what(),
                    c.why
                );
            }
            match &report.settings_keys {
                Some(keys) if keys.is_empty() => {
                    println!("  settings:    a schema with no keys (settings stay `{{}}`)")
                }
                Some(keys) => {
                    for key in keys {
                        println!("  settings:    {key}");
                    }
                }
                None => println!("  settings:    no schema (any JSON object is passed as is)"),
            }
            for (import, what) in &report.sandboxed_imports {
                println!("  sandboxed:   {import} ({what})");
            }
            if let Some(bundled) = host.info(&report.info.name) {
                println!(
                    "  note:        overrides the plugin `{}` {} when dropped into the plugin directory",
                    bundled.name, bundled.version
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            println!("FAILED: {} is not a usable plugin", file.display());
            println!("  reason: {err}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `plugin install`: checked first, then written beside its destination and renamed over it.
pub mod install {
    use std::io::Write as _;
    use std::path::Path;
    use std::process::ExitCode;

    use anyhow::{Context, bail};

    use crate::config::Config;

    /// Installs `source` (a path or an https URL) into the plugin directory as `<name>.wasm`.
    pub async fn install(
        config: &Config,
        source: &str,
        sha256: Option<&str>,
    ) -> anyhow::Result<ExitCode> {
        let bytes = if source.starts_with("https://") || source.starts_with("http://") {
            let fetcher = crate::cards::ImageFetcher::new(&config.cards)
                .context("cannot start the downloader")?;
            fetcher
                .fetch_bytes(source, config.plugins.max_download_bytes)
                .await
                .with_context(|| {
                    format!(
                        "cannot download {source} (plugins come from https URLs on a host of [cards] allowed_hosts, at most [plugins] max_download_bytes = {} bytes); nothing was installed",
                        config.plugins.max_download_bytes
                    )
                })?
        } else {
            std::fs::read(source)
                .with_context(|| format!("cannot read {source}; nothing was installed"))?
        };
        let actual = crate::plugins::sha256_hex(&bytes);
        if let Some(expected) = sha256
            && !expected.trim().eq_ignore_ascii_case(&actual)
        {
            bail!(
                "{source} has SHA-256 {actual}, not the {} you gave; nothing was installed (check where the file came from)",
                expected.trim()
            );
        }
        let host = super::host(config)?;
        let report = match host.check_bytes(&bytes, Path::new(source)) {
            Ok(report) => report,
            Err(err) => {
                println!("FAILED: {source} is not a usable plugin; nothing was installed");
                println!("  reason: {err}");
                return Ok(ExitCode::FAILURE);
            }
        };
        let dir = &config.plugins.dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the plugin directory {}", dir.display()))?;
        let name = &report.info.name;
        let dest = dir.join(format!("{name}.wasm"));
        let replaced = dest
            .exists()
            .then(|| host.check_file(&dest).ok().map(|r| r.info.version))
            .flatten();
        // Written under a dot-name the loader and the watcher ignore, flushed, then renamed
        // over the destination in one step.
        let tmp = dir.join(format!(".{name}.wasm.installing-{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &dest)?;
            // The rename itself is durable once the directory is synced.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            bail!(
                "cannot write {}: {e}; nothing was installed",
                dest.display()
            );
        }
        let kinds: Vec<&str> = report.info.kinds.iter().map(|k| k.as_str()).collect();
        println!(
            "Installed {name} {} ({}) as {}",
            report.info.version,
            kinds.join(", "),
            dest.display()
        );
        println!("  sha256: {actual}");
        if let Some(old) = replaced {
            println!("  replaced: {name} {old}");
        }
        println!(
            "  A running bot with hot reload serves it within a second; otherwise restart the bot."
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// `plugin new`: a crate from the SDK's templates.
pub(crate) mod scaffold {
    use super::*;

    /// The templates a scaffold is made from.
    pub(crate) struct Templates<'a> {
        pub(crate) cargo_toml: &'a str,
        pub(crate) lib_rs: &'a str,
    }

    /// The SDK dependency line: the repository's own SDK when this binary was built from a
    /// checkout that still exists, the published crate otherwise.
    pub(crate) fn sdk_dependency() -> String {
        let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk");
        match std::fs::canonicalize(&local) {
            Ok(path) if path.join("Cargo.toml").is_file() => {
                format!("questline-plugin-sdk = {{ path = \"{}\" }}", path.display())
            }
            _ => "questline-plugin-sdk = \"0.2\"".to_owned(),
        }
    }

    pub(crate) fn crate_name(name: &str) -> String {
        name.replace('-', "_")
    }

    fn fill(template: &str, name: &str, sdk: &str) -> String {
        template
            .replace("{{name}}", name)
            .replace("{{crate_name}}", &crate_name(name))
            .replace("{{sdk_dependency}}", sdk)
    }

    /// Writes `<parent>/<name>/{Cargo.toml,src/lib.rs}`; refuses bad names and existing
    /// directories (nothing is overwritten).
    pub(crate) fn write_plugin(
        name: &str,
        parent: &Path,
        templates: &Templates<'_>,
        sdk: &str,
    ) -> anyhow::Result<PathBuf> {
        if !valid_plugin_name(name) || name.starts_with(|c: char| c.is_ascii_digit()) {
            bail!(
                "invalid plugin name `{name}`: use lowercase letters, digits and `-`, starting \
                 with a letter (e.g. `my-xp-formula`)"
            );
        }
        let dir = parent.join(name);
        if dir.exists() {
            bail!(
                "{} already exists; choose another name or --dir (nothing was overwritten)",
                dir.display()
            );
        }
        std::fs::create_dir_all(dir.join("src"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(
            dir.join("Cargo.toml"),
            fill(templates.cargo_toml, name, sdk),
        )
        .with_context(|| format!("cannot write {}/Cargo.toml", dir.display()))?;
        std::fs::write(dir.join("src/lib.rs"), fill(templates.lib_rs, name, sdk))
            .with_context(|| format!("cannot write {}/src/lib.rs", dir.display()))?;
        Ok(dir)
    }

    const CARGO_TOML: &str = include_str!("../../../plugin-sdk/templates/Cargo.toml.tmpl");

    /// The SDK's templates, embedded so an installed binary scaffolds without a checkout.
    pub(crate) fn templates_for(kind: PluginKind) -> Templates<'static> {
        let lib_rs = match kind {
            PluginKind::XpFormula => {
                include_str!("../../../plugin-sdk/templates/xp-formula.rs.tmpl")
            }
            PluginKind::QuestType => {
                include_str!("../../../plugin-sdk/templates/quest-type.rs.tmpl")
            }
            PluginKind::AchievementCheck => {
                include_str!("../../../plugin-sdk/templates/achievement-check.rs.tmpl")
            }
            PluginKind::CardStyle => {
                include_str!("../../../plugin-sdk/templates/card-style.rs.tmpl")
            }
            PluginKind::Commands => include_str!("../../../plugin-sdk/templates/commands.rs.tmpl"),
        };
        Templates {
            cargo_toml: CARGO_TOML,
            lib_rs,
        }
    }

    pub(crate) fn new_plugin(
        name: &str,
        kind: PluginKind,
        parent: &Path,
    ) -> anyhow::Result<PathBuf> {
        write_plugin(name, parent, &templates_for(kind), &sdk_dependency())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const CARGO: &str = "[package]\nname = \"{{name}}\"\n[lib]\nname = \"{{crate_name}}\"\n[dependencies]\n{{sdk_dependency}}\n";

        #[test]
        fn writes_filled_templates_and_refuses_to_overwrite() {
            let tmp = tempfile::tempdir().unwrap();
            let templates = Templates {
                cargo_toml: CARGO,
                lib_rs: "// {{name}} / {{crate_name}}\n",
            };
            let dir = write_plugin("my-xp", tmp.path(), &templates, "sdk = \"1\"").unwrap();
            let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            assert!(cargo.contains("name = \"my-xp\""));
            assert!(cargo.contains("name = \"my_xp\""));
            assert!(cargo.contains("sdk = \"1\""));
            assert_eq!(
                std::fs::read_to_string(dir.join("src/lib.rs")).unwrap(),
                "// my-xp / my_xp\n"
            );
            let err = write_plugin("my-xp", tmp.path(), &templates, "").unwrap_err();
            assert!(err.to_string().contains("already exists"), "{err}");
            for bad in ["My-Xp", "my_xp", "", "9lives", "../x"] {
                assert!(
                    write_plugin(bad, tmp.path(), &templates, "").is_err(),
                    "{bad}"
                );
            }
        }

        #[test]
        fn every_kind_has_a_filled_template() {
            let tmp = tempfile::tempdir().unwrap();
            for kind in PluginKind::ALL {
                let name = format!("my-{kind}");
                let dir = write_plugin(&name, tmp.path(), &templates_for(kind), &sdk_dependency())
                    .unwrap();
                let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
                let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
                assert!(cargo.contains(&format!("name = \"{name}\"")), "{cargo}");
                assert!(
                    cargo.contains("questline-plugin-sdk = { path = "),
                    "{cargo}"
                );
                assert!(
                    !cargo.contains("{{") && !lib.contains("{{"),
                    "unfilled placeholder"
                );
                assert!(lib.contains(&name), "{lib}");
            }
        }

        #[test]
        fn sdk_dependency_points_at_this_checkout() {
            let dep = sdk_dependency();
            assert!(
                dep.starts_with("questline-plugin-sdk = { path = \""),
                "{dep}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::{Capability, PluginSource, PluginState};

    #[test]
    fn table_aligns_columns() {
        let rows = vec![
            PluginStatus {
                name: "mee6-xp".into(),
                version: Some("1.0.0".into()),
                kinds: vec![PluginKind::XpFormula],
                capabilities: vec![Capability::Config, Capability::Random],
                source: PluginSource::Bundled,
                state: PluginState::Loaded,
            },
            PluginStatus {
                name: "broken.wasm".into(),
                version: None,
                kinds: vec![],
                capabilities: vec![],
                source: PluginSource::File("data/plugins/broken.wasm".into()),
                state: PluginState::Failed("not a WebAssembly file".into()),
            },
        ];
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("NAME"));
        let col = lines[0].find("VERSION").unwrap();
        assert_eq!(lines[1].find("1.0.0"), Some(col));
        let uses = lines[0].find("USES").unwrap();
        assert_eq!(lines[1].find("config,random"), Some(uses));
        assert!(lines[2].contains("failed: not a WebAssembly file"));
    }
}
