//! `createTableSql` on an output SQL data node: the statement that creates
//! the node's table when it is not there yet (dp-object-sqldatanode.md,
//! dp-object-mysqldatanode.md). A `CopyActivity` runs it before loading
//! ([`crate::copy`]), a `SqlActivity` before its script, for its `output`
//! (dp-object-sqlactivity.md).
//!
//! The table is looked up as `Exists` looks it up ([`crate::exists`]), by
//! the node's `schemaName.table`. The statement itself is run as written:
//! like AWS, the runner does not parse it, so a `createTableSql` that names
//! another table or schema creates that one.

use sqlx::Executor;

use crate::database::{Connection, DatabaseConfig, DatabaseError, RdsEndpoints};
use crate::error::FieldError;
use crate::error_id;
use crate::exists::{lookup, qualified_table};
use crate::object::{Object, Objects};
use crate::script::database_reason;
use crate::sql_text;

/// An output node's `createTableSql` and the table it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    /// The data node's id, for messages.
    pub node: String,
    /// The table as SQL names it (`schemaName.table` or `table`).
    pub table: String,
    /// The `createTableSql` text (one or more statements).
    pub statement: String,
}

/// Creating an output table failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateTableError {
    /// The output node lacks a field or names an unknown object; fix the
    /// definition.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The output node's database could not be named or reached.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// The catalog lookup of the table failed; the reason is the server's.
    #[error("cannot check whether table `{table}` of `{node}` exists before its createTableSql: {reason}")]
    Lookup {
        /// The data node's id.
        node: String,
        /// The table.
        table: String,
        /// The database's code and message.
        reason: String,
    },
    /// The `createTableSql` statement failed; fix the statement.
    #[error("createTableSql of `{node}` failed: {reason}; table `{table}` was not created")]
    Statement {
        /// The data node's id.
        node: String,
        /// The table.
        table: String,
        /// The database's code and message.
        reason: String,
    },
}

impl CreateTableError {
    /// The errorId for the task's status: the connection's for a database
    /// that cannot be reached, [`CREATE_TABLE_FAILED`] when the lookup or
    /// the statement fails.
    ///
    /// [`CREATE_TABLE_FAILED`]: error_id::CREATE_TABLE_FAILED
    pub fn error_id(&self) -> &'static str {
        match self {
            Self::Field(error) => error.error_id(),
            Self::Database(error) => error.error_id(),
            Self::Lookup { .. } | Self::Statement { .. } => error_id::CREATE_TABLE_FAILED,
        }
    }
}

impl CreateTable {
    /// The SQL data node's `createTableSql`, or `None` when it has none.
    ///
    /// # Errors
    ///
    /// [`FieldError::Missing`] when the node has a `createTableSql` but no
    /// `table`.
    pub fn from_node(node: &Object) -> Result<Option<Self>, FieldError> {
        let Some(statement) = node.field("createTableSql") else {
            return Ok(None);
        };
        Ok(Some(Self {
            node: node.id.clone(),
            table: qualified_table(node)?,
            statement: statement.to_owned(),
        }))
    }

    /// Runs the statement on `connection` unless the table is already
    /// there; returns whether it ran. Each statement commits on its own
    /// (MySQL commits DDL implicitly anyway), so a table created here stays
    /// even when the work after it fails.
    ///
    /// # Errors
    ///
    /// [`CreateTableError::Lookup`] or [`CreateTableError::Statement`] with
    /// the database's code and message.
    pub async fn ensure(&self, connection: &mut Connection) -> Result<bool, CreateTableError> {
        let exists =
            lookup(connection, &self.table)
                .await
                .map_err(|error| CreateTableError::Lookup {
                    node: self.node.clone(),
                    table: self.table.clone(),
                    reason: database_reason(&error),
                })?;
        if exists {
            return Ok(false);
        }
        for statement in sql_text::split(&self.statement) {
            let result = match connection {
                Connection::MySql(connection) => connection
                    .execute(sqlx::raw_sql(&statement.text))
                    .await
                    .map(drop),
                Connection::Postgres(connection) => connection
                    .execute(sqlx::raw_sql(&statement.text))
                    .await
                    .map(drop),
            };
            result.map_err(|error| CreateTableError::Statement {
                node: self.node.clone(),
                table: self.table.clone(),
                reason: database_reason(&error),
            })?;
        }
        tracing::info!(table = %self.table, node = %self.node, "created the output table");
        Ok(true)
    }
}

/// Creates the tables of a `SqlActivity`'s `output` SQL data nodes that
/// have a `createTableSql` and are not there yet; returns how many it
/// created. Each node's table is created on the node's own database (its
/// `database`, or its `connectionString`), or on the activity's `database`
/// when the node names none. Outputs of other types, and an output the
/// task does not carry, are left alone: the activity writes nothing to
/// them.
///
/// # Errors
///
/// A [`CreateTableError`]; the script should not run after one.
pub async fn create_output_tables(
    objects: &Objects,
    rds: &RdsEndpoints,
) -> Result<usize, CreateTableError> {
    let attempt = objects.attempt();
    let mut created = 0;
    for id in attempt.values("output") {
        // Whether the service sends referenced objects with a task is not
        // documented, and the script does not need its output node: a task
        // without it runs as it did before createTableSql was read.
        let Some(node) = objects.get(id) else {
            tracing::warn!(output = %id, "the task does not carry its output node; no createTableSql can run");
            continue;
        };
        if !matches!(node.object_type(), "SqlDataNode" | "MySqlDataNode") {
            continue;
        }
        let Some(create) = CreateTable::from_node(node)? else {
            continue;
        };
        let config = rds
            .resolving(|rds| -> Result<DatabaseConfig, CreateTableError> {
                if node.field("database").is_some() || node.field("connectionString").is_some() {
                    Ok(DatabaseConfig::for_node(node, objects, rds)?)
                } else {
                    let database = objects.referenced(attempt, "database")?;
                    Ok(DatabaseConfig::from_object(database, rds)?)
                }
            })
            .await?;
        let mut connection = Connection::open(&config).await?;
        created += usize::from(create.ensure(&mut connection).await?);
    }
    Ok(created)
}
