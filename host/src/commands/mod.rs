//! Slash commands, independent of any transport.
//!
//! A front (the Discord gateway today) turns what a member invoked into a [`Request`], asks
//! [`Commands::handle`] for a [`Reply`], and carries the reply back. Nothing here knows
//! about serenity, so every command can be exercised without Discord, and the Discord front
//! only converts shapes.
//!
//! - [`defs`]: what the built-in commands are (names, options, who may run them);
//! - [`member`]: `/rank`, `/leaderboard`, `/quests`, `/achievements`, `/card`, `/privacy`;
//! - [`admin`]: `/config`, `/xp`, `/level-roles`, `/quest`, `/achievement`, `/plugins`;
//! - [`files`]: commands that move files: `/import`, `/export` (admins), `/gdpr` (a member's
//!   own data);
//! - [`plugin`]: commands that plugins add (run inside the plugin, intents turned into replies);
//! - [`requirements`]: what quests and achievements may count (the loaded plugins' types);
//! - [`guild`]: a guild's channels and roles, for checks and names.

pub mod admin;
pub mod defs;
pub mod files;
pub mod guild;
pub mod member;
pub mod plugin;
pub mod requirements;
pub mod types;
pub mod xp;

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{RwLock, RwLockReadGuard};

pub use defs::{builtin_commands, check_definitions};
pub use files::AttachmentSource;
pub use guild::{ChannelKind, GuildChannel, GuildDirectory, GuildRole};
pub use types::{
    Attachment, CommandDef, CommandError, CommandSource, Embed, EmbedField, FileRef, OptionDef,
    OptionKind, OptionValue, Reply, Request,
};

use crate::cards::{CardRenderer, CardsConfig, ImageFetcher};
use crate::db::Db;
use crate::engine::Engine;
use crate::plugins::PluginHost;

/// Discord's "Manage Guild" permission bit: what makes a member an admin for Questline.
pub const MANAGE_GUILD: u64 = 0x20;
/// Discord's "Administrator" permission bit (implies every other permission).
pub const ADMINISTRATOR: u64 = 0x8;

/// Whether permission bits make their holder a Questline admin.
pub fn is_admin(permissions: u64) -> bool {
    permissions & (MANAGE_GUILD | ADMINISTRATOR) != 0
}

/// The engine, shared by the front and the commands until shutdown takes it.
///
/// Readers (submitting activities, running commands) hold a read guard; shutdown takes the
/// write lock, so it waits for what is in flight and everything after it sees `None`
/// ("stop taking events") instead of racing a closing queue.
#[derive(Clone)]
pub struct SharedEngine(Arc<RwLock<Option<Engine>>>);

impl SharedEngine {
    pub fn new(engine: Engine) -> Self {
        Self(Arc::new(RwLock::new(Some(engine))))
    }

    /// The engine, or `None` once shutdown took it.
    pub async fn get(&self) -> RwLockReadGuard<'_, Option<Engine>> {
        self.0.read().await
    }

    /// Takes the engine out (the first caller gets it); later readers see `None`.
    pub async fn take(&self) -> Option<Engine> {
        self.0.write().await.take()
    }
}

/// Runs commands. Cheap to clone.
#[derive(Clone)]
pub struct Commands {
    pub(crate) db: Db,
    pub(crate) engine: SharedEngine,
    pub(crate) plugins: PluginHost,
    pub(crate) renderer: CardRenderer,
    pub(crate) cards: Arc<CardsConfig>,
    /// Fetches members' card backgrounds for `/rank` (checked, size-capped, cached); `None`
    /// only if the HTTP client could not be built, and then cards render without them.
    pub(crate) images: Option<ImageFetcher>,
    pub(crate) default_xp_plugin: String,
    /// How files attached to commands are fetched (none: `/import` says it is unavailable).
    pub(crate) attachments: Option<Arc<dyn AttachmentSource>>,
    /// Where channel and role ids given to admin commands are checked (none: taken as given).
    pub(crate) directory: Option<Arc<dyn GuildDirectory>>,
    /// Who may run commands that act on the whole process (`/plugins reload`); none: any
    /// admin (a front with one server, like the console).
    pub(crate) operators: Option<Arc<HashSet<u64>>>,
    /// Each guild's running or last whole-guild `/sync`.
    pub(crate) syncs: admin::sync::SyncJobs,
}

