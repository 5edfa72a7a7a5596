//! Plugin kinds and plugin metadata as the host's public API presents them.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::bindings::types;
#[cfg(doc)]
use super::capability::Capability;
use super::capability::CapabilityUse;

/// The highest level a level curve must cover (MEE6 level 1,000 needs ~1.7 billion XP, far
/// beyond any real server); xp-formulas are checked up to it at load, and the engine's level
/// tables end there.
pub const MAX_LEVEL: u32 = 1000;

/// The kinds of plugin; a component implements the interface of each kind it declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PluginKind {
    XpFormula,
    QuestType,
    AchievementCheck,
    CardStyle,
    Commands,
}

impl PluginKind {
    pub const ALL: [PluginKind; 5] = [
        Self::XpFormula,
        Self::QuestType,
        Self::AchievementCheck,
        Self::CardStyle,
        Self::Commands,
    ];

    /// The contract's name for the kind (`xp-formula`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::XpFormula => "xp-formula",
            Self::QuestType => "quest-type",
            Self::AchievementCheck => "achievement-check",
            Self::CardStyle => "card-style",
            Self::Commands => "commands",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PluginKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown plugin kind `{s}`; expected one of: {}",
                    all.join(", ")
                )
            })
    }
}

impl From<types::PluginKind> for PluginKind {
    fn from(kind: types::PluginKind) -> Self {
        match kind {
            types::PluginKind::XpFormula => Self::XpFormula,
            types::PluginKind::QuestType => Self::QuestType,
            types::PluginKind::AchievementCheck => Self::AchievementCheck,
            types::PluginKind::CardStyle => Self::CardStyle,
            types::PluginKind::Commands => Self::Commands,
        }
    }
}

/// What a plugin says about itself (its `metadata.info`), checked at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    /// Sorted, deduplicated; each matches an exported interface.
    pub kinds: Vec<PluginKind>,
    pub contract: String,
    /// What it declared it uses, in the order of [`Capability::ALL`]; every host interface
    /// the component imports is among them.
    pub capabilities: Vec<CapabilityUse>,
    /// Its settings' JSON Schema (checked at load), if it declares one.
    pub settings_schema: Option<String>,
}

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Compiled into the binary.
    Bundled,
    /// Dropped into the plugin directory.
    File(PathBuf),
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bundled => f.write_str("bundled"),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Whether a name follows the contract: lowercase letters, digits and `-`, not empty, at most
/// 64 characters, not starting or ending with `-`.
pub fn valid_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_names_validate() {
        for kind in PluginKind::ALL {
            assert_eq!(kind.as_str().parse::<PluginKind>(), Ok(kind));
        }
        assert!(
            "xp".parse::<PluginKind>()
                .unwrap_err()
                .contains("xp-formula")
        );
        assert!(valid_plugin_name("mee6-xp"));
        assert!(!valid_plugin_name("Mee6"));
        assert!(!valid_plugin_name("a_b"));
        assert!(!valid_plugin_name(""));
        assert!(!valid_plugin_name("-a"));
    }
}
