//! Set-based statements for a batch: one statement per table and chunk of rows instead of one
//! (or two) per member, so a batch costs a handful of round trips whatever its size. This is
//! where the batched pipeline's throughput comes from: on PostgreSQL a round trip costs far
//! more than the work each row needs.
//!
//! Every statement here runs inside the caller's transaction and works on both backends:
//! multi-row `INSERT ... ON CONFLICT` with `RETURNING`, and `UPDATE ... FROM (VALUES ...)`
//! only where `None` means "keep" (SQLite 3.33+; the bundled SQLite is newer). A `VALUES`
//! list's columns are named `column1`, `column2`, ... on both backends, which is what the
//! statements refer to; on PostgreSQL the big upserts take their rows as one `jsonb`
//! parameter instead ([`json_recordset`]), whose columns are named the same.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

use super::changes::{MemberDelta, QuestProgressUpdate};
use super::entities::{levels, user_quests};
use super::error::DbError;

/// Rows per statement. Far below both backends' bound-parameter limits (PostgreSQL 65,535;
/// SQLite 32,766) at 8 columns, and large enough that a round trip carries real work. SQLite
/// gets smaller statements: it has no round trip to save, and its cost per row grows with the
/// statement (measured with `questline bench`: 500-row statements made an 8,192-event commit
/// take 557 ms, 100-row ones 213 ms, 50-row ones 172 ms).
fn chunk_rows<C: ConnectionTrait>(c: &C) -> usize {
    match c.get_database_backend() {
        sea_orm::DbBackend::Sqlite => SQLITE_CHUNK_ROWS,
        _ => 500,
    }
}

const SQLITE_CHUNK_ROWS: usize = 50;

/// `($1, $2, $3), ($4, $5, $6), ...` for `rows` rows of `cols` parameters.
fn values_list(rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * cols + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// On PostgreSQL, the rows of a multi-row write as ONE `jsonb` parameter unpacked by
/// `jsonb_to_recordset` into `v(column1 type1, column2 type2, ...)`: the same column names as a
/// `VALUES` list's, so the rest of a statement reads the same on both backends. WHY: a
/// `VALUES` list's statement text changes with its row count, so PostgreSQL parses and plans
/// each chunk anew (planning alone 1.8–2.8 ms for 500 rows of the counters upsert, measured
/// with `EXPLAIN ANALYZE`), while this text is fixed: prepared once per connection, planned in
/// under 0.1 ms, at about the same execution time. SQLite has no such cost and keeps `VALUES`.
fn json_recordset(types: &[&str]) -> String {
    let columns: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("column{} {t}", i + 1))
        .collect();
    format!("jsonb_to_recordset($1::jsonb) AS v({})", columns.join(", "))
}

