//! [`Problem`]: one thing wrong with the configuration. A leaf module: every section
//! (`[observe]`, `[backup]`, `[logging]`, ...) reports its own problems with it, and the
//! configuration, which is made of those sections, collects them; so the sections do not
//! import the configuration that imports them.

/// One thing wrong with the configuration: which key, the value found, what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `section.key` (or an environment variable's name); empty for a syntax error.
    pub key: String,
    pub value: Option<String>,
    pub allowed: String,
}

impl Problem {
    pub fn value(key: &str, value: impl Into<String>, allowed: impl Into<String>) -> Self {
        Self {
            key: key.to_string(),
            value: Some(value.into()),
            allowed: allowed.into(),
        }
    }

    pub fn syntax(message: String) -> Self {
        Self {
            key: String::new(),
            value: None,
            allowed: message.trim().to_string(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.key, &self.value) {
            (k, _) if k.is_empty() => write!(f, "{}", self.allowed),
            (k, Some(v)) => write!(f, "{k} = {v}: {}", self.allowed),
            (k, None) => write!(f, "{k}: {}", self.allowed),
        }
    }
}