impl Commands {
    pub fn new(
        db: Db,
        engine: SharedEngine,
        plugins: PluginHost,
        cards: &CardsConfig,
        default_xp_plugin: &str,
    ) -> Self {
        Self {
            db,
            engine,
            plugins,
            renderer: CardRenderer::new(cards),
            cards: Arc::new(cards.clone()),
            images: ImageFetcher::new(cards)
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "card images disabled: the image client could not start");
                })
                .ok(),
            default_xp_plugin: default_xp_plugin.to_string(),
            attachments: None,
            directory: None,
            operators: None,
            syncs: Default::default(),
        }
    }

    /// Lets only `operators` run process-wide commands.
    pub fn with_operators(mut self, operators: HashSet<u64>) -> Self {
        self.operators = Some(Arc::new(operators));
        self
    }

    /// Refuses a process-wide command to anyone but the operators.
    pub(crate) fn check_operator(&self, req: &Request) -> Result<(), CommandError> {
        match &self.operators {
            Some(ops) if !ops.contains(&req.user) => Err(CommandError::Forbidden(format!(
                "`/{} {}` acts on every server this bot is in, so only the bot's operators may run it: the application's owner (or its team) and the users listed in `[discord] operators` of the bot's configuration",
                req.name,
                req.subcommand.as_deref().unwrap_or("")
            ))),
            _ => Ok(()),
        }
    }

    /// Checks channel and role ids given to admin commands against `directory`.
    pub fn with_directory(mut self, directory: Arc<dyn GuildDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// Lets commands fetch attached files (`/import`) through `source`.
    pub fn with_attachments(mut self, source: Arc<dyn AttachmentSource>) -> Self {
        self.attachments = Some(source);
        self
    }

    /// Every command to register: the built-ins, then the plugins' (a plugin command whose
    /// name is taken or invalid is skipped and logged, never registered half-broken).
    pub async fn definitions(&self) -> Vec<CommandDef> {
        let mut defs = builtin_commands();
        defs.extend(plugin::plugin_commands(&self.engine, &defs).await);
        defs
    }

    /// Whether the reply may take longer than Discord's 3-second answer window, so the front
    /// should acknowledge ("thinking…") first and edit the answer in afterwards.
    pub fn defers(&self, name: &str) -> bool {
        matches!(name, "rank" | "import" | "export" | "gdpr")
    }

    /// Whether using `name` counts as activity (XP, quests, achievements). Privacy requests
    /// do not: `/gdpr delete` must not leave a fresh record of its user behind.
    pub fn counts_as_activity(&self, name: &str) -> bool {
        name != "gdpr"
    }

    /// Whether every answer to `name` is for the invoker only (so a deferral is ephemeral
    /// too).
    pub fn answers_privately(&self, name: &str) -> bool {
        matches!(name, "import" | "export" | "gdpr")
    }

    /// Values to suggest for `option` of the command in `req` while the member has typed
    /// `typed` (Discord's autocomplete): at most 25, each `(label, value)`. Admin commands
    /// suggest nothing to members who may not run them.
    pub async fn suggest(&self, req: &Request, option: &str, typed: &str) -> Vec<(String, String)> {
        use requirements::For;
        let target = match (req.name.as_str(), req.subcommand.as_deref(), option) {
            ("quest", Some("create"), "requirement") => For::Quest,
            ("achievement", Some("create"), "requirement") => For::Achievement,
            _ => return Vec::new(),
        };
        if !is_admin(req.permissions) {
            return Vec::new();
        }
        match requirements::offered(self, target).await {
            Ok(offers) => requirements::matching(&offers, typed)
                .into_iter()
                .map(|o| (types::fit_to(o.label.clone(), 100), o.value.clone()))
                .collect(),
            Err(e) => {
                tracing::warn!(command = %req.name, error = %e, "no suggestions");
                Vec::new()
            }
        }
    }

    /// Runs a command. Never fails: errors become an ephemeral reply that says what went
    /// wrong and what to do.
    pub async fn handle(&self, req: &Request) -> Reply {
        let result = match req.name.as_str() {
            "rank" => member::rank(self, req).await,
            "leaderboard" => member::leaderboard(self, req).await,
            "seasons" => member::seasons(self, req).await,
            "quests" => member::quests(self, req).await,
            "achievements" => member::achievements(self, req).await,
            "card" => member::card(self, req).await,
            "privacy" => member::privacy(self, req).await,
            "gdpr" => files::gdpr(self, req).await,
            name if defs::is_admin_builtin(name) => {
                if is_admin(req.permissions) {
                    admin::handle(self, req).await
                } else {
                    Err(CommandError::Forbidden(format!(
                        "/{} is for admins: you need the Manage Server permission on this server",
                        req.name
                    )))
                }
            }
            _ => plugin::run(self, req).await,
        };
        result.unwrap_or_else(|e| failure_reply(req, e))
    }
}

