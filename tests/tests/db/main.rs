//! The repository on both backends (`both_backends!`): schema and migrations, the repository
//! functions, batch writes, caches, concurrency, operators' tooling, backups and slow-statement
//! logging. One test binary; run a part with e.g. `cargo test -p questline-tests --test db batch::`.

mod support;

mod backup;
mod batch;
mod cache;
mod concurrency;
mod directory;
mod ops;
mod outbox;
mod repository;
mod schema;
mod seasons;
mod slow_statements;
mod write_lock;
