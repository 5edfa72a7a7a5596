//! `questline plugin list|check|new`.

use std::process::ExitCode;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct PluginArgs {}

pub async fn run(_config: &Config, _args: PluginArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("plugin: not implemented yet")
}
