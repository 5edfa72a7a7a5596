//! Typed database errors. Each variant says what went wrong in plain words and what to do;
//! none of them ever contains the password of the database URL.

use sea_orm::{DbErr, RuntimeErr, sqlx};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached (refused, lost, pool exhausted). Transient.
    #[error(
        "database unavailable ({reason}); check DATABASE_URL / the [database] url and that the database server is running and reachable"
    )]
    Unavailable { reason: String },

    /// The disk (or volume) holding the database is full: SQLite's SQLITE_FULL, PostgreSQL's
    /// `disk_full`. Not retried here (quick retries cannot free space); the engine pauses
    /// intake and tries again until space returns.
    #[error(
        "the database's storage is full ({reason}); free disk space where the database lives (or grow the PostgreSQL volume): Questline keeps what it holds and resumes by itself"
    )]
    StorageFull { reason: String },

    /// A write lost a race (serialization failure, deadlock, SQLite busy). Transient.
    #[error("database busy ({reason}); the operation can be retried")]
    Busy { reason: String },

    /// A constraint rejected the write; nothing was changed.
    #[error("rejected by the database: {rule} ({detail})")]
    Constraint { rule: String, detail: String },

    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound { what: String },

    /// Input rejected before reaching the database.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    /// The database was migrated by a newer Questline.
    #[error(
        "the database schema is newer than this Questline binary: it has migrations {unknown:?} that this version does not know; upgrade Questline (or restore a backup taken before the upgrade)"
    )]
    SchemaTooNew { unknown: Vec<String> },

    /// Plugin key-value store: key over the size limit.
    #[error("plugin storage key is {len} bytes; the limit is {max} bytes")]
    KvKeyTooLong { len: usize, max: usize },

    /// Plugin key-value store: value over the size limit.
    #[error("plugin storage value is {len} bytes; the limit is {max} bytes")]
    KvValueTooLarge { len: usize, max: usize },

    /// Plugin key-value store: too many keys for this plugin in this guild.
    #[error(
        "plugin `{plugin}` already stores {max} keys in this guild (the limit); delete keys before adding new ones"
    )]
    KvQuotaExceeded { plugin: String, max: u64 },

    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),

    /// Anything else the database reported.
    #[error("database error: {0}")]
    Other(String),
}

impl DbError {
    /// Whether retrying may succeed (the failure was about the moment, not the data).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Busy { .. })
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }
}

/// PostgreSQL SQLSTATEs and SQLite (extended) result codes that mean "try again".
const TRANSIENT_CODES: &[&str] = &[
    "40001", // serialization_failure
    "40P01", // deadlock_detected
    "57P01", // admin_shutdown
    "57P03", // cannot_connect_now
    "53300", // too_many_connections
    "08000", "08003", "08006", "08001", "08004", // connection exceptions
    "5",     // SQLITE_BUSY
    "6",     // SQLITE_LOCKED
    "261",   // SQLITE_BUSY_RECOVERY
    "517",   // SQLITE_BUSY_SNAPSHOT
    "773",   // SQLITE_BUSY_TIMEOUT
    "262",   // SQLITE_LOCKED_SHAREDCACHE
];

/// PostgreSQL SQLSTATEs and SQLite result codes that mean "no space left".
const STORAGE_FULL_CODES: &[&str] = &[
    "53100", // disk_full
    "13",    // SQLITE_FULL
];

impl From<DbErr> for DbError {
    fn from(err: DbErr) -> Self {
        match err {
            DbErr::ConnectionAcquire(e) => Self::Unavailable {
                reason: e.to_string(),
            },
            DbErr::Conn(e) => Self::Unavailable {
                reason: runtime_message(&e),
            },
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                from_sqlx(e)
            }
            DbErr::RecordNotFound(what) => Self::NotFound { what },
            DbErr::Migration(m) => Self::Migration(m),
            other => Self::Other(other.to_string()),
        }
    }
}

fn runtime_message(e: &RuntimeErr) -> String {
    match e {
        RuntimeErr::SqlxError(e) => e.to_string(),
        RuntimeErr::Internal(s) => s.clone(),
    }
}

