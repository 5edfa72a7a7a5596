//! `questline config check FILE` and `questline config example`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::{EXAMPLE, check_text};

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigAction {
    /// Validate a configuration file: every unknown key, wrong type and out-of-range value,
    /// by name, with what is allowed. Exit status 1 when anything is wrong.
    Check {
        /// The file (TOML).
        file: PathBuf,
    },
    /// Print a complete, commented configuration with every key at its default.
    Example,
}

pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        ConfigAction::Example => {
            print!("{EXAMPLE}");
            Ok(ExitCode::SUCCESS)
        }
        ConfigAction::Check { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let problems = check_text(&text);
            if problems.is_empty() {
                println!("{}: ok", file.display());
                return Ok(ExitCode::SUCCESS);
            }
            println!("{}: {} problem(s)", file.display(), problems.len());
            for p in &problems {
                println!("  - {p}");
            }
            println!("`questline config example` prints every key with its default.");
            Ok(ExitCode::FAILURE)
        }
    }
}
