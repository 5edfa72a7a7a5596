//! Admin commands, one module each. [`super::Commands::handle`] has already checked Manage
//! Server (or Administrator) from the invoker's permissions on the server before anything
//! here runs.

mod achievement;
mod audit;
mod boost;
mod config;
mod level_roles;
mod levelup;
mod plugins;
mod quest;
mod season;
pub mod sync;
mod xp;

pub use achievement::badge_link;

use super::Commands;
use super::types::{CommandError, Reply, Request};

pub async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let sub = req.subcommand.as_deref().unwrap_or("");
    match (req.name.as_str(), sub) {
        ("config", "show") => config::show(c, req).await,
        ("config", "set") => config::set(c, req).await,
        ("xp", _) => xp::handle(c, req).await,
        ("level", "set") => xp::set_level(c, req).await,
        ("audit", _) => audit::show(c, req).await,
        ("sync", _) => sync::run(c, req).await,
        ("levelup", _) => levelup::handle(c, req).await,
        ("boost", _) => boost::handle(c, req).await,
        ("season", _) => season::handle(c, req).await,
        ("level-roles", _) => level_roles::handle(c, req).await,
        ("quest", _) => quest::handle(c, req).await,
        ("achievement", _) => achievement::handle(c, req).await,
        ("plugins", _) => plugins::handle(c, req).await,
        ("import", _) => super::files::import(c, req).await,
        ("export", _) => super::files::export(c, req).await,
        _ => Err(CommandError::Usage(format!(
            "/{} has no `{sub}` subcommand",
            req.name
        ))),
    }
}
