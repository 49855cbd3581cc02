//! `SqlActivity`: read a script, connect, run its statements in order.
//!
//! Each statement runs on its own (autocommit, as a JDBC connection does by
//! default): when statement 3 fails, statements 1 and 2 stay done. A script
//! that wants all-or-nothing says `BEGIN` … `COMMIT` itself.
//!
//! `scriptArgument` values fill the script's `?` placeholders in order,
//! across statements. On MySQL they are bound as string parameters (the
//! server converts them); on PostgreSQL, which will not compare a text
//! parameter with a number column, each is written in as a quoted literal
//! (`'it''s'`, whose type PostgreSQL infers from where it stands; this
//! relies on `standard_conforming_strings`, on by default since 9.1).
//! Without `scriptArgument` a `?` is left alone (PostgreSQL's JSON
//! operators use it).

use std::path::Path;

use sqlx::Executor;

use crate::database::{Connection, DatabaseConfig, DatabaseError, RdsEndpoints};
use crate::error::FieldError;
use crate::error_id;
use crate::object::Objects;
use crate::sql_text::{self, Statement};
use crate::store::{Store, StoreError};

/// A `SqlActivity`'s fields, read once.
#[derive(Debug, Clone)]
pub struct SqlScript {
    /// The database it runs on.
    pub database: DatabaseConfig,
    /// `script`, or where to fetch it.
    pub source: ScriptSource,
    /// `scriptArgument` values in order.
    pub arguments: Vec<String>,
}

/// Where the script's text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptSource {
    /// The `script` field.
    Inline(String),
    /// The `scriptUri` field (`s3://`, `file://` or a path).
    Uri(String),
}

/// A `SqlActivity` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// A field is missing or unusable.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The database could not be named or reached.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// `scriptUri` could not be fetched.
    #[error("cannot fetch the script: {0}")]
    Fetch(#[from] StoreError),
    /// The number of `scriptArgument` values is not the number of `?`
    /// placeholders. Make them match.
    #[error("the script has {placeholders} `?` placeholders but {arguments} scriptArgument values were given")]
    ArgumentsMismatch {
        /// Placeholders found outside quotes and comments.
        placeholders: usize,
        /// `scriptArgument` values.
        arguments: usize,
    },
    /// A statement failed in the database; earlier ones stay done.
    #[error("statement {number} of {total} failed: {reason}; the statement: {statement}")]
    Statement {
        /// 1-based position in the script.
        number: usize,
        /// Statements in the script.
        total: usize,
        /// The database's code and message.
        reason: String,
        /// The statement's start.
        statement: String,
    },
}

impl ScriptError {
    /// The errorId for the task's status.
    pub fn error_id(&self) -> &'static str {
        match self {
            Self::Field(error) => error.error_id(),
            Self::Database(error) => error.error_id(),
            Self::Fetch(StoreError::S3NotConfigured { .. }) => error_id::S3_NOT_CONFIGURED,
            Self::Fetch(_) => error_id::TRANSFER_FAILED,
            Self::ArgumentsMismatch { .. } => error_id::ARGUMENTS_MISMATCH,
            Self::Statement { .. } => error_id::STATEMENT_FAILED,
        }
    }
}

impl SqlScript {
    /// Reads the attempt's fields and its `database` object.
    ///
    /// # Errors
    ///
    /// [`ScriptError::Field`] or [`ScriptError::Database`] naming the field.
    pub fn from_objects(objects: &Objects, rds: &RdsEndpoints) -> Result<Self, ScriptError> {
        let attempt = objects.attempt();
        let database = DatabaseConfig::from_object(objects.referenced(attempt, "database")?, rds)?;
        let source = match (attempt.field("script"), attempt.field("scriptUri")) {
            (Some(script), None) => ScriptSource::Inline(script.to_owned()),
            (None, Some(uri)) => ScriptSource::Uri(uri.to_owned()),
            (Some(_), Some(_)) => {
                return Err(FieldError::invalid(
                    &attempt.id,
                    "script",
                    "set script or scriptUri, not both",
                )
                .into())
            }
            (None, None) => {
                return Err(FieldError::Missing {
                    object: attempt.id.clone(),
                    field: "script (or scriptUri)".to_owned(),
                }
                .into())
            }
        };
        Ok(Self {
            database,
            source,
            arguments: attempt
                .values("scriptArgument")
                .map(str::to_owned)
                .collect(),
        })
    }

