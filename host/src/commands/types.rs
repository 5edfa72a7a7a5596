//! The shapes commands are defined, invoked and answered with.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::DbError;
use crate::engine::EngineError;

/// Discord's message content limit, in characters.
pub const MAX_CONTENT_CHARS: usize = 2_000;

/// What kind of value an option takes; `SubCommand` groups options under a verb
/// (`/card color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    SubCommand,
    String,
    Integer,
    Number,
    Boolean,
    User,
    Channel,
    Role,
    /// A file the member uploads with the command (`/import`).
    Attachment,
}

/// One option of a command (or of a subcommand).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionDef {
    pub name: String,
    pub description: String,
    pub kind: OptionKind,
    pub required: bool,
    /// Inclusive bounds for integer and number options.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Allowed values of a string option (empty: any text).
    pub choices: Vec<String>,
    /// A subcommand's own options.
    pub options: Vec<OptionDef>,
    /// Discord asks [`super::Commands::suggest`] for values while the member types (a string
    /// option whose values depend on the loaded plugins, so fixed choices would go stale).
    pub autocomplete: bool,
}

impl OptionDef {
    pub fn new(name: &str, description: &str, kind: OptionKind) -> Self {
        Self {
            name: name.to_string(),
            description: description.to_string(),
            kind,
            required: false,
            min: None,
            max: None,
            choices: Vec::new(),
            options: Vec::new(),
            autocomplete: false,
        }
    }

    /// Values are suggested while the member types ([`OptionDef::autocomplete`]).
    pub fn autocomplete(mut self) -> Self {
        self.autocomplete = true;
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    pub fn choices(mut self, choices: &[&str]) -> Self {
        self.choices = choices.iter().map(|c| c.to_string()).collect();
        self
    }

    /// A subcommand with its options.
    pub fn sub(name: &str, description: &str, options: Vec<OptionDef>) -> Self {
        let mut o = Self::new(name, description, OptionKind::SubCommand);
        o.options = options;
        o
    }
}

/// Who answers a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandSource {
    Builtin,
    /// A plugin's command, run inside that plugin.
    Plugin(String),
}

/// A command as registered with a front.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandDef {
    /// 1-32 lowercase characters.
    pub name: String,
    /// 1-100 characters.
    pub description: String,
    pub options: Vec<OptionDef>,
    /// Only members with Manage Server (or Administrator) may run it; the front also hides
    /// it from others, but the check that counts is [`super::is_admin`] on each run.
    pub admin: bool,
    pub source: CommandSource,
}

/// A value a member gave an option.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    String(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    User(u64),
    Channel(u64),
    Role(u64),
    Attachment(FileRef),
}

/// A file attached to a command: where the front can fetch it, not its bytes (a command
/// fetches it only after its checks passed, through [`super::AttachmentSource`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub filename: String,
    pub url: String,
    /// The size the uploader's client declared, in bytes.
    pub size: u64,
}

/// One invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub guild: u64,
    pub guild_name: Option<String>,
    pub channel: u64,
    pub user: u64,
    /// The invoker's display name.
    pub user_name: String,
    /// The invoker's permission bits on this server, as the server computed them.
    pub permissions: u64,
    pub roles: Vec<u64>,
    pub name: String,
    pub subcommand: Option<String>,
    /// The options (of the subcommand, when there is one).
    pub options: Vec<(String, OptionValue)>,
    /// Display names of users the options mention (Discord resolves them for us).
    pub names: HashMap<u64, String>,
    pub at: DateTime<Utc>,
}