/// The parameter of [`json_recordset`]: one object per row, `{"column1": ..., ...}`, from the
/// same values the `VALUES` path binds (so a row's columns are listed once).
fn json_rows<R: AsRef<[Value]>>(rows: impl Iterator<Item = R>) -> Result<Value, DbError> {
    let rows = rows
        .map(|row| {
            let fields = row
                .as_ref()
                .iter()
                .enumerate()
                .map(|(i, v)| Ok((format!("column{}", i + 1), json_value(v)?)))
                .collect::<Result<serde_json::Map<_, _>, DbError>>()?;
            Ok(serde_json::Value::Object(fields))
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(serde_json::Value::Array(rows).into())
}

/// One bound value as JSON: the types the batch statements bind. Timestamps are cut to
/// microseconds like sqlx's binary encoding (PostgreSQL would round a finer text value).
fn json_value(v: &Value) -> Result<serde_json::Value, DbError> {
    Ok(match v {
        Value::String(s) => s.as_deref().cloned().into(),
        Value::BigInt(n) => (*n).into(),
        Value::Int(n) => (*n).into(),
        Value::Bool(b) => (*b).into(),
        Value::ChronoDateTimeUtc(t) => t
            .as_deref()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .into(),
        other => {
            return Err(DbError::Other(format!(
                "no JSON form for the batch value {other:?}"
            )));
        }
    })
}

fn is_postgres<C: ConnectionTrait>(c: &C) -> bool {
    c.get_database_backend() == sea_orm::DbBackend::Postgres
}

/// A member's key.
pub(crate) type Key = (String, String);

/// Adds each member's counters and [`folded_xp`] (creating missing rows) and returns the rows
/// as they now are, keyed by member: XP includes the folded delta, the level is still the
/// stored one. The caller computes the level with the guild's curve and writes it (and any
/// XP the fold left out) with [`write_xp`], which most members never need: one row version
/// per member and batch instead of two. Rows are locked in the order of `members`, which
/// the caller sorts, so concurrent batches cannot deadlock each other.
pub(crate) async fn upsert_counters<C: ConnectionTrait>(
    c: &C,
    members: &[MemberDelta],
) -> Result<HashMap<Key, levels::Model>, DbError> {
    let backend = c.get_database_backend();
    let mut rows = HashMap::with_capacity(members.len());
    for chunk in members.chunks(chunk_rows(c)) {
        let (source, values) = if is_postgres(c) {
            (
                format!("SELECT * FROM {}", json_recordset(&COUNTER_TYPES)),
                vec![json_rows(chunk.iter().map(counter_values))?],
            )
        } else {
            (
                format!("VALUES {}", values_list(chunk.len(), COUNTER_COLUMNS)),
                chunk.iter().flat_map(counter_values).collect(),
            )
        };
        let sql = counter_upsert(
            &source,
            "id, guild_id, user_id, xp, level, messages, voice_time_seconds, total_messages, \
             total_reactions, commands_used, last_message_time, hidden, away, carried_xp",
        );
        let returned =
            levels::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                .all(c)
                .await?;
        if returned.len() != chunk.len() {
            return Err(DbError::Other(format!(
                "counter upsert returned {} rows for {} members",
                returned.len(),
                chunk.len()
            )));
        }
        for row in returned {
            rows.insert((row.guild_id.clone(), row.user_id.clone()), row);
        }
    }
    Ok(rows)
}

/// Stores members' final XP and level: `(guild, user, xp, level)`.
pub(crate) async fn write_xp<C: ConnectionTrait>(
    c: &C,
    rows: &[(&str, &str, i64, i32)],
) -> Result<(), DbError> {
    let backend = c.get_database_backend();
    for chunk in rows.chunks(chunk_rows(c)) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        for (g, u, xp, level) in chunk {
            values.extend([(*g).into(), (*u).into(), (*xp).into(), (*level).into()]);
        }
        // An upsert, not `UPDATE ... FROM (VALUES ...)`: PostgreSQL plans that join as a
        // hash join over a sequential scan of the whole table once the table outgrows the
        // list, while an upsert finds each row through the unique index. Every row exists
        // (the counters upsert made it in this transaction).
        let sql = format!(
            "INSERT INTO levels (guild_id, user_id, xp, level) VALUES {} \
             ON CONFLICT (guild_id, user_id) DO UPDATE SET \
               xp = excluded.xp, level = excluded.level",
            values_list(chunk.len(), 4)
        );
        let updated = c
            .execute(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .rows_affected();
        if updated != chunk.len() as u64 {
            return Err(DbError::Other(format!(
                "xp update matched {updated} rows for {} members",
                chunk.len()
            )));
        }
    }
    Ok(())
}

/// The part of a member's XP delta that the counters upsert adds in the same row write: a
/// gain (saturating at `i64::MAX`); a loss is left to the caller, since clamping it at 0 in
/// SQL would hide the stored value it started from.
pub(crate) fn folded_xp(delta: i64) -> i64 {
    delta.max(0)
}

/// A member's XP before and after applying `delta` (clamped at 0, saturating), given their
/// stored XP `stored` that already includes `added` of it (the counters upsert's
/// [`folded_xp`]; 0 when nothing was added). Exact unless the upsert's sum saturated at
/// `i64::MAX`, where the true start is somewhere above `i64::MAX - added`.
pub(crate) fn xp_change(stored: i64, delta: i64, added: i64) -> (i64, i64) {
    let before = stored.saturating_sub(added).max(0);
    let after = if added == delta {
        stored
    } else {
        before.saturating_add(delta).max(0)
    };
    (before, after)
}

/// Parameters per row of [`counter_upsert`].
pub(crate) const COUNTER_COLUMNS: usize = 9;

/// A member's counter increments and [`folded_xp`], in the column order of
/// [`counter_upsert`].
pub(crate) fn counter_values(d: &MemberDelta) -> [Value; COUNTER_COLUMNS] {
    [
        d.guild_id.to_string().into(),
        d.user_id.to_string().into(),
        folded_xp(d.xp).into(),
        d.messages.into(),
        d.voice_time_seconds.into(),
        d.total_messages.into(),
        d.total_reactions.into(),
        d.commands_used.into(),
        d.last_message_time.into(),
    ]
}

/// The PostgreSQL types of [`counter_values`]' columns, for [`json_recordset`].
const COUNTER_TYPES: [&str; COUNTER_COLUMNS] = [
    "text",
    "text",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "timestamptz",
];

/// The counters upsert (a new row, or the increments added to the stored ones, XP gains
/// included, saturating like `i64::saturating_add`; stored XP is never negative, so
/// `i64::MAX - xp` cannot overflow; a member marked as having left who is active again is
/// back, a moderator's change alone does not bring them back) for the rows of `source` (`VALUES ...` or a `SELECT`),
/// returning `returning`: one statement for one member or hundreds.
pub(crate) fn counter_upsert(source: &str, returning: &str) -> String {
    format!(
        "INSERT INTO levels (guild_id, user_id, xp, messages, voice_time_seconds, \
           total_messages, total_reactions, commands_used, last_message_time) \
         {source} \
         ON CONFLICT (guild_id, user_id) DO UPDATE SET \
           xp = CASE WHEN excluded.xp > 9223372036854775807 - levels.xp \
             THEN 9223372036854775807 ELSE levels.xp + excluded.xp END, \
           messages = levels.messages + excluded.messages, \
           voice_time_seconds = levels.voice_time_seconds + excluded.voice_time_seconds, \
           total_messages = levels.total_messages + excluded.total_messages, \
           total_reactions = levels.total_reactions + excluded.total_reactions, \
           commands_used = levels.commands_used + excluded.commands_used, \
           last_message_time = COALESCE(excluded.last_message_time, levels.last_message_time), \
           away = CASE WHEN levels.away = 'left' AND excluded.messages + excluded.voice_time_seconds \
             + excluded.total_reactions + excluded.commands_used > 0 THEN '' ELSE levels.away END \
         RETURNING {returning}"
    )
}

/// Which reward table [`rewards`] reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RewardTable {
    Quests,
    Achievements,
}

/// The quests or achievements a batch refers to, as `(id, guild that named it)`:
/// `id -> (guild_id, reward_xp)`. Each must exist in the guild that named it, or the whole
/// batch fails with "not found in this guild" before anything is written.
pub(crate) async fn rewards<C: ConnectionTrait>(
    c: &C,
    table: RewardTable,
    named: &[(i64, u64)],
) -> Result<HashMap<i64, (String, i64)>, DbError> {
    // A trusted constant, never input.
    let (table, what) = match table {
        RewardTable::Quests => ("quests", "quest"),
        RewardTable::Achievements => ("achievements", "achievement"),
    };
    let mut ids: Vec<i64> = named.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        guild_id: String,
        reward_xp: i64,
    }
    let backend = c.get_database_backend();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(chunk_rows(c)) {
        let sql = format!(
            "SELECT id, guild_id, reward_xp FROM {table} WHERE id IN ({})",
            (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let values: Vec<Value> = chunk.iter().map(|id| (*id).into()).collect();
        for row in Row::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(c)
            .await?
        {
            found.insert(row.id, (row.guild_id, row.reward_xp));
        }
    }
    for (id, guild) in named {
        if found.get(id).is_none_or(|(g, _)| *g != guild.to_string()) {
            return Err(DbError::not_found(format!("{what} {id} in this guild")));
        }
    }
    Ok(found)
}

/// The columns of `user_quests`, for `RETURNING` (not `*`: after `UPDATE ... FROM`,
/// PostgreSQL's `*` also includes the `FROM` list's columns).
const PROGRESS_COLUMNS: &str = "id, guild_id, user_id, quest_id, progress, \
    quest_specific_progress, completed, completed_at, expires_at";

/// Writes progress rows: missing rows are created with the given values (0 where `None`),
/// existing ones take every value that is `Some`. `updates` must hold each
/// (guild, user, quest) once and refer only to existing quests of their guild. Returns the
/// rows as written.
pub(crate) async fn write_progress<C: ConnectionTrait>(
    c: &C,
    updates: &[QuestProgressUpdate],
) -> Result<Vec<user_quests::Model>, DbError> {
    let backend = c.get_database_backend();
    let mut written = Vec::with_capacity(updates.len());
    for chunk in updates.chunks(chunk_rows(c)) {
        let values = || -> Vec<Value> { chunk.iter().flat_map(progress_values).collect() };
        let list = values_list(chunk.len(), 6);
        let all_given = chunk
            .iter()
            .all(|u| u.progress.is_some() && u.quest_specific_progress.is_some());
        let updated = if all_given {
            // What the engine's batches send: one upsert through the unique index (an
            // `UPDATE ... FROM (VALUES ...)` join becomes a sequential scan of the table).
            let (source, params) = if is_postgres(c) {
                (
                    json_recordset(&["text", "text", "bigint", "bigint", "bigint", "timestamptz"]),
                    vec![json_rows(chunk.iter().map(progress_values))?],
                )
            } else {
                (format!("(VALUES {list}) AS v"), values())
            };
            user_quests::Model::find_by_statement(Statement::from_sql_and_values(
                backend,
                progress_insert(
                    &source,
                    &format!(
                        "DO UPDATE SET \
                           progress = excluded.progress, \
                           quest_specific_progress = excluded.quest_specific_progress, \
                           expires_at = COALESCE(excluded.expires_at, user_quests.expires_at) \
                         RETURNING {PROGRESS_COLUMNS}"
                    ),
                ),
                params,
            ))
            .all(c)
            .await?
        } else {
            // Two statements because `None` means "keep", which `excluded` cannot express:
            // first the rows that do not exist yet, then every row's given values.
            c.execute(Statement::from_sql_and_values(
                backend,
                progress_insert(&format!("(VALUES {list}) AS v"), "DO NOTHING"),
                values(),
            ))
            .await?;
            user_quests::Model::find_by_statement(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE user_quests SET \
                       progress = COALESCE(v.column4, user_quests.progress), \
                       quest_specific_progress = \
                         COALESCE(v.column5, user_quests.quest_specific_progress), \
                       expires_at = COALESCE(v.column6, user_quests.expires_at) \
                     FROM (VALUES {list}) AS v \
                     WHERE user_quests.guild_id = v.column1 AND user_quests.user_id = v.column2 \
                       AND user_quests.quest_id = v.column3 \
                     RETURNING {PROGRESS_COLUMNS}"
                ),
                values(),
            ))
            .all(c)
            .await?
        };
        if updated.len() != chunk.len() {
            return Err(DbError::Other(format!(
                "quest progress update matched {} rows for {} updates",
                updated.len(),
                chunk.len()
            )));
        }
        written.extend(updated);
    }
    Ok(written)
}

