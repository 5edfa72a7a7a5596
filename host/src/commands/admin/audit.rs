//! `/audit [member] [page]`: the XP audit log, newest first, 10 to a page: who changed whose
//! XP (a moderator, a plugin, an import), by how much, why and when.

use std::fmt::Write as _;

use crate::commands::Commands;
use crate::commands::types::{CommandError, Reply, Request, fit_to};

/// Entries per page.
const PER_PAGE: u64 = 10;

/// Who made a change: a member as a mention, anything else (`plugin:daily-bonus`,
/// `system:import`) as written.
fn actor(id: &str) -> String {
    if id.bytes().all(|b| b.is_ascii_digit()) && !id.is_empty() {
        format!("<@{id}>")
    } else {
        format!("`{id}`")
    }
}

pub(super) async fn show(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let member = req.user("member");
    let page = req.integer("page").unwrap_or(1).max(1);
    let index = u64::try_from(page - 1).unwrap_or(0);
    let found = c.db.audit_page(req.guild, member, index, PER_PAGE).await?;
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    let whose = member.map_or(String::new(), |m| format!(" for <@{m}>"));
    if found.entries.is_empty() {
        return Ok(Reply::private(if found.total == 0 {
            format!(
                "No manual XP changes{whose} yet: `/xp`, `/level set`, plugin grants and imports are written here."
            )
        } else {
            format!("Page {page} is empty; the last page{whose} is {pages}.")
        }));
    }
    let mut out = format!("📒 **XP audit log**{whose} · page {page} of {pages}\n");
    for e in &found.entries {
        let reason = if e.reason.is_empty() {
            String::new()
        } else {
            format!(" · {}", fit_to(e.reason.clone(), 120))
        };
        let _ = writeln!(
            out,
            "<t:{}:f> {} → <@{}> **{:+} XP**{reason}",
            e.created_at.timestamp(),
            actor(&e.actor_id),
            e.target_id,
            e.delta
        );
    }
    if page < i64::try_from(pages).unwrap_or(i64::MAX) {
        let _ = write!(out, "Next: `/audit page:{}`", page + 1);
    }
    Ok(Reply::private(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_mentioned_and_other_actors_named() {
        assert_eq!(actor("123"), "<@123>");
        assert_eq!(actor("plugin:daily-bonus"), "`plugin:daily-bonus`");
        assert_eq!(actor(""), "``");
    }
}
