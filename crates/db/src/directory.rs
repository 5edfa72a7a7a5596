//! The member directory (`member_profiles`) and the web leaderboard's reads.
//!
//! Every other table holds Discord ids only. A web page shows names and avatars, so the bot
//! keeps each member's display name in the guild and avatar hash here, written in coalesced
//! batches from gateway events (the console writes its members' names). A member's profile
//! is part of their data: `/gdpr` downloads it and erases it.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use super::Db;
use super::error::DbError;

/// Longest display name kept (Discord allows 32 characters; names are cut, not refused).
pub const DISPLAY_NAME_MAX_CHARS: usize = 64;

/// Rows per INSERT (5 parameters each: well under SQLite's 32,766 and PostgreSQL's 65,535).
const UPSERT_CHUNK: usize = 500;

/// What the directory knows of a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberProfile {
    #[serde(serialize_with = "crate::id_text")]
    pub user_id: u64,
    pub display_name: String,
    /// Discord's avatar hash (`a_` prefix: animated), if the member has one.
    pub avatar: Option<String>,
}

impl MemberProfile {
    /// A profile with the name cut to [`DISPLAY_NAME_MAX_CHARS`] and control characters
    /// removed (a name is shown in HTML and logs; markup is escaped where it is shown).
    pub fn new(user_id: u64, display_name: &str, avatar: Option<&str>) -> Self {
        let display_name: String = display_name
            .chars()
            .filter(|c| !c.is_control())
            .take(DISPLAY_NAME_MAX_CHARS)
            .collect();
        let avatar = avatar
            .filter(|a| {
                !a.is_empty()
                    && a.len() <= 64
                    && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .map(str::to_string);
        Self {
            user_id,
            display_name,
            avatar,
        }
    }
}

/// One line of the web leaderboard: the member's standing, counters and profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaderboardRow {
    /// 1-based; members with equal XP share a rank.
    pub rank: i64,
    #[serde(serialize_with = "crate::id_text")]
    pub user_id: u64,
    pub xp: i64,
    pub level: i32,
    /// Messages counted towards XP (the `messages` counter).
    pub messages: i64,
    /// From the member directory; `None` when the bot has not seen the member yet.
    pub name: Option<String>,
    pub avatar: Option<String>,
}

#[derive(FromQueryResult)]
struct RawRow {
    user_id: String,
    xp: i64,
    level: i32,
    messages: i64,
    display_name: Option<String>,
    avatar: Option<String>,
}

impl Db {
    /// Stores members' names and avatars (insert or replace), in one transaction.
    pub async fn upsert_member_profiles(
        &self,
        guild: u64,
        profiles: &[MemberProfile],
    ) -> Result<(), DbError> {
        if profiles.is_empty() {
            return Ok(());
        }
        let guild_id = guild.to_string();
        let now = Utc::now();
        self.retry("upsert_member_profiles", || async {
            let txn = self.begin_write().await?;
            for chunk in profiles.chunks(UPSERT_CHUNK) {
                let (sql, values) = upsert_sql(&guild_id, chunk, now);
                txn.execute(self.stmt(&sql, values)).await?;
            }
            txn.commit().await?;
            Ok::<_, DbError>(())
        })
        .await
    }