/// A progress update's values, in the column order of [`progress_insert`]'s source.
fn progress_values(u: &QuestProgressUpdate) -> [Value; 6] {
    [
        u.guild_id.to_string().into(),
        u.user_id.to_string().into(),
        u.quest_id.into(),
        u.progress.into(),
        u.quest_specific_progress.into(),
        u.expires_at.into(),
    ]
}

/// The insert of [`write_progress`]: the rows of `source` (a `VALUES` list or a
/// [`json_recordset`], named `v`) as new progress rows (0 where a value is `None`), then
/// `on_conflict` for rows that exist.
fn progress_insert(source: &str, on_conflict: &str) -> String {
    format!(
        "INSERT INTO user_quests (guild_id, user_id, quest_id, progress, \
           quest_specific_progress, completed, expires_at) \
         SELECT v.column1, v.column2, v.column3, COALESCE(v.column4, 0), \
           COALESCE(v.column5, 0), FALSE, v.column6 \
         FROM {source} WHERE TRUE \
         ON CONFLICT (guild_id, user_id, quest_id) {on_conflict}"
    )
}

/// Marks progress rows completed unless they already were, and returns the ones this call
/// completed, as they now are: only those earn the quest's reward, so a reward is paid
/// exactly once.
pub(crate) async fn complete_quests<C: ConnectionTrait>(
    c: &C,
    done: &[(u64, u64, i64, DateTime<Utc>)],
) -> Result<Vec<user_quests::Model>, DbError> {
    let backend = c.get_database_backend();
    let mut flipped = Vec::with_capacity(done.len());
    for chunk in done.chunks(chunk_rows(c)) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        for (g, u, q, at) in chunk {
            values.extend([
                g.to_string().into(),
                u.to_string().into(),
                (*q).into(),
                (*at).into(),
            ]);
        }
        // An upsert whose update only fires on rows not completed yet (and returns only
        // those), not `UPDATE ... FROM (VALUES ...)`: that join becomes a sequential scan of
        // the whole table on PostgreSQL (see `write_xp`). The rows exist (the caller wrote
        // them in this transaction), so the insert half never inserts.
        let sql = format!(
            "INSERT INTO user_quests (guild_id, user_id, quest_id, completed, completed_at) \
             SELECT v.column1, v.column2, v.column3, TRUE, v.column4 \
             FROM (VALUES {}) AS v WHERE TRUE \
             ON CONFLICT (guild_id, user_id, quest_id) DO UPDATE SET \
               completed = TRUE, completed_at = excluded.completed_at \
             WHERE user_quests.completed = FALSE \
             RETURNING {PROGRESS_COLUMNS}",
            values_list(chunk.len(), 4)
        );
        flipped.extend(
            user_quests::Model::find_by_statement(Statement::from_sql_and_values(
                backend, sql, values,
            ))
            .all(c)
            .await?,
        );
    }
    Ok(flipped)
}

