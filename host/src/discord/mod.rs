//! The Discord front: the serenity gateway in, REST out.
//!
//! - [`bot`]: start-up (token check, database and plugins, engine, command registration,
//!   gateway) and graceful shutdown; the one path `questline run` and the tests use;
//! - [`events`]: gateway events → engine [`Activity`](crate::engine::Activity) values;
//! - [`voice`]: full voice states → the engine's voice changes;
//! - [`interactions`]: slash-command interactions ↔ the transport-free [`crate::commands`];
//! - [`sink`]: the [`EffectSink`](crate::engine::EffectSink) that sends level-up messages,
//!   notices and role changes from the database's outbox (durable across restarts,
//!   coalesced, retried, permission problems reported once);
//! - [`rate_limit`]: Discord's rate-limit headers read and honoured by that sender;
//! - [`session_watch`]: a shard marked disconnected the moment its session is invalidated;
//! - [`http`]: building serenity's REST client for Discord or for a test double;
//! - [`files`]: downloading files attached to commands (`/import`), size- and time-capped;
//! - [`directory`]: a guild's channels and roles over REST, to check ids admins give;
//! - [`managers`]: whether a member manages a guild now, asked of Discord before every
//!   change made on the web dashboard;
//! - [`profiles`]: members' names and avatars kept in the database's member directory for
//!   the web pages, written in coalesced batches.
//!
//! Intents: GUILDS, GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS and GUILD_VOICE_STATES, none
//! privileged. Message *content* needs the privileged MESSAGE_CONTENT intent; without it
//! Discord sends other members' messages with empty content. XP does not need the text, so
//! Questline asks for it only when `[discord] message_content = true`, and a message's length
//! (which a formula may use) is 0 when the content is absent. Likewise GUILD_MEMBERS (needed
//! for GUILD_MEMBER_REMOVE, i.e. a guild's `reset_on_leave`) is asked for only when
//! `[discord] members_intent = true`; start-up logs which privileged intents it asked for.

pub mod bot;
pub mod directory;
pub mod events;
pub mod files;
pub mod http;
pub mod interactions;
pub mod managers;
pub mod profiles;
pub mod rate_limit;
pub mod session_watch;
pub mod sink;
pub mod voice;

use serde::Deserialize;

pub use bot::{Bot, BotOptions, ShardRange};
pub use sink::DiscordSink;

/// Where Discord is, when it is not discord.com.
pub const DISCORD_API: &str = "https://discord.com";

/// `[discord]`: connection settings. The token is never read from here: it comes from the
/// `DISCORD_TOKEN` environment variable, so configuration files can be shared safely.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    /// Base URL of the REST API. Anything other than `https://discord.com` (a test double, a
    /// REST proxy that rate-limits for several processes) disables serenity's own rate
    /// limiter, which otherwise ignores the base URL.
    pub api_base: String,
    /// Ask for the privileged MESSAGE_CONTENT intent (enable it in the developer portal
    /// first), so message length is known to XP formulas.
    pub message_content: bool,
    /// Ask for the privileged GUILD_MEMBERS intent (enable "Server Members Intent" in the
    /// developer portal first). Discord sends GUILD_MEMBER_REMOVE only with it, so guilds'
    /// `reset_on_leave` setting works only when this is on.
    pub members_intent: bool,
    /// How often plugin commands are compared with what is registered, in seconds
    /// (re-registered after a hot reload changes them). 0 = never.
    pub command_sync_secs: u64,
    /// How long the effect sender waits to gather a burst of level-ups into one message, in
    /// milliseconds.
    pub coalesce_ms: u64,
    /// Most notices (level-up, quest, achievement messages) waiting in the outbox; beyond it
    /// the oldest are dropped and counted. Role changes are never dropped.
    pub effect_queue: usize,
    /// How long a notice may wait for Discord (rate limits, an outage, a stopped bot) before
    /// it is dropped unsent, in seconds: a level-up message hours late is noise. Role
    /// changes never expire.
    pub notice_ttl_secs: u64,
    /// Discord user ids who may run commands that act on the whole process rather than one
    /// server (`/plugins reload`), besides the application's owner (or its team's members),
    /// who always may.
    pub operators: Vec<u64>,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        Self {
            api_base: DISCORD_API.to_string(),
            message_content: false,
            members_intent: false,
            command_sync_secs: 30,
            coalesce_ms: 250,
            effect_queue: sink::DEFAULT_CAPACITY,
            notice_ttl_secs: sink::DEFAULT_NOTICE_TTL.as_secs(),
            operators: Vec::new(),
        }
    }
}

/// What can stop the Discord front from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    #[error(
        "no Discord token: set DISCORD_TOKEN to your bot's token (Developer Portal → Bot → Token), or try the bot without Discord with `questline console`"
    )]
    MissingToken,
    #[error(
        "Discord refused the token ({0}): check DISCORD_TOKEN (Developer Portal → Bot → Reset Token), or try the bot without Discord with `questline console`"
    )]
    InvalidToken(String),
    #[error("cannot reach Discord at {api}: {reason}")]
    Unreachable { api: String, reason: String },
    #[error("cannot register slash commands: {0}")]
    Commands(String),
    #[error("{0}")]
    Engine(#[from] crate::engine::EngineError),
    #[error("gateway: {0}")]
    Gateway(String),
    #[error("{0}")]
    Observe(#[from] crate::observe::ObserveError),
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
    #[error(
        "[web] client_id is set but DISCORD_CLIENT_SECRET is not: set it to the application's OAuth2 client secret (Developer Portal → OAuth2), or remove client_id to serve the pages without login"
    )]
    WebLoginSecret,
}