impl Request {
    fn get(&self, name: &str) -> Option<&OptionValue> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            OptionValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn integer(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            OptionValue::Integer(i) => Some(*i),
            // A number option given where an integer is expected: accept whole values only.
            OptionValue::Number(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    pub fn number(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            OptionValue::Number(f) => Some(*f),
            OptionValue::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            OptionValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    pub fn user(&self, name: &str) -> Option<u64> {
        match self.get(name)? {
            OptionValue::User(u) => Some(*u),
            _ => None,
        }
    }

    pub fn role(&self, name: &str) -> Option<u64> {
        match self.get(name)? {
            OptionValue::Role(r) => Some(*r),
            _ => None,
        }
    }

    pub fn attachment(&self, name: &str) -> Option<&FileRef> {
        match self.get(name)? {
            OptionValue::Attachment(f) => Some(f),
            _ => None,
        }
    }

    pub fn channel(&self, name: &str) -> Option<u64> {
        match self.get(name)? {
            OptionValue::Channel(c) => Some(*c),
            _ => None,
        }
    }

    /// A required option, or a usage error naming it.
    pub fn need<T>(&self, name: &str, v: Option<T>) -> Result<T, CommandError> {
        v.ok_or_else(|| {
            CommandError::Usage(format!("/{} needs the `{name}` option", self.full_name()))
        })
    }

    /// `card color`, `rank`.
    pub fn full_name(&self) -> String {
        match &self.subcommand {
            Some(s) => format!("{} {s}", self.name),
            None => self.name.clone(),
        }
    }

    /// A name for `user`: the resolved display name, the invoker's own, or a mention.
    pub fn name_of(&self, user: u64) -> String {
        if user == self.user {
            return self.user_name.clone();
        }
        self.names
            .get(&user)
            .cloned()
            .unwrap_or_else(|| format!("<@{user}>"))
    }
}

/// A file sent with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// What to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// At most [`MAX_CONTENT_CHARS`] characters (constructors cut longer text).
    pub content: String,
    /// Only the invoker sees it.
    pub ephemeral: bool,
    pub attachment: Option<Attachment>,
    /// An embed under the content, within Discord's limits ([`Embed::fitted`]).
    pub embed: Option<Embed>,
}

/// One field of an [`Embed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// A rich block under a reply (Discord's embed). Fronts without embeds show
/// [`Embed::as_text`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Embed {
    pub title: Option<String>,
    pub description: Option<String>,
    /// 0xRRGGBB.
    pub color: Option<u32>,
    pub fields: Vec<EmbedField>,
}

/// Discord's embed limits (characters): title, description, fields, field name and value,
/// and all the text together.
const EMBED_TITLE: usize = 256;
const EMBED_DESCRIPTION: usize = 4_096;
const EMBED_FIELDS: usize = 25;
const EMBED_FIELD_NAME: usize = 256;
const EMBED_FIELD_VALUE: usize = 1_024;
const EMBED_TOTAL: usize = 6_000;

impl Embed {
    /// The embed cut to Discord's limits, so Discord never refuses the whole reply for a
    /// plugin's long text: each part to its own limit, at most 25 fields, empty field names
    /// or values replaced by a dash (Discord refuses empty ones), and fields dropped from the
    /// end while the total passes 6,000 characters. A colour above 0xFFFFFF is dropped.
    pub fn fitted(self) -> Self {
        let non_empty = |s: String, max| {
            let s = fit_to(s, max);
            if s.trim().is_empty() {
                "-".to_string()
            } else {
                s
            }
        };
        let mut e = Embed {
            title: self
                .title
                .map(|t| fit_to(t, EMBED_TITLE))
                .filter(|t| !t.trim().is_empty()),
            description: self
                .description
                .map(|d| fit_to(d, EMBED_DESCRIPTION))
                .filter(|d| !d.trim().is_empty()),
            color: self.color.filter(|c| *c <= 0xFF_FFFF),
            fields: self
                .fields
                .into_iter()
                .take(EMBED_FIELDS)
                .map(|f| EmbedField {
                    name: non_empty(f.name, EMBED_FIELD_NAME),
                    value: non_empty(f.value, EMBED_FIELD_VALUE),
                    inline: f.inline,
                })
                .collect(),
        };
        // Title and description alone (4,352 at most) always fit the total.
        while e.chars() > EMBED_TOTAL && e.fields.pop().is_some() {}
        e
    }

    /// Characters Discord counts towards the 6,000 total.
    fn chars(&self) -> usize {
        let n = |s: &Option<String>| s.as_ref().map_or(0, |s| s.chars().count());
        n(&self.title)
            + n(&self.description)
            + self
                .fields
                .iter()
                .map(|f| f.name.chars().count() + f.value.chars().count())
                .sum::<usize>()
    }

