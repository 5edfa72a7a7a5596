//! Builders for command specs, embeds and intents, and accessors for invocation options.

use crate::types::{
    CommandInvocation, CommandOption, CommandSpec, Embed, EmbedField, Intent, OptionKind,
    OptionValue, Reply, Snowflake, XpGrant,
};

impl CommandSpec {
    /// A command with no options, open to everyone.
    pub fn new(name: &str, description: &str) -> Self {
        CommandSpec {
            name: name.to_string(),
            description: description.to_string(),
            options: Vec::new(),
            admin_only: false,
        }
    }

    /// Adds an option.
    pub fn option(mut self, option: CommandOption) -> Self {
        self.options.push(option);
        self
    }

    /// Restricts the command to members with Manage Guild.
    pub fn admin_only(mut self) -> Self {
        self.admin_only = true;
        self
    }
}

impl CommandOption {
    /// An optional option of `kind`.
    pub fn new(name: &str, description: &str, kind: OptionKind) -> Self {
        CommandOption {
            name: name.to_string(),
            description: description.to_string(),
            kind,
            required: false,
            min_value: None,
            max_value: None,
        }
    }

    /// Makes the option required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Inclusive bounds (integer and number options).
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.min_value = Some(min);
        self.max_value = Some(max);
        self
    }
}

impl CommandInvocation {
    /// The value of option `name`, if given.
    pub fn option(&self, name: &str) -> Option<&OptionValue> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Option `name` as a string.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.option(name) {
            Some(OptionValue::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Option `name` as an integer.
    pub fn integer(&self, name: &str) -> Option<i64> {
        match self.option(name) {
            Some(OptionValue::Integer(n)) => Some(*n),
            _ => None,
        }
    }

    /// Option `name` as a number (integers widen).
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.option(name) {
            Some(OptionValue::Number(n)) => Some(*n),
            Some(OptionValue::Integer(n)) => Some(*n as f64),
            _ => None,
        }
    }

    /// Option `name` as a boolean.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.option(name) {
            Some(OptionValue::Boolean(b)) => Some(*b),
            _ => None,
        }
    }

    /// Option `name` as a user, channel or role id.
    pub fn id(&self, name: &str) -> Option<Snowflake> {
        match self.option(name) {
            Some(OptionValue::User(id) | OptionValue::Channel(id) | OptionValue::Role(id)) => {
                Some(*id)
            }
            _ => None,
        }
    }
}

impl Embed {
    /// An empty embed.
    pub fn new() -> Self {
        Embed {
            title: None,
            description: None,
            color: None,
            fields: Vec::new(),
        }
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the colour (`0xRRGGBB`).
    pub fn color(mut self, color: u32) -> Self {
        self.color = Some(color & 0xFF_FFFF);
        self
    }

    /// Adds a field.
    pub fn field(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        inline: bool,
    ) -> Self {
        self.fields.push(EmbedField {
            name: name.into(),
            value: value.into(),
            inline,
        });
        self
    }
}

impl Default for Embed {
    fn default() -> Self {
        Self::new()
    }
}

impl Intent {
    /// A public text reply.
    pub fn reply(content: impl Into<String>) -> Self {
        Intent::Reply(Reply {
            content: content.into(),
            embed: None,
            ephemeral: false,
        })
    }

    /// A reply only the invoking member sees.
    pub fn ephemeral(content: impl Into<String>) -> Self {
        Intent::Reply(Reply {
            content: content.into(),
            embed: None,
            ephemeral: true,
        })
    }

    /// A reply with an embed.
    pub fn embed(embed: Embed, ephemeral: bool) -> Self {
        Intent::Reply(Reply {
            content: String::new(),
            embed: Some(embed),
            ephemeral,
        })
    }

    /// Grants `amount` XP to `user` (the host caps it).
    pub fn grant_xp(user: Snowflake, amount: i64, reason: impl Into<String>) -> Self {
        Intent::GrantXp(XpGrant {
            user,
            amount,
            reason: reason.into(),
        })
    }
}
