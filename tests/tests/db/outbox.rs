//! The outbox on both backends: entries come back due and in order, a guild's role changes
//! never overtake one another (one put off holds back the later ones), a shard process sees
//! only its guilds, stale notices expire, too many are trimmed oldest first, and role
//! changes are never trimmed.

use chrono::{Duration, Utc};
use questline::db::{NewOutboxEntry, OutboxKind, ShardFilter};
use questline_tests::both_backends;

/// Two guilds on different shards of 2: `(g >> 22) % 2` is 0 and 1.
const SHARD0: u64 = 4 << 22;
const SHARD1: u64 = 5 << 22;

fn entry(guild: u64, user: u64, kind: OutboxKind, payload: &str) -> NewOutboxEntry {
    NewOutboxEntry {
        guild_id: guild,
        user_id: user,
        kind,
        payload: payload.to_string(),
        expires_at: (kind == OutboxKind::Notice).then(|| Utc::now() + Duration::minutes(10)),
    }
}

both_backends! {
    async fn outbox_entries_come_back_in_order_per_shard_and_a_held_role_holds_its_guild(t) {
        let db = t.open().await;
        db.enqueue_effects(&[
            entry(SHARD0, 1, OutboxKind::RoleAdd, "add"),
            entry(SHARD0, 1, OutboxKind::RoleRemove, "remove"),
            entry(SHARD1, 2, OutboxKind::Notice, "notice"),
        ])
        .await
        .unwrap();
        let now = Utc::now() + Duration::seconds(1);
        let due = db.due_effects(now, None, 10).await.unwrap();
        let payloads: Vec<&str> = due.iter().map(|e| e.payload.as_str()).collect();
        assert_eq!(payloads, ["add", "remove", "notice"]);
        assert_eq!((due[0].guild_id, due[0].user_id, due[0].kind), (SHARD0, 1, OutboxKind::RoleAdd));

        // A shard process sees its own guilds only.
        let shard0 = ShardFilter { first: 0, last: 0, total: 2 };
        let mine = db.due_effects(now, Some(shard0), 10).await.unwrap();
        assert!(mine.iter().all(|e| e.guild_id == SHARD0), "{mine:?}");
        assert_eq!(mine.len(), 2);
        let shard1 = ShardFilter { first: 1, last: 1, total: 2 };
        assert_eq!(db.due_effects(now, Some(shard1), 10).await.unwrap().len(), 1);

        // The add is put off: the remove after it waits too, the other guild's notice does not.
        db.postpone_effects(&[due[0].id], now + Duration::seconds(30), "HTTP 429").await.unwrap();
        let due2 = db.due_effects(now, None, 10).await.unwrap();
        let payloads: Vec<&str> = due2.iter().map(|e| e.payload.as_str()).collect();
        assert_eq!(payloads, ["notice"]);
        assert_eq!(
            db.next_effect_due(now, None).await.unwrap().map(|t| t.timestamp_millis()),
            Some((now + Duration::seconds(30)).timestamp_millis())
        );
        let later = db.due_effects(now + Duration::seconds(31), None, 10).await.unwrap();
        assert_eq!(later.len(), 3);
        assert_eq!(later[0].attempts, 1, "the failed attempt is counted");

        db.finish_effects(&[later[0].id, later[1].id]).await.unwrap();
        assert_eq!(db.pending_effects().await.unwrap(), 1);
    }
}

both_backends! {
    async fn stale_and_surplus_notices_go_and_role_changes_stay(t) {
        let db = t.open().await;
        let mut stale = entry(SHARD0, 1, OutboxKind::Notice, "stale");
        stale.expires_at = Some(Utc::now() - Duration::seconds(1));
        db.enqueue_effects(&[stale, entry(SHARD0, 1, OutboxKind::RoleAdd, "role")]).await.unwrap();
        assert_eq!(db.expire_notices(Utc::now(), None).await.unwrap(), 1);
        let notices: Vec<_> = (0..5)
            .map(|i| entry(SHARD1, 10 + i, OutboxKind::Notice, &format!("n{i}")))
            .collect();
        db.enqueue_effects(&notices).await.unwrap();
        assert_eq!(db.trim_notices(2, None).await.unwrap(), 3);
        let left: Vec<String> = db
            .due_effects(Utc::now() + Duration::seconds(1), None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.payload)
            .collect();
        assert_eq!(left, ["role", "n3", "n4"], "the newest notices and every role change stay");
        // Nothing to trim: nothing goes.
        assert_eq!(db.trim_notices(2, None).await.unwrap(), 0);
    }
}