    /// The embed as plain lines (`**title**`, description, `**name**: value`), for fronts
    /// that draw no embeds.
    pub fn as_text(&self) -> String {
        let mut out = String::new();
        if let Some(t) = &self.title {
            out.push_str(&format!("**{t}**\n"));
        }
        if let Some(d) = &self.description {
            out.push_str(d);
            out.push('\n');
        }
        for f in &self.fields {
            out.push_str(&format!("**{}**: {}\n", f.name, f.value));
        }
        out
    }
}

impl Reply {
    /// A reply everyone in the channel sees.
    pub fn public(content: impl Into<String>) -> Self {
        Self {
            content: fit(content.into()),
            ephemeral: false,
            attachment: None,
            embed: None,
        }
    }

    /// A reply only the invoker sees.
    pub fn private(content: impl Into<String>) -> Self {
        Self {
            content: fit(content.into()),
            ephemeral: true,
            attachment: None,
            embed: None,
        }
    }

    /// An error for the invoker only.
    pub fn error(content: impl Into<String>) -> Self {
        Self::private(format!("⚠️ {}", content.into()))
    }

    /// Adds `embed`, cut to Discord's limits.
    pub fn with_embed(mut self, embed: Embed) -> Self {
        self.embed = Some(embed.fitted());
        self
    }

    /// The content and the embed as text, for fronts that draw no embeds.
    pub fn text(&self) -> String {
        match &self.embed {
            None => self.content.clone(),
            Some(e) if self.content.is_empty() => e.as_text(),
            Some(e) => format!("{}\n{}", self.content, e.as_text()),
        }
    }

    pub fn with_attachment(mut self, filename: &str, bytes: Vec<u8>) -> Self {
        self.attachment = Some(Attachment {
            filename: filename.to_string(),
            bytes,
        });
        self
    }
}

/// Cuts `text` to Discord's content limit, ending with `…` when cut.
pub fn fit(text: String) -> String {
    fit_to(text, MAX_CONTENT_CHARS)
}

/// Cuts `text` to `max` characters, ending with `…` when cut.
pub fn fit_to(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    questline_text::truncate_chars(&text, max)
}

/// Why a command did not do what was asked. The text is shown to the member.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the database could not answer: {0}. Try again in a moment")]
    Db(#[from] DbError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Plugin(String),
    #[error("the bot is shutting down; try again in a minute")]
    Closed,
}

#[cfg(test)]
mod embed_tests {
    use super::*;

    fn field(name: &str, value: &str) -> EmbedField {
        EmbedField {
            name: name.into(),
            value: value.into(),
            inline: false,
        }
    }

    #[test]
    fn an_embed_is_cut_to_discords_limits() {
        let e = Embed {
            title: Some("t".repeat(300)),
            description: Some("d".repeat(5_000)),
            color: Some(0x1_000_000),
            fields: (0..40)
                .map(|i| field(&format!("f{i}"), &"v".repeat(1_500)))
                .collect(),
        }
        .fitted();
        assert_eq!(e.title.as_ref().map(|t| t.chars().count()), Some(256));
        assert_eq!(
            e.description.as_ref().map(|d| d.chars().count()),
            Some(4_096)
        );
        assert_eq!(e.color, None, "not a colour");
        assert!(e.fields.iter().all(|f| f.value.chars().count() <= 1_024));
        assert!(e.chars() <= 6_000, "{}", e.chars());
        assert!(!e.fields.is_empty(), "fields kept while they fit");
    }

    #[test]
    fn empty_parts_are_dropped_or_filled() {
        let e = Embed {
            title: Some("  ".into()),
            description: None,
            color: Some(0xF1C40F),
            fields: vec![field("", ""), field("Bonus", "50 XP")],
        }
        .fitted();
        assert_eq!(e.title, None);
        assert_eq!(e.color, Some(0xF1C40F));
        assert_eq!(e.fields[0].name, "-");
        assert_eq!(e.fields[1], field("Bonus", "50 XP"));
        assert_eq!(e.as_text(), "**-**: -\n**Bonus**: 50 XP\n");
    }
}
