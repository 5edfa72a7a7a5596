//! Migrations, the resulting schema, the schema-version guard, and constraints.

use questline_tests::both_backends;

use crate::support::{Backend, G, SqrtCurve, TestDb};
use questline::db::{ActivityCounter, Db, DbError, NewQuest};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// The spec's tables and columns (`shared/spec/database.md`).
const SPEC: &[(&str, &[&str])] = &[
    (
        "levels",
        &[
            "id",
            "guild_id",
            "user_id",
            "xp",
            "level",
            "messages",
            "voice_time_seconds",
            "total_messages",
            "total_reactions",
            "commands_used",
            "last_message_time",
        ],
    ),
    (
        "quests",
        &[
            "id",
            "guild_id",
            "name",
            "description",
            "quest_type",
            "requirement_type",
            "requirement_value",
            "reward_xp",
            "reward_multiplier",
            "active",
            "refresh_cycle",
            "difficulty",
            "created_at",
        ],
    ),
    (
        "user_quests",
        &[
            "id",
            "guild_id",
            "user_id",
            "quest_id",
            "progress",
            "quest_specific_progress",
            "completed",
            "completed_at",
            "expires_at",
        ],
    ),
    (
        "server_config",
        &[
            "guild_id",
            "xp_rate",
            "level_up_message",
            "level_up_channel",
            "quest_channel",
            "achievement_channel",
            "quest_reset_hour",
            "quest_reset_day",
            "cooldowns",
        ],
    ),
    (
        "achievements",
        &[
            "id",
            "guild_id",
            "name",
            "description",
            "requirement_type",
            "requirement_value",
            "reward_xp",
            "badge_url",
            "created_at",
        ],
    ),
    (
        "user_achievements",
        &["id", "guild_id", "user_id", "achievement_id", "earned_at"],
    ),
    (
        "cards",
        &[
            "guild_id",
            "user_id",
            "background_url",
            "primary_color",
            "secondary_color",
            "border_color",
            "text_color",
            "card_style",
        ],
    ),
    (
        "roles",
        &["id", "guild_id", "role_id", "level", "is_stacked"],
    ),
];

const PRODUCT_TABLES: &[&str] = &[
    "plugin_kv",
    "plugin_settings",
    "xp_audit_log",
    "outbox",
    "member_profiles",
    "web_logins",
    "web_sessions",
    "xp_boosts",
    "period_xp",
    "seasons",
    "season_standings",
];

async fn tables(raw: &DatabaseConnection, backend: Backend) -> Vec<String> {
    let sql = match backend {
        Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
    };
    let rows = raw
        .query_all(Statement::from_string(raw.get_database_backend(), sql))
        .await
        .expect("list tables");
    let mut names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .filter(|n| n != "seaql_migrations" && !n.starts_with("sqlite_"))
        .collect();
    names.sort();
    names
}

/// A PostgreSQL table's fillfactor option as stored (`fillfactor=N`), if set.
async fn fillfactor(raw: &DatabaseConnection, table: &str) -> Option<String> {
    let row = raw
        .query_one(Statement::from_sql_and_values(
            raw.get_database_backend(),
            "SELECT array_to_string(reloptions, ',') AS options FROM pg_class WHERE relname = $1",
            [table.into()],
        ))
        .await
        .expect("read reloptions")
        .expect("table exists");
    row.try_get::<Option<String>>("", "options")
        .expect("options")
}

/// (column, type) of a table.
async fn columns(raw: &DatabaseConnection, backend: Backend, table: &str) -> Vec<(String, String)> {
    let stmt = match backend {
        Backend::Postgres => Statement::from_sql_and_values(
            raw.get_database_backend(),
            "SELECT column_name AS name, data_type AS ty FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1",
            [table.into()],
        ),
        Backend::Sqlite => Statement::from_string(
            raw.get_database_backend(),
            format!("SELECT name, type AS ty FROM pragma_table_info('{table}')"),
        ),
    };
    raw.query_all(stmt)
        .await
        .expect("columns")
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "name").expect("name"),
                r.try_get::<String>("", "ty").expect("type").to_lowercase(),
            )
        })
        .collect()
}

