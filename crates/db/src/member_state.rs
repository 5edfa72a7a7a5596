//! Members' state for a batch (levels rows, quest progress, held achievements), read through
//! the caches for many members of many guilds at once: one statement per table and chunk of
//! members, whatever the number of guilds.
//!
//! WHY batch-wide: the engine prepares a batch guild by guild, and each guild used to read its
//! own cache misses (three statements per guild and batch, however few members). On a fresh
//! or busy database most guilds of every batch have a few members not cached yet, so a batch
//! over 50 guilds cost some 150 small reads, about 100 ms whatever its size: the cost that
//! made small batches (low load) expensive per event. [`Db::prefetch_members`] reads all of
//! them before the guilds are prepared; the per-guild reads then hit the cache.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement, Value,
};

use super::Db;
use super::cache::{MemberKey, progress_by_member};
use super::entities::{levels, quests, user_achievements, user_quests};
use super::error::DbError;
use super::quests::UserQuest;

/// Members per statement: far below both backends' parameter limits, and enough that a round
/// trip carries real work.
const CHUNK_MEMBERS: usize = 500;

/// Guild → its members to read (user ids sorted and deduplicated).
pub(crate) type Wanted = Vec<(String, Vec<String>)>;

/// `wanted` cut into chunks of at most [`CHUNK_MEMBERS`] members, each a list of
/// `(guild, users)` (a guild with more members than a chunk spans several).
fn chunks(wanted: &Wanted) -> Vec<Vec<(&str, &[String])>> {
    let mut out = Vec::new();
    let mut current: Vec<(&str, &[String])> = Vec::new();
    let mut size = 0;
    for (guild, users) in wanted {
        for part in users.chunks(CHUNK_MEMBERS) {
            if size + part.len() > CHUNK_MEMBERS && !current.is_empty() {
                out.push(std::mem::take(&mut current));
                size = 0;
            }
            current.push((guild.as_str(), part));
            size += part.len();
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `(guild = g1 AND user IN (...)) OR (guild = g2 AND user IN (...)) ...`: each guild's
/// members exactly (not every user of every guild), found through the (guild, user) index.
/// SQLite only: PostgreSQL gets the fixed-text [`members_join`].
fn members_of<G: ColumnTrait, U: ColumnTrait>(
    guild: G,
    user: U,
    chunk: &[(&str, &[String])],
) -> Condition {
    chunk.iter().fold(Condition::any(), |any, (g, users)| {
        any.add(
            Condition::all()
                .add(guild.eq(*g))
                .add(user.is_in(users.iter().cloned())),
        )
    })
}

/// On PostgreSQL, a chunk's members as ONE `jsonb` parameter (`[{"g": guild, "u": user}, ...]`)
/// joined through `jsonb_to_recordset`. WHY: the `OR`-of-`IN`-lists condition's text changes
/// with the members, so PostgreSQL planned every read anew (1.5–1.8 ms of planning against
/// 2.2–2.8 ms of execution for 500 members on 50,000 `levels` rows, with `EXPLAIN ANALYZE`);
/// this text is fixed, so it is prepared once per connection, and the join probes the
/// (guild, user) index once per member.
fn members_json(chunk: &[(&str, &[String])]) -> Value {
    let rows: Vec<serde_json::Value> = chunk
        .iter()
        .flat_map(|(g, users)| {
            users
                .iter()
                .map(move |u| serde_json::json!({"g": g, "u": u}))
        })
        .collect();
    serde_json::Value::Array(rows).into()
}

/// `SELECT t.* FROM table t JOIN <the members> ON (guild, user)` (PostgreSQL; see
/// [`members_json`]), with `extra` appended (a further condition, or nothing).
fn members_join(table: &str, extra: &str) -> String {
    format!(
        "SELECT t.* FROM {table} t JOIN jsonb_to_recordset($1::jsonb) AS k(g text, u text) \
         ON t.guild_id = k.g AND t.user_id = k.u{extra}"
    )
}

impl Db {
    /// Reads into the caches the state of every member of `members` (guild → users) that is
    /// not cached yet: levels rows, quest progress and held achievements, one statement per
    /// table and chunk for all guilds. The engine calls it once per batch; what it loads is
    /// what the per-guild reads ([`Db::get_user_levels`], [`Db::get_users_active_quests`],
    /// [`Db::earned_achievement_ids`]) then find.
    pub async fn prefetch_members(&self, members: &[(u64, Vec<u64>)]) -> Result<(), DbError> {
        let caches = self.caches();
        // The caches are keyed by the stored text of the ids.
        let members: Vec<(String, Vec<String>)> = members
            .iter()
            .map(|(g, users)| (g.to_string(), users.iter().map(u64::to_string).collect()))
            .collect();
        let missing = |cache_has: &dyn Fn(&MemberKey) -> bool| -> Wanted {
            members
                .iter()
                .filter_map(|(g, users)| {
                    let mut miss: Vec<String> = users
                        .iter()
                        .filter(|u| !cache_has(&(g.clone(), (*u).clone())))
                        .cloned()
                        .collect();
                    miss.sort_unstable();
                    miss.dedup();
                    (!miss.is_empty()).then(|| (g.clone(), miss))
                })
                .collect()
        };
        let stats = missing(&|k| caches.user_stats.contains(k));
        let progress = missing(&|k| caches.user_quests.contains(k));
        let held = missing(&|k| caches.held_achievements.contains(k));
        // The three reads side by side, on their own connections: the batch waits for them
        // before any guild is prepared, so their latency is the batch's.
        tokio::try_join!(
            self.load_levels(&stats, caches.user_stats.generation()),
            self.load_progress(&progress, caches.user_quests.generation()),
            self.load_held(&held, caches.held_achievements.generation()),
        )?;
        Ok(())
    }

    /// Reads the levels rows of `wanted` (`None`: no row yet) and caches them unless an
    /// invalidation happened since `generation`.
    pub(crate) async fn load_levels(
        &self,
        wanted: &Wanted,
        generation: u64,
    ) -> Result<HashMap<MemberKey, Option<levels::Model>>, DbError> {
        let cache = &self.caches().user_stats;
        let mut found = HashMap::new();
        for chunk in chunks(wanted) {
            let rows = self
                .member_rows::<levels::Entity>(
                    "get_user_levels",
                    (levels::Column::GuildId, levels::Column::UserId),
                    &chunk,
                    None,
                )
                .await?;
            let mut rows: HashMap<MemberKey, levels::Model> = rows
                .into_iter()
                .map(|r| ((r.guild_id.clone(), r.user_id.clone()), r))
                .collect();
            for (g, users) in &chunk {
                for user in *users {
                    let key = (g.to_string(), user.clone());
                    let row = rows.remove(&key);
                    cache.insert_if_fresh(key.clone(), row.clone().map(Arc::new), generation);
                    found.insert(key, row);
                }
            }
        }
        Ok(found)
    }

    /// Reads the quest views (each active quest of the guild with the member's progress) of
    /// `wanted` and caches them unless an invalidation happened since `generation`.
    pub(crate) async fn load_progress(
        &self,
        wanted: &Wanted,
        generation: u64,
    ) -> Result<HashMap<MemberKey, Vec<UserQuest>>, DbError> {
        let cache = &self.caches().user_quests;
        // Each guild's active quests (cached), shared by all its members' views.
        let mut active: HashMap<&str, (Vec<i64>, Vec<Arc<quests::Model>>)> = HashMap::new();
        for (g, _) in wanted {
            let quests = self.active_quests(g).await?;
            active.insert(
                g.as_str(),
                (
                    quests.iter().map(|q| q.id).collect(),
                    quests.iter().map(|q| Arc::new(q.clone())).collect(),
                ),
            );
        }
        let mut found = HashMap::new();
        for chunk in chunks(wanted) {
            // Guilds without active quests have nothing to read: their views are empty. Each
            // quest belongs to one guild, so one list of ids serves the whole chunk.
            let with_quests: Vec<(&str, &[String])> = chunk
                .iter()
                .filter(|(g, _)| active.get(g).is_some_and(|(ids, _)| !ids.is_empty()))
                .copied()
                .collect();
            let ids: Vec<i64> = with_quests
                .iter()
                .flat_map(|(g, _)| active.get(g).map_or(&[][..], |(ids, _)| ids.as_slice()))
                .copied()
                .collect();
            let rows = if with_quests.is_empty() {
                Vec::new()
            } else {
                self.member_rows::<user_quests::Entity>(
                    "get_users_active_quests",
                    (user_quests::Column::GuildId, user_quests::Column::UserId),
                    &with_quests,
                    Some((user_quests::Column::QuestId, &ids)),
                )
                .await?
            };
            let mut by_member = progress_by_member(rows);
            for (g, users) in &chunk {
                let shared = active.get(g).map(|(_, q)| q.as_slice()).unwrap_or(&[]);
                for user in *users {
                    let key = (g.to_string(), user.clone());
                    let mine = by_member.remove(&key).unwrap_or_default();
                    let view: Vec<UserQuest> = shared
                        .iter()
                        .map(|q| UserQuest {
                            quest: q.clone(),
                            progress: mine.iter().find(|p| p.quest_id == q.id).cloned(),
                        })
                        .collect();
                    cache.insert_if_fresh(key.clone(), Arc::new(view.clone()), generation);
                    found.insert(key, view);
                }
            }
        }
        Ok(found)
    }

    /// Reads the achievement ids `wanted` hold and caches them (members holding nothing
    /// too: most members, most of the time) unless an invalidation happened since
    /// `generation`.
    pub(crate) async fn load_held(
        &self,
        wanted: &Wanted,
        generation: u64,
    ) -> Result<HashMap<MemberKey, Vec<i64>>, DbError> {
        let cache = &self.caches().held_achievements;
        let mut found = HashMap::new();
        for chunk in chunks(wanted) {
            let rows = self
                .member_rows::<user_achievements::Entity>(
                    "earned_achievement_ids",
                    (
                        user_achievements::Column::GuildId,
                        user_achievements::Column::UserId,
                    ),
                    &chunk,
                    None,
                )
                .await?;
            let mut held: HashMap<MemberKey, Vec<i64>> = HashMap::new();
            for r in rows {
                held.entry((r.guild_id, r.user_id))
                    .or_default()
                    .push(r.achievement_id);
            }
            // (A read fills entries one by one: unlike a writer's `insert_all_if_fresh`, that
            // does not bump the generation, so the next chunk is cached too.)
            for (g, users) in &chunk {
                for user in *users {
                    let key = (g.to_string(), user.clone());
                    let ids = held.remove(&key).unwrap_or_default();
                    cache.insert_if_fresh(key.clone(), Arc::new(ids.clone()), generation);
                    found.insert(key, ids);
                }
            }
        }
        Ok(found)
    }
}

impl Db {
    /// The rows of `E` (a table keyed by guild and user) of `chunk`'s members, and only
    /// those of `quests` (quest column, ids) when given: on PostgreSQL the fixed-text join of
    /// [`members_join`], elsewhere [`members_of`].
    async fn member_rows<E>(
        &self,
        op: &'static str,
        (guild, user): (E::Column, E::Column),
        chunk: &[(&str, &[String])],
        quests: Option<(E::Column, &[i64])>,
    ) -> Result<Vec<E::Model>, DbError>
    where
        E: EntityTrait,
        E::Model: FromQueryResult + Send + Sync,
    {
        if self.is_postgres() {
            let mut values = vec![members_json(chunk)];
            let mut filter = "";
            if let Some((_, ids)) = quests {
                values.push(serde_json::Value::from(ids.to_vec()).into());
                filter =
                    " WHERE t.quest_id IN (SELECT (jsonb_array_elements_text($2::jsonb))::bigint)";
            }
            let sql = members_join(E::default().table_name(), filter);
            self.retry(op, || async {
                Ok::<_, DbError>(
                    E::Model::find_by_statement(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        sql.clone(),
                        values.clone(),
                    ))
                    .all(self.conn())
                    .await?,
                )
            })
            .await
        } else {
            let mut condition = Condition::all().add(members_of(guild, user, chunk));
            if let Some((column, ids)) = quests {
                condition = condition.add(column.is_in(ids.iter().copied()));
            }
            self.retry(op, || async {
                Ok::<_, DbError>(E::find().filter(condition.clone()).all(self.conn()).await?)
            })
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK_MEMBERS, chunks};

    #[test]
    fn chunks_hold_at_most_a_chunk_of_members_and_keep_every_one() {
        let users = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        let wanted = vec![
            ("a".to_string(), users(CHUNK_MEMBERS + 10)),
            ("b".to_string(), users(3)),
            ("c".to_string(), users(CHUNK_MEMBERS - 10)),
        ];
        let cut = chunks(&wanted);
        for chunk in &cut {
            let n: usize = chunk.iter().map(|(_, u)| u.len()).sum();
            assert!(n <= CHUNK_MEMBERS, "{n}");
        }
        let total: usize = cut.iter().flatten().map(|(_, u)| u.len()).sum();
        assert_eq!(total, 2 * CHUNK_MEMBERS + 3);
        // Guild a's 510 members: one full chunk, then 10 sharing a chunk with b's 3; c's 490
        // do not fit there and get their own.
        assert_eq!(cut.len(), 3);
        assert_eq!(
            cut[1].iter().map(|(g, _)| *g).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }
}
