//! The errorIds this crate reports with SetTaskStatus `FAILED`.
//!
//! They are stable: pipelines' `onFail` alarms and operators' dashboards
//! match on them. Each says which step went wrong; the errorMessage names the
//! offending field, path or URI.

/// The command fields are unusable: both or neither of `command` and
/// `scriptUri`, an unparsable `stage`, an unsupported URI scheme, …
/// Fix the pipeline definition; a retry cannot help.
pub const INVALID_SHELL_COMMAND: &str = "InvalidShellCommand";

/// A field names an `s3://` URI but the runner has no
/// [`Storage`](crate::Storage) configured. Configure one, or use local paths
/// with a `workerGroup`.
pub const S3_NOT_CONFIGURED: &str = "S3NotConfigured";

/// The command ran and exited non-zero or was killed by a signal; the
/// errorMessage has the status and the stderr tail.
pub const SHELL_COMMAND_FAILED: &str = "ShellCommandFailed";

/// The script named by `scriptUri` could not be fetched.
pub const SCRIPT_FETCH_FAILED: &str = "ScriptFetchFailed";

/// Copying staged `input` data in, or `output` data out, failed.
pub const STAGING_FAILED: &str = "StagingFailed";

/// The `stdout` or `stderr` destination could not be written or uploaded.
pub const OUTPUT_FAILED: &str = "OutputFailed";

/// The attempt's working directory could not be created.
pub const WORKING_DIRECTORY_FAILED: &str = "WorkingDirectoryFailed";

/// The shell could not be started (e.g. the configured shell does not
/// exist), or waiting for it failed.
pub const SHELL_SPAWN_FAILED: &str = "ShellSpawnFailed";