    /// Fetches the script (into `scratch` when it is remote), connects and
    /// runs every statement; returns how many ran.
    ///
    /// Cancel by dropping the future: the connection closes and the open
    /// transaction is rolled back, but the server finishes a statement in
    /// flight first unless it is told to stop it: run inside a
    /// [`ServerSessions::scope`](crate::database::ServerSessions::scope)
    /// and call `cancel_all` before the drop (as [`SqlActivity`](crate::SqlActivity) does).
    ///
    /// # Errors
    ///
    /// A [`ScriptError`]; [`ScriptError::Statement`] carries the database's
    /// code and message.
    pub async fn run(&self, store: &Store, scratch: &Path) -> Result<usize, ScriptError> {
        let text = match &self.source {
            ScriptSource::Inline(text) => text.clone(),
            ScriptSource::Uri(uri) => {
                tokio::fs::create_dir_all(scratch)
                    .await
                    .map_err(|error| taskrunner_shell::StorageError::io(uri.clone(), error))
                    .map_err(StoreError::from)?;
                let dest = scratch.join("script.sql");
                store.fetch_file(uri, &dest).await?;
                tokio::fs::read_to_string(&dest)
                    .await
                    .map_err(|error| taskrunner_shell::StorageError::io(uri.clone(), error))
                    .map_err(StoreError::from)?
            }
        };
        let statements = sql_text::split(&text);
        if !self.arguments.is_empty() {
            let placeholders = statements.iter().map(|s| s.placeholders.len()).sum();
            if placeholders != self.arguments.len() {
                return Err(ScriptError::ArgumentsMismatch {
                    placeholders,
                    arguments: self.arguments.len(),
                });
            }
        }
        let mut connection = Connection::open(&self.database).await?;
        let mut arguments = self.arguments.iter();
        let total = statements.len();
        for (index, statement) in statements.iter().enumerate() {
            let result = if self.arguments.is_empty() {
                execute_plain(&mut connection, &statement.text).await
            } else {
                let values: Vec<&String> = arguments
                    .by_ref()
                    .take(statement.placeholders.len())
                    .collect();
                execute_with(&mut connection, statement, &values).await
            };
            result.map_err(|error| ScriptError::Statement {
                number: index + 1,
                total,
                reason: database_reason(&error),
                statement: statement.text.chars().take(200).collect(),
            })?;
            tracing::debug!(statement = index + 1, total, "statement done");
        }
        Ok(total)
    }
}

async fn execute_plain(connection: &mut Connection, text: &str) -> Result<(), sqlx::Error> {
    match connection {
        Connection::MySql(connection) => connection.execute(sqlx::raw_sql(text)).await.map(drop),
        Connection::Postgres(connection) => connection.execute(sqlx::raw_sql(text)).await.map(drop),
    }
}

async fn execute_with(
    connection: &mut Connection,
    statement: &Statement,
    values: &[&String],
) -> Result<(), sqlx::Error> {
    match connection {
        Connection::MySql(connection) => {
            let mut query = sqlx::query(&statement.text);
            for value in values {
                query = query.bind(value.as_str());
            }
            query.execute(&mut *connection).await.map(drop)
        }
        Connection::Postgres(connection) => {
            let text = with_literals(statement, values);
            connection.execute(sqlx::raw_sql(&text)).await.map(drop)
        }
    }
}

/// The statement with each `?` replaced by its value as a quoted literal.
fn with_literals(statement: &Statement, values: &[&String]) -> String {
    let values: Vec<Option<String>> = values.iter().map(|value| Some((*value).clone())).collect();
    with_nullable_literals(statement, &values)
}

/// The statement with each `?` replaced by its value as a quoted literal,
/// or `NULL` for `None`.
pub(crate) fn with_nullable_literals(statement: &Statement, values: &[Option<String>]) -> String {
    let mut out = String::with_capacity(statement.text.len());
    let mut last = 0;
    for (&offset, value) in statement.placeholders.iter().zip(values) {
        out.push_str(&statement.text[last..offset]);
        match value {
            Some(value) => {
                out.push('\'');
                out.push_str(&value.replace('\'', "''"));
                out.push('\'');
            }
            None => out.push_str("NULL"),
        }
        last = offset + 1;
    }
    out.push_str(&statement.text[last..]);
    out
}

/// A database error as `CODE: message`, or the driver's error.
pub(crate) fn database_reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(error) => {
            match error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                Some(mysql) => format!(
                    "{} ({}): {}",
                    mysql.number(),
                    mysql.code().unwrap_or("HY000"),
                    mysql.message()
                ),
                None => match error.code() {
                    Some(code) => format!("{code}: {}", error.message()),
                    None => error.message().to_owned(),
                },
            }
        }
        other => other.to_string(),
    }
}
