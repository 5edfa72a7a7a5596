//! `questline migrate up|down|status|fresh`.

use std::process::ExitCode;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {}

pub async fn run(_config: &Config, _args: MigrateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("migrate: not implemented yet")
}
