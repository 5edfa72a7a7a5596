//! Commands that move files: `/import` (an attached MEE6, Polaris, Experienced or Questline
//! JSON file) and `/export` (the guild as a JSON attachment) for admins, and `/gdpr
//! download|delete` for any member about their own data.
//!
//! The file formats and the writing are [`crate::import`]'s (the CLI uses the same code);
//! this module only checks, fetches and reports. An attachment is fetched only after the
//! admin check, through the front's [`AttachmentSource`], and never beyond
//! [`MAX_IMPORT_BYTES`]: a bigger file gets an error pointing at `questline import`.

use futures::future::BoxFuture;

use super::Commands;
use super::types::{CommandError, FileRef, Reply, Request, fit, fit_to};
use crate::db::ImportMode;
use crate::import::{Format, apply, export_guild, guild_curve, parse};

/// Largest attachment `/import` fetches. Larger exports go through the CLI, which has no
/// such limit (`questline import FORMAT FILE --guild ID`).
pub const MAX_IMPORT_BYTES: u64 = 25 * 1024 * 1024;

/// Largest file `/export` and `/gdpr download` send: Discord's upload limit on servers
/// without boosts.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// How a front fetches a file a member attached to a command. The front knows where files
/// live (Discord's CDN) and with which client; commands only say how much they accept.
pub trait AttachmentSource: Send + Sync {
    /// The file's bytes, or a plain-words reason. Must stop reading past `max_bytes` and
    /// fail rather than return a truncated file.
    fn fetch<'a>(
        &'a self,
        file: &'a FileRef,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Vec<u8>, String>>;
}

fn format_of(name: &str) -> Option<Format> {
    Some(match name {
        "mee6" => Format::Mee6,
        "polaris" => Format::Polaris,
        "experienced" => Format::Experienced,
        "questline" => Format::Questline,
        _ => return None,
    })
}

/// `/import format file [mode]`: admins only (checked by [`super::Commands::handle`]).
pub async fn import(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let format_name = req.need("format", req.string("format"))?;
    let format = format_of(format_name).ok_or_else(|| {
        CommandError::Usage(format!(
            "`{}` is not a format I import; use mee6, polaris, experienced or questline",
            fit_to(format_name.to_string(), 40)
        ))
    })?;
    let file = req.need("file", req.attachment("file"))?;
    if file.size > MAX_IMPORT_BYTES {
        return Err(CommandError::Usage(too_large(file.size)));
    }
    let gid = req.guild;
    let existing = c.db.count_guild_members_with_xp(gid).await?;
    let mode = match req.string("mode") {
        Some("overwrite") => ImportMode::Overwrite,
        Some("add") => ImportMode::Add,
        Some(other) => {
            return Err(CommandError::Usage(format!(
                "`{}` is not a mode; use overwrite or add",
                fit_to(other.to_string(), 40)
            )));
        }
        None if existing == 0 => ImportMode::Overwrite,
        None => {
            return Err(CommandError::Usage(format!(
                "this server already has {existing} members with XP: run /import again with mode `overwrite` (the file's XP replaces theirs) or `add` (the file's XP is added to theirs)"
            )));
        }
    };
    let source = c.attachments.as_ref().ok_or_else(|| {
        CommandError::Usage(
            "attached files cannot be read here; use `questline import` on the server instead"
                .into(),
        )
    })?;
    let bytes = source
        .fetch(file, MAX_IMPORT_BYTES)
        .await
        .map_err(|e| CommandError::Usage(format!("could not download `{}`: {e}", file.filename)))?;
    let plan = parse(format, &bytes).map_err(|e| {
        CommandError::Usage(format!(
            "`{}` was not imported: {e}",
            fit_to(file.filename.clone(), 100)
        ))
    })?;
    let override_plugin = plan
        .server_config
        .as_ref()
        .and_then(|c| c.xp_formula_plugin.clone());
    let (curve, plugin) = guild_curve(
        &c.db,
        &c.plugins,
        &c.default_xp_plugin,
        gid,
        override_plugin.as_deref(),
    )
    .await
    .map_err(|e| CommandError::Usage(format!("nothing was imported: {e}")))?;
    let summary = apply(&c.db, gid, &plan, mode, &curve, &|_: u64| {})
        .await
        .map_err(|e| CommandError::Usage(format!("the import was rolled back: {e}")))?;
    tracing::info!(guild = req.guild, actor = req.user, %format, imported = summary.imported, skipped = summary.skipped.len(), "import from Discord");
    Ok(Reply::private(fit(format!(
        "📥 {summary}levels computed with `{plugin}`"
    ))))
}

