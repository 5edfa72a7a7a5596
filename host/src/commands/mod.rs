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
//! - [`plugin`]: commands that plugins add (run inside the plugin, intents turned into replies).

pub mod admin;
pub mod defs;
pub mod files;
pub mod guild;
pub mod member;
pub mod plugin;
pub mod types;
pub mod xp;

use std::sync::Arc;

use tokio::sync::{RwLock, RwLockReadGuard};

pub use defs::{builtin_commands, check_definitions};
pub use files::AttachmentSource;
pub use guild::GuildDirectory;
pub use types::{
    Attachment, CommandDef, CommandError, CommandSource, FileRef, OptionDef, OptionKind,
    OptionValue, Reply, Request,
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

    /// Runs a command. Never fails: errors become an ephemeral reply that says what went
    /// wrong and what to do.
    pub async fn handle(&self, req: &Request) -> Reply {
        let result = match req.name.as_str() {
            "rank" => member::rank(self, req).await,
            "leaderboard" => member::leaderboard(self, req).await,
            "quests" => member::quests(self, req).await,
            "achievements" => member::achievements(self, req).await,
            "card" => member::card(self, req).await,
            "privacy" => member::privacy(self, req).await,
            "gdpr" => files::gdpr(self, req).await,
            "config" | "xp" | "level-roles" | "quest" | "achievement" | "plugins" | "import"
            | "export" => {
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
        result.unwrap_or_else(|e| {
            if matches!(e, CommandError::Db(_) | CommandError::Engine(_)) {
                tracing::warn!(command = %req.name, guild = req.guild, error = %e, "command failed");
            }
            Reply::error(e.to_string())
        })
    }
}
