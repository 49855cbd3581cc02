//! Real database servers for tests and benchmarks (feature `testkit`):
//! PostgreSQL and MariaDB from Debian's `postgresql` and `mariadb-server`,
//! each started in a temp directory on a free 127.0.0.1 port with user
//! [`USER`], password [`PASSWORD`] and database [`DATABASE`], and stopped
//! by pid on drop.
//!
//! A missing server binary panics with the packages to install: a test
//! that needs a server fails, it never skips.

pub mod mariadb;
pub mod postgres;
pub mod process;

pub use mariadb::MariaDbServer;
pub use postgres::PostgresServer;

/// The user every server is created with.
pub const USER: &str = "taskrunner";
/// Its password: long and distinctive, so that a leak is easy to grep for.
pub const PASSWORD: &str = "pw-Zq7-never-in-logs";
/// The database every server is created with.
pub const DATABASE: &str = "pipeline";
/// A second schema for tests of `schemaName`. MariaDB (where a schema is a
/// database) is started with it and [`USER`] may use it; on PostgreSQL a
/// test creates it with `CREATE SCHEMA`.
pub const SCHEMA: &str = "staging";

/// A database server that was started, for one engine.
pub trait TestDatabase {
    /// The `jdbc:` connection string of the server's database.
    fn connection_string(&self) -> String;
}
