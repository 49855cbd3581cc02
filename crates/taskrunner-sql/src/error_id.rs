//! The errorIds a SQL or copy task can end `FAILED` with. They are stable:
//! users match on them in `onFail` actions and alarms.

/// A field of the activity, a data node, a data format or a database is
/// missing or unusable.
pub const INVALID_FIELD: &str = "InvalidSqlTaskFields";
/// The database names a driver this runner does not have built in
/// (only MySQL/MariaDB and PostgreSQL are).
pub const DRIVER_NOT_BUILT_IN: &str = "JdbcDriverNotBuiltIn";
/// An `RdsDatabase`'s endpoint is not known to this runner: no override
/// and no RDS API access (`taskrunner local`).
pub const RDS_ENDPOINT_UNKNOWN: &str = "RdsEndpointNotResolvable";
/// `DescribeDBInstances` knows no such instance in the region asked.
pub const RDS_INSTANCE_NOT_FOUND: &str = "RdsInstanceNotFound";
/// The RDS instance has no endpoint yet (still `creating`, …).
pub const RDS_INSTANCE_NOT_AVAILABLE: &str = "RdsInstanceNotAvailable";
/// The RDS API refused the runner's credentials or the call.
pub const RDS_ACCESS_DENIED: &str = "RdsAccessDenied";
/// The runner has no AWS credentials to call the RDS API with.
pub const RDS_NO_CREDENTIALS: &str = "RdsNoCredentials";
/// Another RDS API error, or no answer from it.
pub const RDS_API_FAILED: &str = "RdsApiFailed";
/// The database could not be reached or refused the login.
pub const CONNECT_FAILED: &str = "DatabaseConnectFailed";
/// A statement of a `SqlActivity` script failed in the database.
pub const STATEMENT_FAILED: &str = "SqlStatementFailed";
/// `scriptArgument` values do not match the script's `?` placeholders.
pub const ARGUMENTS_MISMATCH: &str = "SqlScriptArgumentsMismatch";
/// A script, input or output object could not be transferred.
pub const TRANSFER_FAILED: &str = "CopyTransferFailed";
/// `s3://` was named but this runner has no S3 access configured.
pub const S3_NOT_CONFIGURED: &str = "S3NotConfigured";
/// An input record does not fit its data format (wrong column count,
/// an unterminated quote, …).
pub const BAD_RECORD: &str = "CopyBadRecord";
/// The database refused the data of a copy, or a query of it failed.
pub const COPY_DATABASE_FAILED: &str = "CopyDatabaseFailed";
/// The combination of input and output is not one this runner copies.
pub const COPY_NOT_SUPPORTED: &str = "CopyNotSupported";
/// The `Exists` precondition could not look up a SQL data node's table
/// (the same errorId as the runner's other failed `Exists` checks).
pub const EXISTS_CHECK_FAILED: &str = "ExistsCheckFailed";
/// An output SQL data node's `createTableSql` failed in the database (or
/// the check whether its table exists did).
pub const CREATE_TABLE_FAILED: &str = "SqlCreateTableFailed";
/// An input S3 data node's `manifestFilePath` is not a usable manifest, or
/// a file it marks mandatory does not exist.
pub const MANIFEST_FAILED: &str = "CopyManifestFailed";