/// The answer to a failed command. A failure on the bot's side (the database, the engine's
/// internals) is logged with a short reference and the member sees only the reference:
/// its details (SQL, hosts, paths) are for the operator. Anything the member can act on is
/// shown as it is.
fn failure_reply(req: &Request, e: CommandError) -> Reply {
    use crate::engine::EngineError;
    let internal = matches!(
        e,
        CommandError::Db(_) | CommandError::Engine(EngineError::Db(_) | EngineError::Internal(_))
    );
    if !internal {
        if matches!(e, CommandError::Engine(_)) {
            tracing::warn!(command = %req.name, guild = req.guild, error = %e, "command failed");
        }
        return Reply::error(e.to_string());
    }
    let reference = format!("{:08x}", rand::random::<u32>());
    tracing::warn!(command = %req.name, guild = req.guild, reference = %reference, error = %e, "command failed");
    Reply::error(format!(
        "the bot could not finish this because of a problem on its side (reference `{reference}`); try again in a minute. If it keeps happening, give the reference to whoever runs the bot: the details are in its log"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DbError;
    use crate::engine::EngineError;

    fn req() -> Request {
        Request {
            guild: 1,
            guild_name: None,
            channel: 2,
            user: 3,
            user_name: "m".into(),
            permissions: 0,
            roles: Vec::new(),
            name: "rank".into(),
            subcommand: None,
            options: Vec::new(),
            names: Default::default(),
            at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_failure_on_the_bots_side_shows_a_reference_and_no_details() {
        let secret = "connection to postgres://questline:hunter2@10.0.0.5 refused";
        for e in [
            CommandError::Db(DbError::Other(secret.into())),
            CommandError::Engine(EngineError::Db(DbError::Other(secret.into()))),
            CommandError::Engine(EngineError::Internal(secret.into())),
        ] {
            let reply = failure_reply(&req(), e);
            assert!(reply.ephemeral);
            assert!(!reply.content.contains("hunter2"), "{}", reply.content);
            assert!(!reply.content.contains("10.0.0.5"), "{}", reply.content);
            let reference = reply
                .content
                .split("reference `")
                .nth(1)
                .and_then(|r| r.split('`').next())
                .expect("a reference");
            assert_eq!(reference.len(), 8, "{}", reply.content);
            assert!(reference.chars().all(|c| c.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn what_the_member_can_act_on_is_shown_as_it_is() {
        let reply = failure_reply(&req(), CommandError::Usage("page 9 is empty".into()));
        assert_eq!(reply.content, "⚠️ page 9 is empty");
        let reply = failure_reply(
            &req(),
            CommandError::Engine(EngineError::InvalidInput("amount too big".into())),
        );
        assert!(reply.content.contains("amount too big"));
    }
}
