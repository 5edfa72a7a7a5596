//! Capabilities: the contract's host interfaces (`log`, `kv`, `config`, `clock`, `random`) as
//! something a plugin declares and an operator can deny.
//!
//! WHY declared and checked at load rather than trusted: a dropped-in file is code from
//! someone else. Its metadata says what it uses and why; the loader refuses a component whose
//! imports go beyond what it declared (so the declaration is true), or that imports one the
//! operator denied it (`[plugins.deny]`). The component is only ever linked to what it
//! imports, so what it declared is all it can reach.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::bindings::metadata;

/// Longest `why` a plugin may give for a capability, in bytes.
pub const MAX_WHY_BYTES: usize = 200;

/// A host interface of the contract a plugin may import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    Log,
    Kv,
    Config,
    Clock,
    Random,
}

impl Capability {
    pub const ALL: [Capability; 5] = [Self::Log, Self::Kv, Self::Config, Self::Clock, Self::Random];

    /// The interface's name in the contract (`questline:plugin/<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Kv => "kv",
            Self::Config => "config",
            Self::Clock => "clock",
            Self::Random => "random",
        }
    }

    /// What the interface gives a plugin, for operators.
    pub fn what(self) -> &'static str {
        match self {
            Self::Log => "writes lines to the bot's log",
            Self::Kv => "keeps data between calls, per server",
            Self::Config => "reads its settings for the server",
            Self::Clock => "reads the time",
            Self::Random => "draws seeded random numbers",
        }
    }

    /// The capability a component import names, if it is one of the contract's host
    /// interfaces (`questline:plugin/kv@0.2.0` → `kv`).
    pub(crate) fn of_import(name: &str, package: &str) -> Option<Self> {
        let rest = name.strip_prefix(package)?.strip_prefix('/')?;
        rest.split('@').next().unwrap_or(rest).parse().ok()
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Capability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Self::ALL.iter().map(|c| c.as_str()).collect();
                format!(
                    "unknown capability `{s}`; expected one of: {}",
                    all.join(", ")
                )
            })
    }
}

impl Serialize for Capability {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Capability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl From<metadata::Capability> for Capability {
    fn from(c: metadata::Capability) -> Self {
        match c {
            metadata::Capability::Log => Self::Log,
            metadata::Capability::Kv => Self::Kv,
            metadata::Capability::Config => Self::Config,
            metadata::Capability::Clock => Self::Clock,
            metadata::Capability::Random => Self::Random,
        }
    }
}

/// A capability a plugin declared, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityUse {
    pub capability: Capability,
    pub why: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_round_trip_and_imports_map_to_them() {
        for c in Capability::ALL {
            assert_eq!(c.as_str().parse::<Capability>(), Ok(c));
        }
        assert!("network".parse::<Capability>().unwrap_err().contains("kv"));
        let pkg = "questline:plugin";
        assert_eq!(
            Capability::of_import("questline:plugin/kv@0.2.0", pkg),
            Some(Capability::Kv)
        );
        assert_eq!(
            Capability::of_import("questline:plugin/types@0.2.0", pkg),
            None
        );
        assert_eq!(Capability::of_import("wasi:random/random@0.2.6", pkg), None);
    }
}
