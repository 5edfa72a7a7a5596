//! A fresh database per test, on both backends: SQLite (a new temp file) and PostgreSQL (a
//! new `ql_test_<random>` database, dropped afterwards even if the test panicked).
//!
//! PostgreSQL comes from `QUESTLINE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). With `CI=true` it is mandatory: an
//! unreachable server fails the test loudly. Otherwise the PostgreSQL variant prints a skip
//! notice and passes. [`both_backends!`](crate::both_backends) runs one body on each.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use questline::db::{DatabaseConfig, Db};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a test body gets: the backend and a config pointing at its private database.
#[derive(Debug, Clone)]
pub struct TestDb {
    pub backend: Backend,
    pub config: DatabaseConfig,
}

impl TestDb {
    /// Connects (running migrations) with the test's config.
    pub async fn open(&self) -> Db {
        Db::connect(&self.config).await.expect("connect")
    }

    /// Connects with a modified config (e.g. short cache TTLs).
    pub async fn open_with(&self, f: impl FnOnce(&mut DatabaseConfig)) -> Db {
        let mut config = self.config.clone();
        f(&mut config);
        Db::connect(&config).await.expect("connect")
    }

    /// A plain SeaORM connection to the same database, for inspecting the schema and for
    /// writing rows the repository would refuse (to prove the schema refuses them too).
    pub async fn raw(&self) -> DatabaseConnection {
        Database::connect(self.config.url.as_str())
            .await
            .expect("raw connect")
    }
}

/// Whether the tests run under CI (`CI=true`), where every external service they need is
/// mandatory.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

pub fn postgres_admin_url() -> String {
    std::env::var("QUESTLINE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let slash = base.rfind('/').expect("postgres url has a path");
    format!("{}/{name}{query}", &base[..slash])
}

fn test_config(url: String) -> DatabaseConfig {
    DatabaseConfig {
        url,
        max_connections: 8,
        retry_base_delay_ms: 5,
        ..DatabaseConfig::default()
    }
}

/// Runs `body` against a fresh database of `backend`, then removes the database even if the
/// body panicked (the panic is re-raised afterwards).
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("nested/dir/questline.db").display()
            );
            let t = TestDb {
                backend,
                config: test_config(url),
            };
            body(t).await;
            drop(dir);
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let mut options = sea_orm::ConnectOptions::new(admin_url.clone());
            options
                .connect_timeout(std::time::Duration::from_secs(3))
                .acquire_timeout(std::time::Duration::from_secs(3))
                .max_connections(1);
            let admin = match Database::connect(options).await {
                Ok(conn) => conn,
                Err(e) if ci() => panic!(
                    "CI=true but PostgreSQL at QUESTLINE_TEST_POSTGRES_URL ({admin_url}) is unreachable: {e}. \
                     Start it (pg_ctlcluster 15 main start) or fix the URL."
                ),
                Err(e) => {
                    eprintln!(
                        "NOTICE: skipping the PostgreSQL variant: {admin_url} unreachable ({e}); set CI=true to make this fatal"
                    );
                    return;
                }
            };
            let name = format!("ql_test_{:016x}", rand::random::<u64>());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let t = TestDb {
                backend,
                config: test_config(with_database(&admin_url, &name)),
            };
            let result = AssertUnwindSafe(body(t)).catch_unwind().await;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop test database");
            let _ = admin.close().await;
            if let Err(panic) = result {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

/// Defines `mod $name { fn sqlite(); fn postgres(); }` running the same body on both.
#[macro_export]
macro_rules! both_backends {
    ($(#[$meta:meta])* async fn $name:ident($t:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                $crate::testdb::run($crate::testdb::Backend::Sqlite, |$t| async move $body).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                $crate::testdb::run($crate::testdb::Backend::Postgres, |$t| async move $body).await
            }
        }
    };
}
