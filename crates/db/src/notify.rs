//! Cache invalidation across processes on PostgreSQL, through LISTEN/NOTIFY.
//!
//! Several processes may share one database (shard ranges, or the CLI importing while the bot
//! runs). Each keeps its own caches, so a change made by one must reach the others' caches at
//! once, not after their TTL. Every cache invalidation in this process is also announced on
//! the `questline_cache` channel, coalesced per guild for a few milliseconds so a busy engine
//! sends one notification per batch, not one per member. Every process listens and drops what
//! it holds for the guilds it hears about (its own announcements are ignored by origin).
//!
//! If the listening connection drops, notifications may have been missed, so everything
//! cached is dropped when it comes back. SQLite has no such channel: one file is one process's
//! in practice, and other writers (the CLI) reach the bot within the caches' TTL.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::{mpsc, oneshot};

use super::cache::Caches;

/// The channel every Questline process listens on.
pub(crate) const CHANNEL: &str = "questline_cache";

/// How long changes are gathered before one notification goes out.
const COALESCE: Duration = Duration::from_millis(5);

/// PostgreSQL's payload limit is 8,000 bytes; guild lists are split below it.
const MAX_PAYLOAD: usize = 7_000;

/// What changed, from the point of view of the caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Something of this guild (members, progress, quests or settings).
    Guild(String),
    /// Anything (imports, migrations, repairs that span guilds).
    All,
}

/// Starts the announcer and the listener for `caches` on a PostgreSQL connection; does
/// nothing on SQLite. Both tasks end once the caches (that is, every `Db` clone) are dropped.
pub(crate) fn start(conn: &DatabaseConnection, caches: &Arc<Caches>) {
    if conn.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no async runtime: cache changes will not be shared between processes");
        return;
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let (closed_tx, closed_rx) = oneshot::channel();
    let task = runtime.spawn(announce(conn.clone(), rx, caches.origin()));
    caches.set_announcer(tx, task, closed_tx);
    // Its own one-connection pool: the listener holds its connection for good, which must not
    // take one of the pool's (a pool of 1 would then starve).
    let options = (*conn.get_postgres_connection_pool().connect_options()).clone();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options);
    runtime.spawn(listen(pool, Arc::downgrade(caches), closed_rx));
}

/// Sends this process's changes, coalesced, until the caches are gone or the pool closes
/// (`Caches::stop_announcing`); what was queued by then is still sent.
async fn announce(conn: DatabaseConnection, mut rx: mpsc::UnboundedReceiver<Change>, origin: u64) {
    while let Some(first) = rx.recv().await {
        tokio::time::sleep(COALESCE).await;
        let mut guilds = BTreeSet::new();
        let mut all = false;
        for change in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match change {
                Change::Guild(g) => {
                    guilds.insert(g);
                }
                Change::All => all = true,
            }
        }
        for payload in payloads(origin, all, &guilds) {
            let sent = conn
                .execute(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    vec![CHANNEL.into(), payload.into()],
                ))
                .await;
            if let Err(err) = sent {
                tracing::warn!(%err, "could not announce a cache change to other processes; they catch up within the caches' TTL");
            }
        }
    }
}

/// Announces that `guilds` changed from inside the transaction that changes them: PostgreSQL
/// delivers the notification when (and only if) the transaction commits, so listeners never
/// hear of a change before they can read it, and a batch pays one statement on a connection
/// it already holds rather than the announcer's own round trips after the commit.
pub(crate) async fn announce_in<C: ConnectionTrait>(
    txn: &C,
    origin: u64,
    guilds: &BTreeSet<String>,
) -> Result<(), sea_orm::DbErr> {
    for payload in payloads(origin, false, guilds) {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            vec![CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// `"ORIGIN *"` or `"ORIGIN g1,g2,..."`, split to stay under the payload limit.
fn payloads(origin: u64, all: bool, guilds: &BTreeSet<String>) -> Vec<String> {
    if all {
        return vec![format!("{origin} *")];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for g in guilds {
        if !current.is_empty() && current.len() + g.len() + 1 > MAX_PAYLOAD {
            out.push(format!("{origin} {current}"));
            current.clear();
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(g);
    }
    if !current.is_empty() {
        out.push(format!("{origin} {current}"));
    }
    out
}

/// Parses a payload into its origin and change list; `None` for anything malformed.
fn parse(payload: &str) -> Option<(u64, Vec<Change>)> {
    let (origin, rest) = payload.split_once(' ')?;
    let origin = origin.parse().ok()?;
    if rest == "*" {
        return Some((origin, vec![Change::All]));
    }
    Some((
        origin,
        rest.split(',')
            .filter(|g| !g.is_empty())
            .map(|g| Change::Guild(g.to_string()))
            .collect(),
    ))
}

/// Receives other processes' changes and applies them to `caches` until they are gone
/// (`closed` resolves when the caches are dropped).
async fn listen(pool: sqlx::PgPool, caches: Weak<Caches>, mut closed: oneshot::Receiver<()>) {
    let mut listener = loop {
        let attempt = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        tokio::select! {
            r = attempt => match r {
                Ok(l) => break l,
                Err(err) => tracing::warn!(%err, "could not LISTEN for cache changes; retrying"),
            },
            _ = &mut closed => return,
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = &mut closed => return,
        }
    };
    loop {
        // Cancelling `try_recv` is only done on the way out, where a lost message is moot.
        let received = tokio::select! {
            r = listener.try_recv() => r,
            _ = &mut closed => return,
        };
        let Some(caches) = caches.upgrade() else {
            return;
        };
        match received {
            Ok(Some(note)) => {
                let Some((origin, changes)) = parse(note.payload()) else {
                    tracing::warn!(
                        payload = note.payload(),
                        "ignoring a malformed cache notification"
                    );
                    continue;
                };
                if origin == caches.origin() {
                    continue;
                }
                for change in changes {
                    caches.forget(&change);
                }
            }
            // The connection dropped and was re-established: anything sent in between is lost.
            Ok(None) => {
                tracing::warn!("cache-change listener reconnected; dropping every cached entry");
                caches.forget(&Change::All);
            }
            Err(err) => {
                tracing::warn!(%err, "cache-change listener failed; retrying");
                caches.forget(&Change::All);
                drop(caches);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = &mut closed => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_split_under_the_limit() {
        let guilds: BTreeSet<String> = (0..2_000u64)
            .map(|i| (1_000_000_000_000_000_000 + i).to_string())
            .collect();
        let sent = payloads(7, false, &guilds);
        assert!(sent.len() > 1);
        let mut back = BTreeSet::new();
        for p in &sent {
            assert!(p.len() <= 8_000, "payload of {} bytes", p.len());
            let (origin, changes) = parse(p).expect("parses");
            assert_eq!(origin, 7);
            for c in changes {
                match c {
                    Change::Guild(g) => back.insert(g),
                    Change::All => panic!("no all"),
                };
            }
        }
        assert_eq!(back, guilds);
        assert_eq!(
            parse(&payloads(9, true, &guilds)[0]),
            Some((9, vec![Change::All]))
        );
        assert_eq!(parse("garbage"), None);
    }
}
