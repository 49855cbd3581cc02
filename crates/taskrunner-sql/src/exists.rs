//! [`table_exists`]: whether a SQL data node's table is there, for the
//! `Exists` precondition (dp-object-exists.md on a `SqlDataNode` or
//! `MySqlDataNode`).
//!
//! The node's `table` (optionally qualified as `schema.table`, or with the
//! node's `schemaName`) is looked up in the server's catalog rather than by
//! querying the table, so that an empty table still exists and a table the
//! login may not read still counts as there.

use sqlx::Row;

use crate::database::{Connection, DatabaseConfig, DatabaseError, RdsEndpoints};
use crate::error::FieldError;
use crate::error_id;
use crate::object::{Object, Objects};
use crate::script::database_reason;

/// Why [`table_exists`] could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableExistsError {
    /// The node or its database is missing a field or names an unknown
    /// object; fix the definition.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The database could not be named or reached (wrong login, unreachable
    /// host, another driver); the message says which and why.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// The catalog query itself failed; the message holds the server's code
    /// and reason.
    #[error("cannot look up table `{table}` on {engine}: {reason}")]
    Query {
        /// The table as the node names it.
        table: String,
        /// `MySQL` or `PostgreSQL`.
        engine: &'static str,
        /// The server's or the driver's reason.
        reason: String,
    },
}

impl TableExistsError {
    /// The errorId for the task's status: the connection's errorIds for a
    /// database that cannot be reached, [`EXISTS_CHECK_FAILED`] for a
    /// failed lookup.
    ///
    /// [`EXISTS_CHECK_FAILED`]: error_id::EXISTS_CHECK_FAILED
    pub fn error_id(&self) -> &'static str {
        match self {
            Self::Field(error) => error.error_id(),
            Self::Database(error) => error.error_id(),
            Self::Query { .. } => error_id::EXISTS_CHECK_FAILED,
        }
    }
}

/// Whether the table of the SQL data node `node_id` exists on the node's
/// database: `Ok(true)` when it does, `Ok(false)` when the catalog has no
/// such table (or view).
///
/// The table is `schemaName.table` when the node has a `schemaName`, else
/// `table` as written: PostgreSQL resolves it as SQL would (an unqualified
/// name through the `search_path`, unquoted names folded to lower case);
/// MySQL looks it up in the connection's database, or in the schema before
/// the `.`.
///
/// # Errors
///
/// [`TableExistsError::Field`] when the task does not carry `node_id` or the
/// node has no `table`; [`TableExistsError::Database`] when the database
/// cannot be named or reached; [`TableExistsError::Query`] when the lookup
/// fails.
pub async fn table_exists(
    objects: &Objects,
    node_id: &str,
    rds: &RdsEndpoints,
) -> Result<bool, TableExistsError> {
    let node = objects.get(node_id).ok_or_else(|| FieldError::Dangling {
        object: objects.attempt().id.clone(),
        field: "node".to_owned(),
        target: node_id.to_owned(),
    })?;
    let table = qualified_table(node)?;
    let config = rds
        .resolving(|rds| DatabaseConfig::for_node(node, objects, rds))
        .await?;
    let mut connection = Connection::open(&config).await?;
    let engine = connection.engine().name();
    lookup(&mut connection, &table)
        .await
        .map_err(|error| TableExistsError::Query {
            table,
            engine,
            reason: database_reason(&error),
        })
}

/// A SQL data node's table as SQL names it: `schemaName.table` when the
/// node has a `schemaName` (on MySQL a schema is a database), else `table`
/// as written. Loads, the default `selectQuery` and `createTableSql`'s
/// check use the same name, so that all of them mean one table.
///
/// # Errors
///
/// [`FieldError::Missing`] when the node has no `table`.
pub(crate) fn qualified_table(node: &Object) -> Result<String, FieldError> {
    let table = node.required("table")?;
    Ok(match node.field("schemaName") {
        Some(schema) => format!("{schema}.{table}"),
        None => table.to_owned(),
    })
}

/// Whether `table` (as [`qualified_table`] names it) is in the catalog of
/// the database `connection` is on.
pub(crate) async fn lookup(connection: &mut Connection, table: &str) -> Result<bool, sqlx::Error> {
    match connection {
        Connection::Postgres(connection) => {
            // to_regclass parses the name as SQL does and answers NULL
            // (not an error) for a table that is not there.
            sqlx::query("SELECT to_regclass($1) IS NOT NULL")
                .bind(table)
                .fetch_one(&mut *connection)
                .await
                .and_then(|row| row.try_get::<bool, _>(0))
        }
        Connection::MySql(connection) => {
            let (schema, name) = mysql_name(table);
            sqlx::query(
                "SELECT COUNT(*) > 0 FROM information_schema.tables \
                 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
            )
            .bind(schema)
            .bind(name)
            .fetch_one(&mut *connection)
            .await
            .and_then(|row| row.try_get::<i64, _>(0))
            .map(|count| count != 0)
        }
    }
}

/// A MySQL table name split into its schema (when qualified) and name,
/// without backquotes.
fn mysql_name(table: &str) -> (Option<String>, String) {
    let unquote = |part: &str| part.trim().trim_matches('`').replace("``", "`");
    match table.split_once('.') {
        Some((schema, name)) if !table.starts_with('`') || schema.ends_with('`') => {
            (Some(unquote(schema)), unquote(name))
        }
        _ => (None, unquote(table)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_names_split_at_the_schema() {
        assert_eq!(mysql_name("events"), (None, "events".to_owned()));
        assert_eq!(
            mysql_name("`sales`.`events`"),
            (Some("sales".to_owned()), "events".to_owned())
        );
        assert_eq!(mysql_name("`a.b`"), (None, "a.b".to_owned()));
    }
}
