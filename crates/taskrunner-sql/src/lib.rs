//! `SqlActivity` and `CopyActivity` for the taskrunner binary, on MySQL
//! (and MariaDB) and PostgreSQL through sqlx.
//!
//! The work is plain async functions over plain types, so that it can be
//! called and tested without a runner:
//!
//! - [`Objects`] holds the task's pipeline objects as data;
//! - [`DatabaseConfig`] reads a `JdbcDatabase`/`RdsDatabase` (or a data
//!   node's own `connectionString`) and [`Connection`] opens it;
//! - [`SqlScript`] is a `SqlActivity`, [`CopyJob`] a `CopyActivity`, and
//!   [`table_exists`] answers the `Exists` precondition on SQL data nodes;
//! - [`CreateTable`] is an output node's `createTableSql`, which a copy
//!   runs itself and [`create_output_tables`] runs before a script;
//! - [`Store`] fetches and uploads `s3://` objects through the shell
//!   activities' [`Storage`](taskrunner_shell::Storage), and local paths.
//!
//! Cancellation is by dropping a future: connections close, and the server
//! rolls back what was not committed. The framework glue (the [`Activity`]
//! impls) lives in [`activity`] only. Every error has a stable errorId
//! ([`error_id`]); no message, log line or file holds a `*password`.
//! docs/SQL.md has the user's view.
//!
//! ```
//! use taskrunner_sql::{CopyJob, Object, Objects, RdsEndpoints};
//!
//! let attempt = Object::new("@Copy_1")
//!     .with("type", "CopyActivity")
//!     .with("input", "In")
//!     .with("output", "Out");
//! let input = Object::new("In").with("type", "S3DataNode").with("filePath", "s3://b/in.csv");
//! let output = Object::new("Out")
//!     .with("type", "SqlDataNode")
//!     .with("table", "events")
//!     .with("database", "Db");
//! let database = Object::new("Db")
//!     .with("type", "JdbcDatabase")
//!     .with("connectionString", "jdbc:postgresql://127.0.0.1:5432/app")
//!     .with("username", "loader")
//!     .with("*password", "secret");
//! let objects = Objects::new(attempt, [input, output, database]);
//! let job = CopyJob::from_objects(&objects, &RdsEndpoints::new()).expect("a valid copy");
//! assert!(!format!("{job:?}").contains("secret"));
//! ```
//!
//! [`Activity`]: taskrunner_activity::Activity

pub mod activity;
pub mod copy;
pub mod create_table;
pub mod database;
pub mod error;
pub mod error_id;
pub mod exists;
pub mod format;
pub mod object;
pub mod records;
pub mod script;
mod sql_text;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use activity::{task_objects, CopyActivity, SqlActivity, SqlConfig};
pub use copy::{CopyError, CopyJob};
pub use create_table::{create_output_tables, CreateTable, CreateTableError};
pub use database::{Connection, DatabaseConfig, DatabaseError, Engine, RdsEndpoints};
pub use exists::{table_exists, TableExistsError};
pub use object::{Object, Objects};
pub use script::{ScriptError, SqlScript};
pub use store::Store;
