//! Discord login for the web pages: logins in progress (`web_logins`) and logged-in
//! visitors (`web_sessions`). Keys are hashes chosen by the web layer (the OAuth `state` and
//! the session cookie are never stored as they are); times are ms since the Unix epoch.

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::Db;
use super::error::DbError;

/// A server a logged-in visitor is in, as Discord said at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionGuild {
    #[serde(with = "id_string")]
    pub id: u64,
    /// Manage Server or Administrator there (or they own it).
    pub manager: bool,
}

mod id_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A logged-in visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub user_id: u64,
    pub user_name: String,
    pub avatar: Option<String>,
    pub guilds: Vec<SessionGuild>,
    /// The token every form of this session must carry.
    pub csrf: String,
    pub expires_at_ms: i64,
}

impl WebSession {
    /// The visitor's standing in `guild`: `(member, manager)`.
    pub fn standing(&self, guild: u64) -> (bool, bool) {
        match self.guilds.iter().find(|g| g.id == guild) {
            Some(g) => (true, g.manager),
            None => (false, false),
        }
    }
}

/// A login in progress, taken back when Discord sends the visitor back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    pub verifier: String,
    /// Where the visitor goes after logging in (a local path, checked by the web layer).
    pub next_path: String,
}

#[derive(FromQueryResult)]
struct SessionRow {
    user_id: String,
    user_name: String,
    avatar: Option<String>,
    guilds: String,
    csrf: String,
    expires_at: i64,
}

impl Db {
    /// Stores a login in progress under the hash of its `state`.
    pub async fn start_web_login(
        &self,
        state_hash: &str,
        login: &PendingLogin,
        expires_at_ms: i64,
    ) -> Result<(), DbError> {
        self.retry("start_web_login", || async {
            self.conn()
                .execute(self.stmt(
                    "INSERT INTO web_logins (state_hash, verifier, next_path, expires_at) VALUES ($1, $2, $3, $4)",
                    vec![
                        state_hash.into(),
                        login.verifier.as_str().into(),
                        login.next_path.as_str().into(),
                        expires_at_ms.into(),
                    ],
                ))
                .await?;
            Ok::<_, DbError>(())
        })
        .await
    }

    /// Takes (deletes and returns) the login stored under `state_hash` if it has not expired:
    /// a `state` is good for one return from Discord.
    pub async fn take_web_login(
        &self,
        state_hash: &str,
        now_ms: i64,
    ) -> Result<Option<PendingLogin>, DbError> {
        #[derive(FromQueryResult)]
        struct Row {
            verifier: String,
            next_path: String,
            expires_at: i64,
        }
        self.retry("take_web_login", || async {
            let txn = self.begin_write().await?;
            let row = Row::find_by_statement(self.stmt(
                "SELECT verifier, next_path, expires_at FROM web_logins WHERE state_hash = $1",
                vec![state_hash.into()],
            ))
            .one(&txn)
            .await?;
            txn.execute(self.stmt(
                "DELETE FROM web_logins WHERE state_hash = $1 OR expires_at < $2",
                vec![state_hash.into(), now_ms.into()],
            ))
            .await?;
            txn.commit().await?;
            Ok::<_, DbError>(
                row.filter(|r| r.expires_at >= now_ms)
                    .map(|r| PendingLogin {
                        verifier: r.verifier,
                        next_path: r.next_path,
                    }),
            )
        })
        .await
    }

    /// Stores a session under the hash of its cookie.
    pub async fn create_web_session(
        &self,
        id_hash: &str,
        session: &WebSession,
        now_ms: i64,
    ) -> Result<(), DbError> {
        let guilds = serde_json::to_string(&session.guilds)
            .map_err(|e| DbError::Other(format!("session guilds: {e}")))?;
        self.retry("create_web_session", || async {
            self.conn()
                .execute(self.stmt(
                    "INSERT INTO web_sessions (id_hash, user_id, user_name, avatar, guilds, csrf, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    vec![
                        id_hash.into(),
                        session.user_id.to_string().into(),
                        session.user_name.as_str().into(),
                        session.avatar.clone().into(),
                        guilds.as_str().into(),
                        session.csrf.as_str().into(),
                        now_ms.into(),
                        session.expires_at_ms.into(),
                    ],
                ))
                .await?;
            Ok::<_, DbError>(())
        })
        .await
    }

    /// The session stored under `id_hash`, unless it expired.
    pub async fn web_session(
        &self,
        id_hash: &str,
        now_ms: i64,
    ) -> Result<Option<WebSession>, DbError> {
        let row = self
            .retry("web_session", || async {
                Ok::<_, DbError>(
                    SessionRow::find_by_statement(self.stmt(
                        "SELECT user_id, user_name, avatar, guilds, csrf, expires_at FROM web_sessions \
                         WHERE id_hash = $1 AND expires_at >= $2",
                        vec![id_hash.into(), now_ms.into()],
                    ))
                    .one(self.conn())
                    .await?,
                )
            })
            .await?;
        let Some(r) = row else { return Ok(None) };
        let Ok(user_id) = r.user_id.parse() else {
            return Ok(None);
        };
        Ok(Some(WebSession {
            user_id,
            user_name: r.user_name,
            avatar: r.avatar,
            guilds: serde_json::from_str(&r.guilds).unwrap_or_default(),
            csrf: r.csrf,
            expires_at_ms: r.expires_at,
        }))
    }

    /// Ends a session (logout). Returns whether there was one.
    pub async fn end_web_session(&self, id_hash: &str) -> Result<bool, DbError> {
        self.retry("end_web_session", || async {
            let r = self
                .conn()
                .execute(self.stmt(
                    "DELETE FROM web_sessions WHERE id_hash = $1",
                    vec![id_hash.into()],
                ))
                .await?;
            Ok::<_, DbError>(r.rows_affected() > 0)
        })
        .await
    }

    /// Deletes expired sessions and logins; returns how many rows went.
    pub async fn purge_web_sessions(&self, now_ms: i64) -> Result<u64, DbError> {
        self.retry("purge_web_sessions", || async {
            let a = self
                .conn()
                .execute(self.stmt(
                    "DELETE FROM web_sessions WHERE expires_at < $1",
                    vec![now_ms.into()],
                ))
                .await?;
            let b = self
                .conn()
                .execute(self.stmt(
                    "DELETE FROM web_logins WHERE expires_at < $1",
                    vec![now_ms.into()],
                ))
                .await?;
            Ok::<_, DbError>(a.rows_affected() + b.rows_affected())
        })
        .await
    }
}