/// Records achievements `(guild, user, achievement, earned_at)` not yet held and returns the
/// ones this call recorded: only those earn the reward. Duplicates are recorded once.
pub(crate) async fn insert_grants<C: ConnectionTrait>(
    c: &C,
    grants: &[(u64, u64, i64, DateTime<Utc>)],
) -> Result<HashSet<(String, String, i64)>, DbError> {
    #[derive(FromQueryResult)]
    struct Row {
        guild_id: String,
        user_id: String,
        achievement_id: i64,
    }
    let backend = c.get_database_backend();
    let mut inserted = HashSet::with_capacity(grants.len());
    for chunk in grants.chunks(chunk_rows(c)) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        for (g, u, a, at) in chunk {
            values.extend([
                g.to_string().into(),
                u.to_string().into(),
                (*a).into(),
                (*at).into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO user_achievements (guild_id, user_id, achievement_id, earned_at) \
             SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES {}) AS v WHERE TRUE \
             ON CONFLICT (guild_id, user_id, achievement_id) DO NOTHING \
             RETURNING guild_id, user_id, achievement_id",
            values_list(chunk.len(), 4)
        );
        for row in Row::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(c)
            .await?
        {
            inserted.insert((row.guild_id, row.user_id, row.achievement_id));
        }
    }
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::values_list;

    #[test]
    fn values_list_numbers_parameters_row_by_row() {
        assert_eq!(values_list(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_list(1, 1), "($1)");
    }
}

/// A member's XP gain for the period boards (`period_xp`), made at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeriodGain {
    pub guild_id: u64,
    pub user_id: u64,
    /// > 0.
    pub xp: i64,
    pub at: DateTime<Utc>,
}

