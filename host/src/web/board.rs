//! A page of a guild's leaderboard as the web shows it: members with names, avatars,
//! progress to their next level, and the guild's role rewards. The HTML page and the JSON
//! API render the same [`Board`], so they cannot disagree.

use std::sync::Arc;

use serde::Serialize;

use crate::db::{Db, DbError, LeaderboardRow};
use crate::engine::Pipeline;

/// Members per page.
pub const PAGE_SIZE: u64 = 100;
/// The last page served (100,000 members); beyond it a board is not worth paging through.
pub const MAX_PAGES: u64 = 1_000;

/// Errors building a board.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    #[error("page {page} does not exist: pages go from 1 to {last}")]
    NoSuchPage { page: u64, last: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The guild a board belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct GuildInfo {
    #[serde(serialize_with = "crate::db::id_text")]
    pub id: u64,
    pub name: String,
}

/// One member's line.
#[derive(Debug, Clone, Serialize)]
pub struct BoardMember {
    pub rank: i64,
    #[serde(serialize_with = "crate::db::id_text")]
    pub user_id: u64,
    /// The member's display name, or `Member <id>` when the bot has not seen them yet.
    pub name: String,
    /// Their Discord avatar (64 px), if they have one.
    pub avatar_url: Option<String>,
    pub level: i32,
    pub xp: i64,
    /// XP gained into the current level and the XP the level spans (absent when the
    /// guild's XP formula cannot be used right now).
    pub xp_into_level: Option<i64>,
    pub xp_for_level: Option<i64>,
    pub messages: i64,
}

/// A role given at a level.
#[derive(Debug, Clone, Serialize)]
pub struct Reward {
    pub level: i32,
    pub role_id: String,
    /// The role's name on Discord, when the front knows it.
    pub role_name: Option<String>,
    /// Kept when a higher reward is reached (otherwise replaced by it).
    pub stacked: bool,
}

/// A page of a guild's leaderboard.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub guild: GuildInfo,
    /// 1-based.
    pub page: u64,
    /// At least 1 (an empty board has one empty page).
    pub pages: u64,
    pub per_page: u64,
    /// Members on the board (hidden members are not counted).
    pub total: i64,
    pub members: Vec<BoardMember>,
    pub rewards: Vec<Reward>,
}

/// Where a member's avatar is served by Discord.
fn avatar_url(user: u64, hash: &str) -> String {
    format!("https://cdn.discordapp.com/avatars/{user}/{hash}.png?size=64")
}

/// Pages needed for `total` members, at least 1 and at most [`MAX_PAGES`].
pub fn page_count(total: i64) -> u64 {
    let total = u64::try_from(total).unwrap_or(0);
    total.div_ceil(PAGE_SIZE).clamp(1, MAX_PAGES)
}

/// Reads page `page` (1-based) of `guild`'s board.
pub async fn load(
    db: &Db,
    pipeline: Option<&Arc<Pipeline>>,
    guild: GuildInfo,
    page: u64,
) -> Result<Board, BoardError> {
    let total = db.visible_members(guild.id).await?;
    let pages = page_count(total);
    if page == 0 || page > pages {
        return Err(BoardError::NoSuchPage { page, last: pages });
    }
    let rows = db.leaderboard_rows(guild.id, page - 1, PAGE_SIZE).await?;
    let table = match pipeline {
        Some(p) => match p.guild_level_table(guild.id).await {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(guild = guild.id, error = %e, "web leaderboard without level progress: the guild's XP curve is unavailable");
                None
            }
        },
        None => None,
    };
    let members = rows
        .into_iter()
        .map(|r: LeaderboardRow| {
            let progress = table.as_ref().map(|t| t.progress(r.xp));
            BoardMember {
                rank: r.rank,
                user_id: r.user_id,
                name: r.name.unwrap_or_else(|| format!("Member {}", r.user_id)),
                avatar_url: r.avatar.map(|h| avatar_url(r.user_id, &h)),
                level: r.level,
                xp: r.xp,
                xp_into_level: progress.map(|p| p.0),
                xp_for_level: progress.map(|p| p.1),
                messages: r.messages,
            }
        })
        .collect();
    let rewards = db
        .list_level_roles(guild.id)
        .await?
        .into_iter()
        .map(|r| Reward {
            level: r.level,
            role_id: r.role_id,
            role_name: None,
            stacked: r.is_stacked,
        })
        .collect();
    Ok(Board {
        guild,
        page,
        pages,
        per_page: PAGE_SIZE,
        total,
        members,
        rewards,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_counted_from_the_members_with_one_page_at_least_and_a_cap() {
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(1), 1);
        assert_eq!(page_count(100), 1);
        assert_eq!(page_count(101), 2);
        assert_eq!(page_count(100_000), 1_000);
        assert_eq!(page_count(10_000_000), MAX_PAGES);
        assert_eq!(page_count(-5), 1);
    }
}