both_backends! {
    async fn migrations_up_down_up(t) {
        let db = Db::connect_without_migrations(&t.config).await.expect("connect");
        let raw = t.raw().await;
        let state = db.migration_status().await.expect("status");
        assert_eq!(state.migrations.len(), 16);
        assert!(state.migrations.iter().all(|m| !m.applied));
        assert!(tables(&raw, t.backend).await.is_empty());

        db.migrate_up(None).await.expect("up");
        assert!(db.migration_status().await.unwrap().migrations.iter().all(|m| m.applied));
        assert_eq!(tables(&raw, t.backend).await.len(), SPEC.len() + PRODUCT_TABLES.len());
        if t.backend == Backend::Postgres {
            // Room for HOT updates in the tables every batch rewrites.
            assert_eq!(fillfactor(&raw, "user_quests").await.as_deref(), Some("fillfactor=80"));
            assert_eq!(fillfactor(&raw, "levels").await.as_deref(), Some("fillfactor=90"));
        }

        db.migrate_down(None).await.expect("down to zero");
        assert!(db.migration_status().await.unwrap().migrations.iter().all(|m| !m.applied));
        assert_eq!(tables(&raw, t.backend).await, Vec::<String>::new());

        db.migrate_up(Some(2)).await.expect("up two steps");
        let state = db.migration_status().await.unwrap();
        assert_eq!(state.migrations.iter().filter(|m| m.applied).count(), 2);
        db.migrate_up(None).await.expect("up again");
        assert!(db.migration_status().await.unwrap().migrations.iter().all(|m| m.applied));

        // The data path works after the round trip.
        db.award_xp(G, 1, 10, &SqrtCurve).await.expect("award after round trip");
        db.migrate_fresh().await.expect("fresh");
        assert_eq!(db.get_user_level(G, 1).await.unwrap(), None, "fresh drops data");
    }
}

both_backends! {
    async fn schema_has_spec_tables_and_columns(t) {
        let _db = t.open().await;
        let raw = t.raw().await;
        let names = tables(&raw, t.backend).await;
        for (table, cols) in SPEC {
            assert!(names.contains(&table.to_string()), "missing table {table}");
            let have = columns(&raw, t.backend, table).await;
            for col in *cols {
                assert!(have.iter().any(|(c, _)| c == col), "missing column {table}.{col}");
            }
        }
        for table in PRODUCT_TABLES {
            assert!(names.contains(&table.to_string()), "missing table {table}");
        }
        let levels = columns(&raw, t.backend, "levels").await;
        let ty = |cols: &[(String, String)], name: &str| {
            cols.iter().find(|(c, _)| c == name).map(|(_, t)| t.clone()).unwrap()
        };
        let config = columns(&raw, t.backend, "server_config").await;
        match t.backend {
            Backend::Postgres => {
                assert_eq!(ty(&levels, "xp"), "bigint");
                assert_eq!(ty(&levels, "voice_time_seconds"), "bigint");
                assert_eq!(ty(&levels, "level"), "integer");
                assert_eq!(ty(&config, "cooldowns"), "jsonb");
            }
            Backend::Sqlite => assert_eq!(ty(&config, "cooldowns"), "text"),
        }
        assert!(levels.iter().any(|(c, _)| c == "hidden"));
        for col in ["xp_formula_plugin", "card_style", "demote_on_xp_loss"] {
            assert!(config.iter().any(|(c, _)| c == col), "missing server_config.{col}");
        }
    }
}

both_backends! {
    async fn refuses_schema_newer_than_binary(t) {
        let db = t.open().await;
        let raw = t.raw().await;
        raw.execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_from_the_future', 0)",
        )
        .await
        .expect("insert future migration");
        let err = Db::connect(&t.config).await.expect_err("must refuse");
        assert!(matches!(err, DbError::SchemaTooNew { ref unknown } if unknown == &["m29990101_000001_from_the_future"]), "{err:?}");
        assert!(err.to_string().contains("newer than this Questline"), "{err}");
        assert!(matches!(db.migrate_down(Some(1)).await, Err(DbError::SchemaTooNew { .. })));
    }
}

