//! Backups on both backends: a backup restored over changed data brings the data back
//! (PostgreSQL through `pg_dump`/`pg_restore`), the running bot's scheduled backups are
//! written whole and pruned to `keep`, and scheduled cache purges make outside changes
//! visible.

use std::time::{Duration, Instant};

use crate::support::*;
use questline::backup::schedule::{BackupSchedule, Housekeeping};
use questline::backup::{restore, scheduled_backups, write};
use questline_tests::both_backends;
use sea_orm::ConnectionTrait;

async fn xp(db: &questline::db::Db, user: u64) -> i64 {
    db.get_user_level(G, user)
        .await
        .expect("read")
        .map_or(0, |r| r.xp)
}

fn magic(t: &TestDb) -> &'static [u8] {
    match t.backend {
        Backend::Sqlite => b"SQLite format 3\0",
        Backend::Postgres => b"PGDMP",
    }
}

both_backends! {
    async fn a_restored_backup_brings_back_the_data_it_holds(t) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = t.open().await;
        db.award_xp(G, 1, 1_234, &SqrtCurve).await.expect("award");
        let file = dir.path().join("nested").join(questline::backup::scheduled_name(chrono::Utc::now(), &t.config));
        let size = write(&db, &t.config, &file).await.expect("backup");
        assert!(size > 0);
        assert!(std::fs::read(&file).expect("read").starts_with(magic(&t)));
        // A second backup to the same file is refused, not overwritten.
        assert!(write(&db, &t.config, &file).await.is_err());

        // Life goes on after the backup: more XP, a new member.
        db.award_xp(G, 1, 10_000, &SqrtCurve).await.expect("award");
        db.award_xp(G, 2, 50, &SqrtCurve).await.expect("award");
        db.close().await.expect("close");

        restore(&t.config, &file).await.expect("restore");
        let db = t.open().await;
        assert_eq!(xp(&db, 1).await, 1_234, "member 1 as in the backup");
        assert_eq!(db.get_user_level(G, 2).await.expect("read"), None, "member 2 came later");
        // The restored database is a working one: migrations current, writes accepted.
        db.award_xp(G, 2, 5, &SqrtCurve).await.expect("write after restore");
        assert_eq!(xp(&db, 2).await, 5);
        db.close().await.expect("close");

        // A file that is not a backup of this backend is refused with the reason; the
        // database is untouched.
        let junk = dir.path().join("junk.bin");
        std::fs::write(&junk, b"not a backup at all").expect("write");
        let err = restore(&t.config, &junk).await.expect_err("junk refused").to_string();
        assert!(err.contains("junk.bin") && err.contains("not a"), "{err}");
        let db = t.open().await;
        assert_eq!(xp(&db, 1).await, 1_234);
    }
}

both_backends! {
    async fn scheduled_backups_are_written_whole_and_pruned_to_keep(t) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = t.open().await;
        db.award_xp(G, 1, 77, &SqrtCurve).await.expect("award");
        let housekeeping = Housekeeping::start(
            db.clone(),
            t.config.clone(),
            Some(BackupSchedule { every: Duration::from_millis(400), dir: dir.path().to_path_buf(), keep: 2 }),
            None,
        );
        let started = Instant::now();
        while housekeeping.counters.backups.load(std::sync::atomic::Ordering::Relaxed) < 4 {
            assert!(started.elapsed() < Duration::from_secs(60), "4 backups within 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let counters = housekeeping.counters.clone();
        housekeeping.stop().await;
        let c = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(c(&counters.backup_failures), 0);
        assert!(c(&counters.backups_pruned) >= 2, "older backups pruned");
        let kept = scheduled_backups(dir.path()).expect("list");
        assert_eq!(kept.len(), 2, "{kept:?}");
        for f in &kept {
            assert!(std::fs::read(f).expect("read").starts_with(magic(&t)), "{f:?} is a whole backup");
        }
        // Nothing half-written is left behind, and nothing else was created.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
    }
}

both_backends! {
    async fn scheduled_cache_purges_make_outside_changes_visible(t) {
        let db = t.open().await;
        db.award_xp(G, 1, 100, &SqrtCurve).await.expect("award");
        assert_eq!(xp(&db, 1).await, 100);
        // Another process (or a hand-made fix) changes the row behind this process's cache.
        t.raw()
            .await
            .execute_unprepared(&format!("UPDATE levels SET xp = 999 WHERE guild_id = '{G}' AND user_id = '1'"))
            .await
            .expect("outside update");
        assert_eq!(xp(&db, 1).await, 100, "served from the cache until purged");
        let housekeeping = Housekeeping::start(db.clone(), t.config.clone(), None, Some(Duration::from_millis(100)));
        let started = Instant::now();
        while housekeeping.counters.cache_purges.load(std::sync::atomic::Ordering::Relaxed) < 1 {
            assert!(started.elapsed() < Duration::from_secs(10), "a purge within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(xp(&db, 1).await, 999, "the purge dropped the stale entry");
        // On demand, too (what the console's `:purge-caches` calls).
        t.raw()
            .await
            .execute_unprepared(&format!("UPDATE levels SET xp = 5 WHERE guild_id = '{G}' AND user_id = '1'"))
            .await
            .expect("outside update");
        housekeeping.stop().await;
        assert_eq!(xp(&db, 1).await, 999);
        assert!(db.purge_caches() >= 1, "at least the member's entry was dropped");
        assert_eq!(xp(&db, 1).await, 5);
    }
}

both_backends! {
    async fn a_dump_that_is_not_a_questline_database_is_refused_before_anything_changes(t) {
        // SQLite's restore proves the file on a copy first (tested above); this is about
        // pg_dump files, whose restore replaces the target's tables.
        if !matches!(t.backend, Backend::Postgres) {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let db = t.open().await;
        db.award_xp(G, 1, 777, &SqrtCurve).await.expect("award");

        // A dump of one table only: a valid pg_dump file, not a Questline database.
        let partial = dir.path().join("partial.pgdump");
        let status = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--table=plugin_kv", "--file"])
            .arg(&partial)
            .args(["--dbname", &t.config.url])
            .status()
            .expect("pg_dump runs");
        assert!(status.success());
        let err = restore(&t.config, &partial).await.expect_err("refused").to_string();
        assert!(err.contains("not of a Questline database") && err.contains("levels"), "{err}");

        // A dump from a newer Questline (a migration this binary does not know).
        let raw = t.raw().await;
        let future = "m29990101_000001_from_the_future";
        raw.execute_unprepared(&format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{future}', 0)"
        ))
        .await
        .expect("future migration");
        let newer = dir.path().join("newer.pgdump");
        write(&db, &t.config, &newer).await.expect("backup");
        raw.execute_unprepared(&format!("DELETE FROM seaql_migrations WHERE version = '{future}'"))
            .await
            .expect("back to now");
        let err = restore(&t.config, &newer).await.expect_err("refused").to_string();
        assert!(err.contains("newer Questline") && err.contains(future), "{err}");

        // Neither touched the database.
        db.award_xp(G, 1, 1, &SqrtCurve).await.expect("still writable");
        assert_eq!(xp(&db, 1).await, 778);
    }
}