    /// The directory's profile of each of `users` it knows.
    pub async fn member_profiles(
        &self,
        guild: u64,
        users: &[u64],
    ) -> Result<Vec<MemberProfile>, DbError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        #[derive(FromQueryResult)]
        struct Row {
            user_id: String,
            display_name: String,
            avatar: Option<String>,
        }
        let guild_id = guild.to_string();
        let mut out = Vec::with_capacity(users.len());
        for chunk in users.chunks(UPSERT_CHUNK) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let mut values: Vec<Value> = vec![guild_id.clone().into()];
            values.extend(chunk.iter().map(|u| Value::from(u.to_string())));
            let sql = format!(
                "SELECT user_id, display_name, avatar FROM member_profiles \
                 WHERE guild_id = $1 AND user_id IN ({})",
                marks.join(", ")
            );
            let rows = self
                .retry("member_profiles", || async {
                    Ok::<_, DbError>(
                        Row::find_by_statement(self.stmt(&sql, values.clone()))
                            .all(self.conn())
                            .await?,
                    )
                })
                .await?;
            out.extend(rows.into_iter().filter_map(|r| {
                Some(MemberProfile {
                    user_id: r.user_id.parse().ok()?,
                    display_name: r.display_name,
                    avatar: r.avatar,
                })
            }));
        }
        Ok(out)
    }

    /// One member's profile, if the directory has it.
    pub async fn member_profile(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Option<MemberProfile>, DbError> {
        Ok(self.member_profiles(guild, &[user]).await?.pop())
    }

    /// One page of the guild's web leaderboard (hidden members and those who left or were
    /// banned left out), highest XP first,
    /// with each member's counters and profile. `page` is 0-based.
    ///
    /// Two statements that both walk the `(guild_id, hidden, away, xp DESC, user_id)` index, so a
    /// page costs the
    /// entries before it, not the guild's size: the page itself (`LIMIT`/`OFFSET` in index
    /// order), and how many visible members have more XP than its first row, from which
    /// every rank on the page follows (members with equal XP share a rank; a member below
    /// the page's first XP value has every equal member before them on the page).
    pub async fn leaderboard_rows(
        &self,
        guild: u64,
        page: u64,
        page_size: u64,
    ) -> Result<Vec<LeaderboardRow>, DbError> {
        let offset = page_offset(page, page_size)?;
        let guild_id = guild.to_string();
        let (rows, ahead) = self
            .retry("leaderboard_rows", || async {
                let rows = RawRow::find_by_statement(
                    self.stmt(LEADERBOARD_SQL, board_values(&guild_id, page_size, offset)),
                )
                .all(self.conn())
                .await?;
                let ahead = match rows.first() {
                    None => 0,
                    Some(top) => self
                        .conn()
                        .query_one(self.stmt(
                            "SELECT COUNT(*) AS n FROM levels WHERE guild_id = $1 AND hidden = $2 AND away = '' AND xp > $3",
                            vec![guild_id.clone().into(), false.into(), top.xp.into()],
                        ))
                        .await?
                        .ok_or_else(|| DbError::Other("count returned no row".into()))?
                        .try_get::<i64>("", "n")?,
                };
                Ok::<_, DbError>((rows, ahead))
            })
            .await?;
        let ranks = page_ranks(
            &rows.iter().map(|r| r.xp).collect::<Vec<_>>(),
            offset,
            ahead,
        );
        Ok(rows
            .into_iter()
            .zip(ranks)
            .filter_map(|(r, rank)| {
                Some(LeaderboardRow {
                    rank,
                    user_id: r.user_id.parse().ok()?,
                    xp: r.xp,
                    level: r.level,
                    messages: r.messages,
                    name: r.display_name,
                    avatar: r.avatar,
                })
            })
            .collect())
    }

    /// The database's plan for page `page` of the web leaderboard (`EXPLAIN` on
    /// PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite), one line per step: what the benchmark
    /// and the tests check uses the `(guild_id, hidden, away, xp DESC, user_id)` index instead of
    /// a scan.
    pub async fn leaderboard_plan(
        &self,
        guild: u64,
        page: u64,
        page_size: u64,
    ) -> Result<Vec<String>, DbError> {
        let offset = i64::try_from(page.saturating_mul(page_size))
            .map_err(|_| DbError::invalid("page", "too large"))?;
        let guild_id = guild.to_string();
        let postgres = self.backend() == sea_orm::DatabaseBackend::Postgres;
        let sql = if postgres {
            format!("EXPLAIN {LEADERBOARD_SQL}")
        } else {
            format!("EXPLAIN QUERY PLAN {LEADERBOARD_SQL}")
        };
        let rows = self
            .conn()
            .query_all(self.stmt(&sql, board_values(&guild_id, page_size, offset)))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                if postgres {
                    r.try_get::<String>("", "QUERY PLAN").ok()
                } else {
                    r.try_get::<String>("", "detail").ok()
                }
            })
            .collect())
    }

    /// Members on the guild's leaderboard (not hidden, not away).
    pub async fn visible_members(&self, guild: u64) -> Result<i64, DbError> {
        let guild_id = guild.to_string();
        self.retry("visible_members", || async {
            let row = self
                .conn()
                .query_one(self.stmt(
                    "SELECT COUNT(*) AS n FROM levels WHERE guild_id = $1 AND hidden = $2 AND away = ''",
                    vec![guild_id.clone().into(), false.into()],
                ))
                .await?
                .ok_or_else(|| DbError::Other("count returned no row".into()))?;
            Ok::<_, DbError>(row.try_get::<i64>("", "n")?)
        })
        .await
    }
}

