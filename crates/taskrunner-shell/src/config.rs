//! [`ShellConfig`]: how the shell activities run commands.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::Storage;

/// The default shell.
pub const DEFAULT_SHELL: &str = "/bin/sh";

/// The default time between SIGTERM and SIGKILL: short enough to finish
/// inside the runner's own cancel grace, so the runner never has to drop a
/// task whose processes are still alive.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(10);

/// The default number of stderr bytes kept for the errorMessage.
pub const DEFAULT_MAX_STDERR_TAIL: usize = 4096;

/// The default cap on the bytes one attempt writes to each output file.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 1024 * 1024 * 1024;

/// Settings shared by every task a shell activity runs.
///
/// Build it with struct-update syntax:
///
/// ```
/// use std::time::Duration;
/// use taskrunner_shell::ShellConfig;
///
/// let config = ShellConfig {
///     kill_grace: Duration::from_secs(5),
///     extra_env: [("TZ".to_owned(), "UTC".to_owned())].into(),
///     ..ShellConfig::default()
/// };
/// assert!(!config.pass_aws_credentials);
/// ```
#[derive(Debug, Clone)]
pub struct ShellConfig {
    /// The shell that runs `command` (as `SHELL -c COMMAND sh ARGS…`) and
    /// scripts (as `SHELL SCRIPT ARGS…`). Default [`DEFAULT_SHELL`].
    ///
    /// Give a full path: a bare name (`bash`) is searched for in the
    /// command's `PATH` by a `fork` of the runner instead of a `vfork`,
    /// which makes every start about three times as costly
    /// (docs/PERFORMANCE.md, shell-throughput).
    pub shell: PathBuf,
    /// How long the command's process group gets between SIGTERM and
    /// SIGKILL when the task is cancelled. Default [`DEFAULT_KILL_GRACE`];
    /// keep it below the runner's cancel grace.
    pub kill_grace: Duration,
    /// Whether the runner's `AWS_*` variables (credentials, profile,
    /// endpoints) reach the command. Default `false`: only `AWS_REGION` and
    /// `AWS_DEFAULT_REGION` do.
    pub pass_aws_credentials: bool,
    /// Variables added to every command's environment (after the inherited
    /// ones, before the documented `DATAPIPELINE_*` and staging variables,
    /// which win).
    pub extra_env: BTreeMap<String, String>,
    /// Variables of the runner's environment never passed to commands, e.g.
    /// the binary's own secrets.
    pub remove_env: Vec<String>,
    /// Storage for `s3://` URIs. Default `None`: such URIs fail with errorId
    /// [`S3NotConfigured`](crate::error_id::S3_NOT_CONFIGURED).
    pub storage: Option<Arc<dyn Storage>>,
    /// How many trailing bytes of stderr are kept in memory for the
    /// errorMessage. Default [`DEFAULT_MAX_STDERR_TAIL`].
    pub max_stderr_tail: usize,
    /// Whether to keep each attempt's working directory (staged data, the
    /// fetched script) after the run, e.g. for debugging. Default `false`:
    /// it is removed once the command has ended.
    pub keep_working_dir: bool,
    /// Where each attempt's stdout and stderr go when its object names no
    /// `stdout` / `stderr`: `PREFIX/PIPELINE_ID/COMPONENT/INSTANCE/ATTEMPT/StdOutput`
    /// (and `…/StdError`, the Java Task Runner's names), as Data Pipeline
    /// lays out `pipelineLogUri`. A local directory, `file://` or `s3://`
    /// (which needs [`storage`](Self::storage)). Default `None`: such
    /// output is discarded.
    pub attempt_log_uri: Option<String>,
    /// Prefixes the attempt logs are copied to, in the same layout, once
    /// the command has ended, when [`attempt_log_uri`](Self::attempt_log_uri)
    /// is local (e.g. the runner's `--logUri`). The attempt's own
    /// `pipelineLogUri` field is always one of them. Copies are best
    /// effort: a failure is logged, never the task's outcome.
    pub attempt_log_copies: Vec<String>,
    /// The most bytes one attempt writes to each of its stdout and stderr
    /// files (a local path, the spool of an `s3://` upload, an attempt
    /// log). Past it the file gets a one-line truncation marker, the rest
    /// of the stream is read and discarded (the command is not stopped),
    /// the runner logs a warning and a `FAILED` errorMessage says which
    /// stream was cut. Default [`DEFAULT_MAX_OUTPUT_BYTES`] (1 GiB);
    /// `u64::MAX` for no limit. A local file appended to by several
    /// attempts grows by at most this much per attempt.
    pub max_output_bytes: u64,
}

impl Default for ShellConfig {
    fn default() -> Self {
        Self {
            shell: PathBuf::from(DEFAULT_SHELL),
            kill_grace: DEFAULT_KILL_GRACE,
            pass_aws_credentials: false,
            extra_env: BTreeMap::new(),
            remove_env: Vec::new(),
            storage: None,
            max_stderr_tail: DEFAULT_MAX_STDERR_TAIL,
            keep_working_dir: false,
            attempt_log_uri: None,
            attempt_log_copies: Vec::new(),
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
        }
    }
}
