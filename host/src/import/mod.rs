//! Importing leaderboards from other bots and from Questline's own export.
//!
//! Transport-independent on purpose: the CLI (`questline import`) and the Discord `/import`
//! command both do `parse(format, bytes)` → [`ImportPlan`] (pure, no I/O) and then
//! `apply(db, guild, plan, mode, curve, progress)` → [`ImportSummary`] (one transaction
//! through [`Db::import_guild`]). Parsing is tolerant, as real exports are messy: unknown
//! fields are ignored, numbers may be strings, and a bad row is skipped with its reason
//! instead of failing the file. A file that is not the format at all (not JSON, wrong
//! shape) is an error and nothing is written.
//!
//! Only total XP is imported; levels are recomputed with the guild's curve (see [`curve`]),
//! so a member's level always agrees with the XP formula the guild runs.

pub mod curve;
mod experienced;
mod export;
mod mee6;
mod polaris;
mod questline;
mod values;

use std::collections::HashSet;

use serde::Serialize;

use crate::db::entities::server_config;
use crate::db::{
    Db, DbError, ImportCounts, ImportData, ImportMode, ImportedMember, ImportedRole, LevelCurve,
};

pub use curve::guild_curve;
pub use export::export_guild;
pub use questline::FORMAT_TAG as QUESTLINE_FORMAT_TAG;

/// Largest file accepted (a 1M-member MEE6 export is ~200 MB; beyond that, split it).
pub const MAX_BYTES: usize = 512 * 1024 * 1024;

/// The formats `parse` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// MEE6 leaderboard JSON (one page, or a JSON list of pages).
    Mee6,
    /// Polaris `{ "users": { "<id>": { "xp": N } } }` (or a bare object of users).
    Polaris,
    /// Experienced: a JSON list of `{ "id": "<user id>", "xp": N }`.
    Experienced,
    /// `questline export` output.
    Questline,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Mee6 => "mee6",
            Self::Polaris => "polaris",
            Self::Experienced => "experienced",
            Self::Questline => "questline",
        })
    }
}

/// A row left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Where in the file (`players[12]`, `users."abc"`, `[3]`).
    pub row: String,
    pub reason: String,
}

/// What a file contains, validated, before anything is written.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPlan {
    pub format: Format,
    pub members: Vec<ImportedMember>,
    pub roles: Vec<ImportedRole>,
    /// Guild settings to restore (Questline exports); its `guild_id` is replaced by the
    /// target guild's.
    #[serde(skip)]
    pub server_config: Option<server_config::Model>,
    pub skipped: Vec<Skipped>,
    /// Things in the file that are deliberately not imported.
    pub notes: Vec<String>,
}

impl ImportPlan {
    fn new(format: Format) -> Self {
        Self {
            format,
            members: Vec::new(),
            roles: Vec::new(),
            server_config: None,
            skipped: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub(crate) fn skip(&mut self, row: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            row: row.into(),
            reason: reason.into(),
        });
    }

    /// Drops later rows of a member already seen (first one wins), and likewise roles.
    fn dedupe(&mut self) {
        let mut seen = HashSet::new();
        let mut skipped = Vec::new();
        self.members.retain(|m| {
            let fresh = seen.insert(m.user_id);
            if !fresh {
                skipped.push(Skipped {
                    row: format!("member {}", m.user_id),
                    reason: "appears more than once; the first row was used".into(),
                });
            }
            fresh
        });
        let mut seen = HashSet::new();
        self.roles.retain(|r| {
            let fresh = seen.insert(r.role_id);
            if !fresh {
                skipped.push(Skipped {
                    row: format!("role {}", r.role_id),
                    reason: "appears more than once; the first reward was used".into(),
                });
            }
            fresh
        });
        self.skipped.extend(skipped);
    }
}

/// Errors that reject a whole file or stop an import (nothing is written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not valid JSON ({0}); export it again or check it was fully downloaded")]
    Json(#[from] serde_json::Error),
    #[error("the file is not a {format} export: {reason}")]
    Shape { format: Format, reason: String },
    #[error(
        "the file is {size} bytes; the limit is {max} bytes: split it and import the parts with --add"
    )]
    TooLarge { size: usize, max: usize },
    #[error("the file has no member to import ({skipped} rows skipped); nothing was changed")]
    Empty { skipped: usize },
    #[error("the guild's XP curve is unavailable: {0}")]
    Curve(String),
    #[error("{0}; nothing was changed")]
    Db(#[from] DbError),
}

/// What an import did (printed by the CLI, sent back by `/import`).
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub format: Format,
    pub mode: ImportMode,
    /// Members written (created + updated).
    pub imported: u64,
    #[serde(flatten)]
    pub counts: ImportCounts,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "imported {} members from {} ({:?}): {} new, {} updated, {} levels changed, {} XP in total",
            self.imported,
            self.format,
            self.mode,
            c.created,
            c.updated,
            c.levels_changed,
            c.total_xp
        )?;
        if c.roles > 0 {
            writeln!(f, "level roles imported: {}", c.roles)?;
        }
        if c.server_config {
            writeln!(f, "guild settings restored")?;
        }
        if !self.skipped.is_empty() {
            writeln!(f, "skipped {} rows:", self.skipped.len())?;
            for s in self.skipped.iter().take(50) {
                writeln!(f, "  {}: {}", s.row, s.reason)?;
            }
            if self.skipped.len() > 50 {
                writeln!(f, "  ... and {} more", self.skipped.len() - 50)?;
            }
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

/// Parses `bytes` as `format`. Pure: no I/O, nothing written.
pub fn parse(format: Format, bytes: &[u8]) -> Result<ImportPlan, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::TooLarge {
            size: bytes.len(),
            max: MAX_BYTES,
        });
    }
    // A UTF-8 byte-order mark is common in files saved by Windows editors.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    let mut plan = ImportPlan::new(format);
    match format {
        Format::Mee6 => mee6::parse(&value, &mut plan)?,
        Format::Polaris => polaris::parse(&value, &mut plan)?,
        Format::Experienced => experienced::parse(&value, &mut plan)?,
        Format::Questline => questline::parse(&value, &mut plan)?,
    }
    plan.dedupe();
    if plan.members.is_empty() && plan.roles.is_empty() && plan.server_config.is_none() {
        return Err(ImportError::Empty {
            skipped: plan.skipped.len(),
        });
    }
    Ok(plan)
}

/// Writes `plan` into `guild` in one transaction, levels computed with `curve`.
/// `progress` is told how many members are written so far.
pub async fn apply(
    db: &Db,
    guild: u64,
    plan: &ImportPlan,
    mode: ImportMode,
    curve: &dyn LevelCurve,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<ImportSummary, ImportError> {
    let config = plan.server_config.clone().map(|mut c| {
        // A stored row: its id is text.
        c.guild_id = guild.to_string();
        c
    });
    let counts = db
        .import_guild(
            guild,
            ImportData {
                members: &plan.members,
                roles: &plan.roles,
                server_config: config.as_ref(),
            },
            mode,
            curve,
            progress,
        )
        .await?;
    Ok(ImportSummary {
        format: plan.format,
        mode,
        imported: counts.created + counts.updated,
        counts,
        skipped: plan.skipped.clone(),
        notes: plan.notes.clone(),
    })
}

#[cfg(test)]
mod tests;