/// A page of the web leaderboard in index order, with names from the directory for that
/// page only.
const LEADERBOARD_SQL: &str = "SELECT b.user_id, b.xp, b.level, b.messages, p.display_name, p.avatar \
     FROM (SELECT user_id, xp, level, messages FROM levels WHERE guild_id = $1 AND hidden = $2 AND away = '' \
           ORDER BY xp DESC, user_id ASC LIMIT $3 OFFSET $4) b \
     LEFT JOIN member_profiles p ON p.guild_id = $1 AND p.user_id = b.user_id \
     ORDER BY b.xp DESC, b.user_id ASC";

/// The offset of page `page` (0-based) of `page_size` rows (1 to 100), for every board.
pub(crate) fn page_offset(page: u64, page_size: u64) -> Result<i64, DbError> {
    if page_size == 0 || page_size > 100 {
        return Err(DbError::invalid("page_size", "must be 1..=100"));
    }
    i64::try_from(page.saturating_mul(page_size)).map_err(|_| DbError::invalid("page", "too large"))
}

/// Competition ranks ("1, 2, 2, 4") of a page's rows (XP descending) that start at
/// position `offset`, given `ahead`: how many visible members have more XP than the first
/// row. A row with the first row's XP shares its rank (`ahead + 1`, equal members may sit
/// on earlier pages); any lower XP value first appears on this page, so its rank is its
/// first position here.
pub(crate) fn page_ranks(xps: &[i64], offset: i64, ahead: i64) -> Vec<i64> {
    let mut out = Vec::with_capacity(xps.len());
    let mut first_of_value = 0usize;
    for (i, xp) in xps.iter().enumerate() {
        if i > 0 && *xp != xps[i - 1] {
            first_of_value = i;
        }
        out.push(if *xp == xps[0] {
            ahead + 1
        } else {
            offset + first_of_value as i64 + 1
        });
    }
    out
}

fn board_values(guild_id: &str, page_size: u64, offset: i64) -> Vec<Value> {
    vec![
        guild_id.into(),
        false.into(),
        i64::try_from(page_size).unwrap_or(100).into(),
        offset.into(),
    ]
}

/// `INSERT … ON CONFLICT DO UPDATE` for a chunk of profiles (the same text on both backends).
fn upsert_sql(guild_id: &str, chunk: &[MemberProfile], now: DateTime<Utc>) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
    let mut rows = Vec::with_capacity(chunk.len());
    for (i, p) in chunk.iter().enumerate() {
        let b = i * 5;
        rows.push(format!(
            "(${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5
        ));
        values.push(guild_id.into());
        values.push(p.user_id.to_string().into());
        values.push(p.display_name.clone().into());
        values.push(p.avatar.clone().into());
        values.push(now.into());
    }
    (
        format!(
            "INSERT INTO member_profiles (guild_id, user_id, display_name, avatar, updated_at) VALUES {} \
             ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = excluded.display_name, \
             avatar = excluded.avatar, updated_at = excluded.updated_at",
            rows.join(", ")
        ),
        values,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_shared_by_equal_xp_across_pages() {
        // Page 1 of 3 per page: 900, 500, 500.
        assert_eq!(page_ranks(&[900, 500, 500], 0, 0), vec![1, 2, 2]);
        // Page 2: 500 (a tie that started on page 1, 1 member ahead), 100, 100.
        assert_eq!(page_ranks(&[500, 100, 100], 3, 1), vec![2, 5, 5]);
        // A page of one value, all tied with members before it.
        assert_eq!(page_ranks(&[7, 7], 40, 12), vec![13, 13]);
        assert!(page_ranks(&[], 0, 0).is_empty());
    }

    #[test]
    fn names_are_cut_and_cleaned_and_odd_avatar_hashes_dropped() {
        let long = "x".repeat(100);
        let p = MemberProfile::new(1, &long, Some("a_0123abcd"));
        assert_eq!(p.display_name.chars().count(), DISPLAY_NAME_MAX_CHARS);
        assert_eq!(p.avatar.as_deref(), Some("a_0123abcd"));
        let p = MemberProfile::new(1, "bad\u{7}name\n", Some("../../etc"));
        assert_eq!(p.display_name, "badname");
        assert_eq!(p.avatar, None);
    }
}