fn too_large(size: u64) -> String {
    format!(
        "the file is {:.1} MB; /import takes files up to {} MB. Import bigger files on the bot's server with `questline import FORMAT FILE --guild ID`",
        size as f64 / 1_048_576.0,
        MAX_IMPORT_BYTES / 1_048_576
    )
}

/// `/export`: the guild as Questline's JSON export, attached (admins only).
pub async fn export(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    let value = export_guild(&c.db, gid).await?;
    let members = value["members"].as_array().map_or(0, Vec::len);
    let bytes = serde_json::to_vec_pretty(&value)
        .map_err(|e| CommandError::Usage(format!("the export could not be written: {e}")))?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(CommandError::Usage(format!(
            "the export is {:.1} MB, more than Discord accepts as a file ({} MB); run `questline export --guild {gid}` on the bot's server instead",
            bytes.len() as f64 / 1_048_576.0,
            MAX_UPLOAD_BYTES / 1_048_576
        )));
    }
    Ok(Reply::private(format!(
        "📤 {members} members, level roles, quests and settings. Import it elsewhere with `/import format:questline`."
    ))
    .with_attachment(&format!("questline-export-{gid}.json"), bytes))
}

/// `/gdpr download|delete`: the invoking member's own data on this server.
pub async fn gdpr(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let (gid, uid) = (req.guild, req.user);
    match req.subcommand.as_deref() {
        Some("download") => {
            let data = c.db.member_data(gid, uid).await?;
            let bytes = serde_json::to_vec_pretty(&data)
                .map_err(|e| CommandError::Usage(format!("your data could not be written: {e}")))?;
            if bytes.len() > MAX_UPLOAD_BYTES {
                return Err(CommandError::Usage(
                    "your data is larger than Discord accepts as a file; ask a server admin to run `questline gdpr download` for you".into(),
                ));
            }
            Ok(Reply::private(
                "🔒 Everything Questline stores about you on this server (only you see this).",
            )
            .with_attachment(&format!("questline-data-{gid}-{uid}.json"), bytes))
        }
        Some("delete") => {
            if req.boolean("confirm") != Some(true) {
                return Err(CommandError::Usage(
                    "this erases your XP, level, quest progress, achievements and card on this server for good: run `/gdpr delete confirm:True` to go ahead".into(),
                ));
            }
            let d = c.db.delete_member_data(gid, uid).await?;
            tracing::info!(
                guild = req.guild,
                user = req.user,
                rows = d.total(),
                "member erased their data"
            );
            Ok(Reply::private(if d.total() == 0 {
                "Nothing was stored about you on this server.".to_string()
            } else {
                format!(
                    "🗑️ Erased: XP and level ({}), quest progress ({}), achievements ({}), card ({}), XP changes made to you ({}); XP changes you made as a moderator keep no name ({}).",
                    d.levels,
                    d.user_quests,
                    d.user_achievements,
                    d.cards,
                    d.audit_received,
                    d.audit_made_anonymised
                )
            }))
        }
        _ => Err(CommandError::Usage("use /gdpr download or delete".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_limits() {
        assert_eq!(format_of("mee6"), Some(Format::Mee6));
        assert_eq!(format_of("experienced"), Some(Format::Experienced));
        assert_eq!(format_of("csv"), None);
        assert!(too_large(30 * 1_048_576).contains("questline import"));
    }
}
