//! [`DatabaseError`]: a database could not be named or reached.

use super::rds_api::RdsLookupError;
use crate::error::FieldError;
use crate::error_id;

/// A database could not be named or reached. Messages name the host, port,
/// user and database, and never the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// A field of the database object is missing or unusable.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The connection string or `jdbcDriverJarUri` names a driver that is not
    /// built in. Use a `jdbc:mysql://` or `jdbc:postgresql://` string.
    #[error("object `{object}`: {what} is not built into this runner; the built-in drivers are MySQL/MariaDB (jdbc:mysql://) and PostgreSQL (jdbc:postgresql://)")]
    DriverNotBuiltIn {
        /// The database object's id.
        object: String,
        /// What was asked for (a driver name, a driver jar, a type).
        what: String,
    },
    /// An `RdsDatabase`'s endpoint is not known: no override names it and
    /// the runner has no RDS API access (`taskrunner local`, or an
    /// embedding without an AWS configuration).
    #[error("object `{object}`: RDS instance `{instance}` is not resolvable: this runner has no RDS API access here; set TASKRUNNER_RDS_ENDPOINT_{instance}=jdbc:mysql://host:port (or jdbc:postgresql://host:port) for the runner, or use a JdbcDatabase")]
    RdsEndpointUnknown {
        /// The database object's id.
        object: String,
        /// The `rdsInstanceId`.
        instance: String,
    },
    /// The RDS API could not give an `RdsDatabase`'s endpoint; the errorId
    /// says why ([`RdsLookupError::error_id`]).
    #[error("object `{object}`: RDS instance `{instance}` in region `{region}`: {failure}")]
    RdsLookup {
        /// The database object's id.
        object: String,
        /// The `rdsInstanceId`.
        instance: String,
        /// The region asked (the object's `region`, else the runner's).
        region: String,
        /// What went wrong (boxed: it would double the size of every
        /// `Result` carrying this error).
        failure: Box<RdsLookupError>,
    },
    /// The server could not be reached, or refused the login.
    #[error("cannot connect to {engine} database `{database}` at {host}:{port} as user `{user}`: {reason}")]
    Connect {
        /// `MySQL` or `PostgreSQL`.
        engine: &'static str,
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// The user.
        user: String,
        /// The database name (empty for the server's default).
        database: String,
        /// The driver's or the server's reason (never holds the password).
        reason: String,
    },
}

impl DatabaseError {
    /// The errorId for the task's status.
    pub fn error_id(&self) -> &'static str {
        match self {
            Self::Field(error) => error.error_id(),
            Self::DriverNotBuiltIn { .. } => error_id::DRIVER_NOT_BUILT_IN,
            Self::RdsEndpointUnknown { .. } => error_id::RDS_ENDPOINT_UNKNOWN,
            Self::RdsLookup { failure, .. } => failure.error_id(),
            Self::Connect { .. } => error_id::CONNECT_FAILED,
        }
    }
}