/// Parameters per row of [`add_period_xp`]: guild, user, gain, week key, month key.
const PERIOD_COLUMNS: usize = 5;

/// Adds each gain to the member's week, month and (when the guild runs one) season
/// totals: one statement per chunk whatever the number of periods, the running season
/// found by the statement itself (so a season's gains stop in the transaction that ends it).
/// Rows are written in (guild, user) order, as the counters upsert locks `levels`.
pub(crate) async fn add_period_xp<C: ConnectionTrait>(
    c: &C,
    gains: &[PeriodGain],
) -> Result<(), DbError> {
    let mut gains: Vec<&PeriodGain> = gains.iter().filter(|g| g.xp > 0).collect();
    gains.sort_by_cached_key(|g| (g.guild_id.to_string(), g.user_id.to_string()));
    let backend = c.get_database_backend();
    let row = |g: &PeriodGain| -> [Value; PERIOD_COLUMNS] {
        [
            g.guild_id.to_string().into(),
            g.user_id.to_string().into(),
            g.xp.into(),
            crate::seasons::week_key(g.at).into(),
            crate::seasons::month_key(g.at).into(),
        ]
    };
    for chunk in gains.chunks(chunk_rows(c)) {
        let (source, values) = if is_postgres(c) {
            (
                format!(
                    "v AS (SELECT * FROM {})",
                    json_recordset(&["text", "text", "bigint", "text", "text"])
                ),
                vec![json_rows(chunk.iter().map(|g| row(g)))?],
            )
        } else {
            (
                format!(
                    "v(column1, column2, column3, column4, column5) AS (VALUES {})",
                    values_list(chunk.len(), PERIOD_COLUMNS)
                ),
                chunk.iter().flat_map(|g| row(g)).collect(),
            )
        };
        // `WHERE true`: SQLite's parser needs it between a join's `ON` and the upsert's.
        let sql = format!(
            "WITH {source} \
             INSERT INTO period_xp (guild_id, period, user_id, xp) \
             SELECT column1, column4, column2, column3 FROM v \
             UNION ALL SELECT column1, column5, column2, column3 FROM v \
             UNION ALL SELECT v.column1, 'season:' || CAST(s.id AS TEXT), v.column2, v.column3 \
               FROM v JOIN seasons s ON s.guild_id = v.column1 AND s.ended_at IS NULL WHERE true \
             ON CONFLICT (guild_id, period, user_id) DO UPDATE SET \
               xp = CASE WHEN excluded.xp > 9223372036854775807 - period_xp.xp \
                 THEN 9223372036854775807 ELSE period_xp.xp + excluded.xp END"
        );
        c.execute(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// Counts one member's XP change in their current periods: a gain is added, a loss taken
/// off (see [`add_period_xp`] and [`take_period_xp`]).
pub(crate) async fn period_change<C: ConnectionTrait>(
    c: &C,
    guild_id: u64,
    user_id: u64,
    change: i64,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    if change > 0 {
        let gain = PeriodGain {
            guild_id,
            user_id,
            xp: change,
            at,
        };
        add_period_xp(c, &[gain]).await
    } else {
        take_period_xp(c, guild_id, user_id, change.saturating_neg(), at).await
    }
}

/// Takes `xp` (> 0) off a member's current week, month and season totals (never below 0):
/// a moderator's removal counts against the periods it happens in.
pub(crate) async fn take_period_xp<C: ConnectionTrait>(
    c: &C,
    guild_id: u64,
    user_id: u64,
    xp: i64,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    if xp <= 0 {
        return Ok(());
    }
    c.execute(Statement::from_sql_and_values(
        c.get_database_backend(),
        "UPDATE period_xp SET xp = CASE WHEN xp > $3 THEN xp - $3 ELSE 0 END \
         WHERE guild_id = $1 AND user_id = $2 AND (period IN ($4, $5) OR period IN \
           (SELECT 'season:' || CAST(id AS TEXT) FROM seasons WHERE guild_id = $1 AND ended_at IS NULL))",
        vec![
            guild_id.to_string().into(),
            user_id.to_string().into(),
            xp.into(),
            crate::seasons::week_key(at).into(),
            crate::seasons::month_key(at).into(),
        ],
    ))
    .await?;
    Ok(())
}
