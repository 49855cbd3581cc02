//! Shared test helpers: real database servers in temp directories, a
//! directory-backed object store, and small builders for pipeline objects.

pub(crate) mod mariadb;
pub(crate) mod objects;
pub(crate) mod postgres;
pub(crate) mod process;
pub(crate) mod store;

/// The user every test server is created with.
pub(crate) const USER: &str = "taskrunner";
/// Its password: long and distinctive, so that a leak is easy to grep for.
pub(crate) const PASSWORD: &str = "pw-Zq7-never-in-logs";
/// The database every test server is created with.
pub(crate) const DATABASE: &str = "pipeline";

/// A database server a test started, for one engine.
pub(crate) trait TestDatabase {
    /// The `jdbc:` connection string of the server's database.
    fn connection_string(&self) -> String;
}