fn from_sqlx(err: sqlx::Error) -> DbError {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            let message = db.message().to_string();
            let constraint = db.constraint().unwrap_or_default().to_string();
            let kind = db.kind();
            if !matches!(kind, sqlx::error::ErrorKind::Other) {
                let detail = if constraint.is_empty() {
                    message.clone()
                } else {
                    format!("{constraint}: {message}")
                };
                return DbError::Constraint {
                    rule: plain_rule(&format!("{constraint} {message}"), &kind).to_string(),
                    detail,
                };
            }
            if STORAGE_FULL_CODES.contains(&code.as_str()) {
                return DbError::StorageFull {
                    reason: format!("{message} [{code}]"),
                };
            }
            if TRANSIENT_CODES.contains(&code.as_str()) {
                DbError::Busy {
                    reason: format!("{message} [{code}]"),
                }
            } else {
                DbError::Other(format!("{message} [{code}]"))
            }
        }
        sqlx::Error::Io(e) if e.raw_os_error() == Some(28) => DbError::StorageFull {
            reason: e.to_string(),
        },
        sqlx::Error::Io(e) => DbError::Unavailable {
            reason: e.to_string(),
        },
        sqlx::Error::PoolTimedOut => DbError::Unavailable {
            reason: "timed out waiting for a pooled connection".into(),
        },
        sqlx::Error::PoolClosed => DbError::Unavailable {
            reason: "the connection pool is closed".into(),
        },
        sqlx::Error::WorkerCrashed => DbError::Unavailable {
            reason: "the database worker crashed".into(),
        },
        sqlx::Error::RowNotFound => DbError::not_found("row"),
        other => DbError::Other(other.to_string()),
    }
}

/// Turns a constraint name or message (PostgreSQL names ours explicitly; SQLite reports the
/// columns or the CHECK expression) into the rule a user broke.
fn plain_rule(text: &str, kind: &sqlx::error::ErrorKind) -> &'static str {
    const RULES: &[(&str, &str)] = &[
        (
            "user_achievements",
            "a member can earn each achievement only once",
        ),
        (
            "ux_user_quests",
            "a member has one progress row per quest instance",
        ),
        (
            "user_quests.guild_id",
            "a member has one progress row per quest instance",
        ),
        ("levels", "a member has one levels row per guild"),
        ("ux_roles", "a role can be a level role only once per guild"),
        (
            "roles.guild_id",
            "a role can be a level role only once per guild",
        ),
        (
            "quest_type",
            "quest_type must be one of daily, weekly, special, event, challenge",
        ),
        (
            "refresh_cycle",
            "refresh_cycle must be one of daily, weekly, monthly, once",
        ),
        ("difficulty", "difficulty must be one of easy, medium, hard"),
        (
            "requirement_type",
            "requirement_type must be total_messages, total_reactions, voice_time_seconds, commands_used or plugin:<name>",
        ),
        ("quest_reset_hour", "quest_reset_hour must be 0..=23 (UTC)"),
        (
            "quest_reset_day",
            "quest_reset_day must be 0..=6 (0 = Monday)",
        ),
        ("length(key)", "plugin storage keys are at most 128 bytes"),
        ("length(value)", "plugin storage values are at most 64 KiB"),
    ];
    if matches!(kind, sqlx::error::ErrorKind::ForeignKeyViolation) {
        return "the referenced quest or achievement does not exist";
    }
    if matches!(kind, sqlx::error::ErrorKind::NotNullViolation) {
        return "a required value is missing";
    }
    if matches!(kind, sqlx::error::ErrorKind::CheckViolation) {
        for (needle, rule) in RULES.iter().skip(6) {
            if text.contains(needle) {
                return rule;
            }
        }
        return "XP, levels, counters, rewards and rates cannot be negative";
    }
    for (needle, rule) in RULES {
        if text.contains(needle) {
            return rule;
        }
    }
    "the value already exists"
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}:***{}",
        &url[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    )
}

/// Removes the URL's password from a message produced by a driver.
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let redacted = redact_url(url);
    let mut out = message.replace(url, &redacted);
    if let Some(password) = password_of(url).filter(|p| !p.is_empty()) {
        out = out.replace(password, "***");
    }
    out
}

fn password_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    Some(&userinfo[userinfo.find(':')? + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(
            redact_url("postgres://bot:s3cret@db:5432/questline"),
            "postgres://bot:***@db:5432/questline"
        );
        assert_eq!(
            redact_url("postgres://bot@db/questline"),
            "postgres://bot@db/questline"
        );
        assert_eq!(
            redact_url("sqlite://data/q.db?mode=rwc"),
            "sqlite://data/q.db?mode=rwc"
        );
        let msg = scrub(
            "failed: password s3cret wrong for postgres://bot:s3cret@db/q",
            "postgres://bot:s3cret@db/q",
        );
        assert!(!msg.contains("s3cret"), "{msg}");
    }
}