both_backends! {
    async fn constraints_reject_bad_rows_and_change_nothing(t) {
        let db = t.open().await;
        let raw = t.raw().await;
        let backend = raw.get_database_backend();

        // Bad enum value: refused by the repository, and by the schema for other writers.
        let bad = NewQuest {
            guild_id: G,
            name: "Chat".into(),
            description: String::new(),
            quest_type: "hourly".into(),
            requirement_type: "total_messages".into(),
            requirement_value: 10,
            reward_xp: 50,
            reward_multiplier: None,
            difficulty: None,
            refresh_cycle: None,
            created_at: chrono::Utc::now(),
        };
        let err = db.create_quest(bad).await.expect_err("bad quest_type");
        assert!(matches!(err, DbError::Invalid { field: "quest_type", .. }), "{err:?}");
        assert!(err.to_string().contains("daily, weekly, special, event, challenge"), "{err}");
        let err = raw
            .execute(Statement::from_string(
                backend,
                "INSERT INTO quests (guild_id, name, quest_type, requirement_type, created_at) \
                 VALUES ('1', 'x', 'hourly', 'total_messages', '2026-01-01T00:00:00Z')",
            ))
            .await
            .expect_err("schema CHECK on quest_type");
        let err = DbError::from(err);
        assert!(matches!(err, DbError::Constraint { .. }), "{err:?}");
        assert!(err.to_string().contains("quest_type must be one of"), "{err}");
        assert!(db.get_guild_active_quests(G, None).await.unwrap().is_empty());

        // Negative counter: the increment is refused and the stored value is unchanged.
        db.update_activity_counter(G, 7, ActivityCounter::Messages, 3).await.unwrap();
        db.award_xp(G, 7, 120, &SqrtCurve).await.unwrap();
        let err = db
            .update_activity_counter(G, 7, ActivityCounter::Messages, -5)
            .await
            .expect_err("negative counter");
        assert!(matches!(err, DbError::Constraint { .. }), "{err:?}");
        assert!(err.to_string().contains("cannot be negative"), "{err}");
        let row = db.get_user_level(G, 7).await.unwrap().unwrap();
        assert_eq!((row.messages, row.xp, row.level), (3, 120, 1));

        // Duplicate achievement grant: idempotent through the repository, refused by the schema.
        let a = db.create_achievement(G, "First words", "", "messages", 1, 25, chrono::Utc::now()).await.unwrap();
        assert!(db.grant_achievement(G, 7, a.id, chrono::Utc::now(), &SqrtCurve).await.unwrap().is_some());
        assert!(db.grant_achievement(G, 7, a.id, chrono::Utc::now(), &SqrtCurve).await.unwrap().is_none());
        let err = raw
            .execute(Statement::from_sql_and_values(
                backend,
                "INSERT INTO user_achievements (guild_id, user_id, achievement_id, earned_at) VALUES ($1, $2, $3, $4)",
                [G.into(), "7".into(), a.id.into(), chrono::Utc::now().into()],
            ))
            .await
            .expect_err("duplicate grant");
        let err = DbError::from(err);
        assert!(err.to_string().contains("each achievement only once"), "{err}");
        assert_eq!(db.get_user_achievements(G, 7).await.unwrap().len(), 1);
        assert_eq!(db.get_user_level(G, 7).await.unwrap().unwrap().xp, 145, "reward once");

        // Foreign key: progress on a quest that does not exist.
        let err = raw
            .execute(Statement::from_string(
                backend,
                "INSERT INTO user_quests (guild_id, user_id, quest_id) VALUES ('1', '2', 999999)",
            ))
            .await
            .expect_err("foreign key");
        assert!(DbError::from(err).to_string().contains("does not exist"));
    }
}

#[tokio::test]
async fn unreachable_database_error_is_actionable_and_hides_password() {
    let config = questline::db::DatabaseConfig {
        url: "postgres://bot:hunter2secret@127.0.0.1:1/questline".into(),
        connect_timeout_secs: 2,
        acquire_timeout_secs: 2,
        ..Default::default()
    };
    let err = Db::connect(&config)
        .await
        .expect_err("nothing listens on port 1");
    let msg = err.to_string();
    assert!(err.is_transient(), "{err:?}");
    assert!(msg.contains("DATABASE_URL"), "{msg}");
    assert!(!msg.contains("hunter2secret"), "{msg}");
    assert!(!format!("{config:?}").contains("hunter2secret"));
}

#[allow(dead_code)]
fn _uses(_: TestDb) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_sqlite_keeps_one_database() {
    let config = questline::db::DatabaseConfig {
        url: "sqlite::memory:".into(),
        max_connections: 8,
        ..Default::default()
    };
    let db = Db::connect(&config).await.expect("in-memory");
    let tasks = (0..20).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { db.award_xp(G, 1, 1, &SqrtCurve).await })
    });
    for t in futures::future::join_all(tasks).await {
        t.expect("task").expect("award");
    }
    assert_eq!(db.export_guild_levels(G).await.unwrap()[0].xp, 20);
}
