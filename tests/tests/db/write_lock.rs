//! Writers wait for each other instead of failing. The bot (one pool) writes continuously
//! while an operator's imports (another pool, as `questline import` beside a running bot)
//! read a guild's members and write them back. On SQLite a transaction that read first and
//! writes after another connection committed used to fail at once with SQLITE_BUSY_SNAPSHOT,
//! which no busy timeout waits out; write transactions now take the write lock first.
//! Retries are off, so a write that loses a race shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use questline::db::{ImportData, ImportMode, ImportedMember};
use questline_tests::both_backends;

use crate::support::{G, SqrtCurve};

both_backends! {
    async fn an_import_beside_a_busy_bot_waits_for_the_write_lock(t) {
        let bot = t.open_with(|c| c.retry_attempts = 1).await;
        let operator = t.open_with(|c| c.retry_attempts = 1).await;
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut writes = 0u32;
                while !stop.load(Ordering::Relaxed) && writes < 5_000 {
                    bot.award_xp(G, 1_000 + u64::from(writes % 50), 5, &SqrtCurve).await?;
                    writes += 1;
                }
                Ok::<u32, questline::db::DbError>(writes)
            })
        };
        let members: Vec<ImportedMember> = (0..200)
            .map(|i| ImportedMember {
                user_id: 5_000 + i,
                xp: 100 + i as i64,
                counters: None,
                last_message_time: None,
                hidden: None,
            })
            .collect();
        for round in 0..15 {
            let data = ImportData { members: &members, roles: &[], server_config: None };
            operator
                .import_guild(G, data, ImportMode::Add, &SqrtCurve, &|_| {})
                .await
                .unwrap_or_else(|e| panic!("import {round} beside the bot failed: {e}"));
        }
        stop.store(true, Ordering::Relaxed);
        let writes = writer.await.expect("task").expect("the bot's writes waited too");
        assert!(writes > 0);
        let row = operator.get_user_level(G, 5_000).await.expect("read").expect("imported");
        assert_eq!(row.xp, 15 * 100);
    }
}
