//! The built-in shell activities of the `taskrunner` binary:
//! [`ShellCommandActivity`] and [`ShellCommandPrecondition`], the two object
//! types the Java Task Runner executes, as
//! [`Activity`](taskrunner_activity::Activity) implementations.
//!
//! This crate sits on `taskrunner-activity` (the trait, the task context)
//! and knows nothing of the runner: the binary registers the activities by
//! object type on its `taskrunner::Runner` builder and, when it can reach
//! Amazon S3, supplies a [`Storage`] for `s3://` URIs.
//!
//! # Fields
//!
//! Both read the attempt object:
//!
//! | field | meaning |
//! |---|---|
//! | `command` | run as `SHELL -c COMMAND sh ARG1 ARG2 …` |
//! | `scriptUri` | a local path, `file://` or `s3://` URI; copied into the working directory and run as `SHELL SCRIPT ARG1 …` |
//! | `scriptArgument` | repeated: `$1`, `$2`, … in order, passed verbatim (never parsed by a shell) |
//! | `stdout`, `stderr` | a local path (appended to, parent directories created) or an `s3://` URI (uploaded after the run); unset: stdout goes to `/dev/null` (or to the attempt log, when the runner keeps them), stderr is only kept as its tail; at most [`ShellConfig::max_output_bytes`] per attempt each |
//! | `stage` | `true`: `input`/`output` data nodes staged (see below) |
//! | `input`, `output` | references to data nodes with a `directoryPath` or `filePath` |
//!
//! Exactly one of `command` and `scriptUri` must be set, else the task fails
//! with errorId [`InvalidShellCommand`](error_id::INVALID_SHELL_COMMAND). An
//! `s3://` URI anywhere with no [`ShellConfig::storage`] fails with
//! [`S3NotConfigured`](error_id::S3_NOT_CONFIGURED) before anything runs.
//!
//! With `stage` = `true`, the *n*-th `input` gets a directory named by
//! `INPUT<n>_STAGING_DIR` and filled from its data node before the command;
//! the *n*-th `output` gets `OUTPUT<n>_STAGING_DIR`, copied to its data node
//! after the command exits 0.
//!
//! # Outcomes
//!
//! | command | ShellCommandActivity | ShellCommandPrecondition |
//! |---|---|---|
//! | exits 0 | `FINISHED` | `FINISHED` |
//! | exits non-zero | `FAILED`, [`ShellCommandFailed`](error_id::SHELL_COMMAND_FAILED) | `FALSE` |
//! | killed by a signal | `FAILED`, `ShellCommandFailed` | `FAILED`, `ShellCommandFailed` |
//!
//! The `ShellCommandFailed` errorMessage is `command exited with status N`
//! (with `(a shell's status for a command killed by signal 9 (SIGKILL))`
//! for 128 + a signal number) or `command killed by signal 9 (SIGKILL)`
//! (`, core dumped` when it did); then `; stdout truncated after N bytes
//! (the output limit)` for each capped stream, `; killed N processes it
//! left running outside its process group` when it left any; then
//! `; stderr: ` and the last [`ShellConfig::max_stderr_tail`] bytes of
//! stderr, as text within the model's pattern (invalid UTF-8 and control
//! characters become `�`). The errorStackTrace is the last 1,024
//! characters of that tail. Failures around the command
//! (fetching the script, staging, writing output, starting the shell) have
//! their own [`error_id`]s.
//!
//! # The working directory
//!
//! Each attempt runs in its task's scratch directory
//! ([`TaskContext::scratch_dir`](taskrunner_activity::TaskContext::scratch_dir)),
//! which also holds the staging directories and the fetched script. It is
//! removed after the run (also after a cancellation, and also when the
//! command made it read-only, but not when the task future is dropped
//! mid-run) unless [`ShellConfig::keep_working_dir`].
//!
//! A directory the command left empty, with its mode unchanged, is not
//! removed but kept as a hidden spare (`.spare-<runner pid>-<n>` in the
//! scratch root, at most 64) and renamed into place for the next attempt:
//! the next command finds exactly what a new directory would be, and the
//! runner saves an inode allocation and release per attempt, the largest
//! single cost of a short command on a busy ext4. Spares are removed when
//! the activity is dropped; a runner that is killed leaves them behind.
//!
//! # The environment
//!
//! Deliberate and documented: the runner's environment minus its AWS
//! credentials, plus variables describing the task.
//!
//! - Inherited, as the runner's environment was when the activity was
//!   made ([`ShellCommandActivity::new`]): everything (`PATH`, `HOME`,
//!   `LANG`, …) except `AWS_*` variables other than `AWS_REGION`/`AWS_DEFAULT_REGION` — access keys,
//!   session tokens, profiles, credential files, container and web-identity
//!   credentials, endpoint overrides — unless
//!   [`ShellConfig::pass_aws_credentials`]; and except
//!   [`ShellConfig::remove_env`].
//! - Added: [`ShellConfig::extra_env`]; then `DATAPIPELINE_PIPELINE_ID`,
//!   `DATAPIPELINE_ATTEMPT_ID`, `DATAPIPELINE_WORKING_DIR`,
//!   `DATAPIPELINE_OBJECT_ID` (`@componentParent`),
//!   `DATAPIPELINE_INSTANCE_ID` (`@instanceParent`),
//!   `DATAPIPELINE_SCHEDULED_START_TIME` and
//!   `DATAPIPELINE_SCHEDULED_END_TIME` (the last four when the attempt
//!   carries them); then the staging directories; then
//!   `TASKRUNNER_ATTEMPT_TOKEN`, a value unique to the attempt by which the
//!   runner finds the command's processes (see below).
//! - Never: the task id (the lease's handle). stdin is `/dev/null`.
//!
//! # Stopping
//!
//! The shell leads a process group of its own, so everything it starts can
//! be signalled at once. When the task is cancelled (by the service, a lost
//! lease, a timeout or shutdown):
//!
//! 1. SIGTERM (and SIGCONT) to the whole group;
//! 2. wait until every process in the group has exited (the shell's
//!    children too, which may still be cleaning up after the shell died), at most
//!    [`ShellConfig::kill_grace`] (default 10 s, below the runner's own
//!    cancel grace);
//! 3. SIGKILL to whatever is left; reap the shell;
//! 4. fail with [`Cancelled`](taskrunner_activity::Cancelled), carrying the reason.
//!
//! When the shell exits on its own, whatever it left running in its group
//! (`sleep 100 &`) is SIGKILLed. If the task future is dropped mid-run, the
//! group is SIGKILLed and tokio reaps the shell.
//!
//! Processes that leave the group (`setsid`, `set -m`, daemons) are found
//! by their `TASKRUNNER_ATTEMPT_TOKEN` in `/proc/PID/environ` and SIGKILLed
//! right after the group, in every one of those cases: nothing the command
//! started is left running when the attempt ends. What still escapes — a
//! process started with a fresh environment (`env -i`, `systemd-run`,
//! `ssh`), one that overwrites its environment block, one of another user
//! — is listed in `docs/ACTIVITIES.md`, "Hostile commands".
//!
//! # Output
//!
//! Output is streamed through a buffer of 1,000 bytes, grown to 64 KiB for
//! a command that writes more at once, never held: memory stays
//! flat whatever a command writes. Each file an attempt writes (a local
//! `stdout`/`stderr`, an `s3://` spool, an attempt log) takes at most
//! [`ShellConfig::max_output_bytes`] (default 1 GiB), then a one-line
//! truncation marker; the rest of the stream is read and discarded, so the
//! command never blocks on a full pipe and is not killed for it.
//!
//! # Scripts
//!
//! A `scriptUri` must name a regular file of at most 16 MiB; a directory or
//! a larger file fails with `ScriptFetchFailed` (a local one before it is
//! copied, an `s3://` one once downloaded, and it is deleted).
//!
//! # Example
//!
//! ```
//! use taskrunner_activity::{Activity, Outcome, TaskContext};
//! use taskrunner_api::{Field, Task, TaskObject};
//! use taskrunner_shell::{ShellCommandActivity, ShellConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), taskrunner_activity::BoxError> {
//! let activity = ShellCommandActivity::new(ShellConfig::default());
//!
//! let attempt = TaskObject::new("@Hello_Attempt=1", "Hello")
//!     .with_field(Field::string("type", "ShellCommandActivity"))
//!     .with_field(Field::string("command", r#"test "$1" = "hello world""#))
//!     .with_field(Field::string("scriptArgument", "hello world"));
//! let task = Task::new("opaque", "df-EXAMPLE", "@Hello_Attempt=1").with_object(attempt);
//!
//! let outcome = activity.run(TaskContext::builder(task).build()).await?;
//! assert_eq!(outcome, Outcome::Finished);
//! # Ok(())
//! # }
//! ```

mod activity;
mod attempt_logs;
mod command;
mod config;
mod dev_null;
mod environment;
mod error;
pub mod error_id;
mod escapees;
mod execution;
mod output;
mod precondition;
mod proc_files;
mod process;
mod recent_pids;
mod resources;
mod script;
mod spare_dirs;
mod staging;
mod storage;
mod tail;
mod workdir;

pub use activity::ShellCommandActivity;
pub use config::{
    ShellConfig, DEFAULT_KILL_GRACE, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_STDERR_TAIL,
    DEFAULT_SHELL,
};
pub use precondition::ShellCommandPrecondition;
pub use storage::{Storage, StorageError};
