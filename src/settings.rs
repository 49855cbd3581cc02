//! What the binary runs with, derived once from the parsed flags
//! ([`crate::flags`]): defaults that depend on the mode or on other flags,
//! values derived from others (the shell's kill grace from the runner's
//! cancel grace), the credentials file merged under the flags, and every
//! check across flags, each failure a [`SettingsError`] naming the flag.
//!
//! Runtime objects (AWS clients, S3 storage, the runner) are not settings:
//! the modes build them from these, in `run.rs` and `local.rs`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use taskrunner_shell::DEFAULT_KILL_GRACE;

use crate::credentials_file::{CredentialsFile, CredentialsFileError};
use crate::flags::{Cli, Command, LocalArgs, LogFormat, RunArgs, Tuning};
use crate::log_upload;
use crate::proxy::{Proxy, ProxyFlagError};

/// Run mode's log directory when `--output` is not given: the Java runner's,
/// relative to where it runs (dp-how-task-runner-user-managed.md).
pub(crate) const DEFAULT_OUTPUT: &str = "output/logs";

/// The region the Java runner uses when neither the flags, the credentials
/// file nor the AWS environment name one.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// The exit code for flags that cannot be acted on (docs/GUIDE.md, "Exit
/// codes"), as clap exits for flags it refuses.
const BAD_FLAGS: u8 = 2;
/// The exit code when the runner cannot start.
const CANNOT_START: u8 = 1;

/// Why the flags cannot be run with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SettingsError {
    /// A proxy flag cannot be acted on: the message says which and what to
    /// give instead.
    #[error(transparent)]
    Proxy(#[from] ProxyFlagError),
    /// `--config` names a file that cannot be used.
    #[error(transparent)]
    CredentialsFile(#[from] CredentialsFileError),
    /// Only one of `--accessId` and `--secretKey` (after the credentials
    /// file's keys) is given.
    #[error("--accessId and --secretKey go together: give both, or neither to use the standard AWS credential chain")]
    HalfCredentials,
    /// `--logUri` (or the credentials file's `log-uri`) is not an `s3://` URI.
    #[error("{0:#}")]
    LogUri(anyhow::Error),
    /// `--time-scale` is not a positive number.
    #[error("--time-scale must be a positive number, got {0}")]
    TimeScale(f64),
}

impl SettingsError {
    /// The process's exit code for this error (docs/GUIDE.md, "Exit codes").
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Proxy(_) => BAD_FLAGS,
            // Refused at start as they always were (exit 1), before the
            // distinction between bad flags and a failed start was drawn.
            Self::CredentialsFile(_)
            | Self::HalfCredentials
            | Self::LogUri(_)
            | Self::TimeScale(_) => CANNOT_START,
        }
    }
}

/// Everything the binary runs with.
#[derive(Debug)]
pub(crate) struct Settings {
    /// How logs are written.
    pub(crate) log: LogSettings,
    /// The mode and its settings.
    pub(crate) mode: Mode,
    /// Flags and keys accepted but not acted on, to log once logging is up.
    pub(crate) warnings: Vec<String>,
}

/// The two modes.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per process, made and taken apart once"
)]
pub(crate) enum Mode {
    /// `taskrunner --workerGroup …`: tasks of the Data Pipeline service.
    Run(RunSettings),
    /// `taskrunner local DEFINITION.json`.
    Local(LocalSettings),
}

/// How logs are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogSettings {
    /// Text or JSON on standard error.
    pub(crate) format: LogFormat,
    /// The directory of the hourly log files and attempt logs, if any: run
    /// mode writes to [`DEFAULT_OUTPUT`] unless told otherwise, `local` only
    /// when told.
    pub(crate) output: Option<PathBuf>,
    /// The level when `RUST_LOG` is not set: `local` draws its own view on
    /// standard output, so only warnings belong beside it.
    pub(crate) default_level: &'static str,
}

/// What the runner itself is tuned with, in both modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunnerSettings {
    /// How often a running task's progress is reported.
    pub(crate) progress_interval: Duration,
    /// How long tasks in flight may run on at shutdown.
    pub(crate) drain_timeout: Duration,
    /// How long a canceled task may take to stop.
    pub(crate) cancel_grace: Duration,
    /// Where tasks' working directories are made (`None`: the temp dir).
    pub(crate) work_dir: Option<PathBuf>,
}

/// What the shell activities are configured with, storage aside (a runtime
/// object the mode builds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellSettings {
    /// Whether commands get the runner's own AWS credentials.
    pub(crate) pass_aws_credentials: bool,
    /// Between SIGTERM and SIGKILL for a canceled command: it must end
    /// inside the runner's cancel grace, so half of it at most.
    pub(crate) kill_grace: Duration,
    /// The most bytes an attempt writes to each of its output files.
    pub(crate) max_output_bytes: u64,
    /// Where each attempt's stdout and stderr go when its object names
    /// neither (laid out `PIPELINE/COMPONENT/INSTANCE/ATTEMPT/`).
    pub(crate) attempt_log_uri: Option<String>,
    /// Where the attempt logs are copied once a command ends (`--logUri`).
    pub(crate) attempt_log_copies: Vec<String>,
}

/// Run mode's settings.
#[derive(Debug)]
pub(crate) struct RunSettings {
    /// The worker group polled.
    pub(crate) worker_group: String,
    /// The region of the flags or the credentials file; `None` leaves it to
    /// the AWS environment, then [`DEFAULT_REGION`].
    pub(crate) region: Option<String>,
    /// The Data Pipeline endpoint, if not AWS's.
    pub(crate) endpoint: Option<String>,
    /// An access key pair of the flags or the credentials file; `None`
    /// leaves credentials to the standard AWS chain.
    pub(crate) credentials: Option<StaticCredentials>,
    /// Where the runner's log files go in S3, and who said so.
    pub(crate) log_uri: Option<(String, log_upload::Source)>,
    /// Where the AWS calls go through.
    pub(crate) proxy: Proxy,
    /// The runner's id (default: a new UUID, made by the runner).
    pub(crate) taskrunner_id: Option<String>,
    /// The host name sent with polls (default: this host's).
    pub(crate) hostname: Option<String>,
    /// Tasks at once, and polls in flight.
    pub(crate) tasks: usize,
    /// Preconditions at once beside `tasks`.
    pub(crate) precondition_tasks: usize,
    /// The metrics and health server's address, if any.
    pub(crate) metrics_addr: Option<SocketAddr>,
    /// The S3 endpoint, for S3-compatible stores.
    pub(crate) s3_endpoint: Option<String>,
    /// The runner's tuning.
    pub(crate) runner: RunnerSettings,
    /// The shell activities' settings.
    pub(crate) shell: ShellSettings,
}

/// An access key pair given to the runner (never printed).
#[derive(Clone)]
pub(crate) struct StaticCredentials {
    /// The access key id.
    pub(crate) access_id: String,
    /// The secret access key.
    pub(crate) secret_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    // By hand: the derived form would print the secret.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StaticCredentials")
            .field("access_id", &self.access_id)
            .finish_non_exhaustive()
    }
}

/// `local` mode's settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LocalSettings {
    /// The definition file.
    pub(crate) definition: PathBuf,
    /// The pipeline's name: the definition file's stem.
    pub(crate) name: String,
    /// `--parameter-values`, as typed.
    pub(crate) parameter_values: Vec<String>,
    /// `--parameter-values-uri`.
    pub(crate) parameter_values_uri: Option<String>,
    /// `--parameter-objects`.
    pub(crate) parameter_objects: Option<String>,
    /// Periods an endless schedule runs.
    pub(crate) periods: u32,
    /// Tasks at once.
    pub(crate) tasks: usize,
    /// Pipeline seconds per wall-clock second (positive, finite).
    pub(crate) time_scale: f64,
    /// How long the run may take.
    pub(crate) timeout: Duration,
    /// Whether the service stays up after the run.
    pub(crate) serve: bool,
    /// The local service's port (0: a free one).
    pub(crate) port: u16,
    /// Where `s3://` goes.
    pub(crate) store: LocalStore,
    /// The directory under which each pipeline's attempt logs are kept.
    pub(crate) attempt_logs_root: PathBuf,
    /// The runner's tuning.
    pub(crate) runner: RunnerSettings,
    /// The shell activities' settings (attempt logs set per pipeline, see
    /// [`LocalSettings::shell_for`]).
    pub(crate) shell: ShellSettings,
}

/// Where a local run's `s3://` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LocalStore {
    /// `--s3-endpoint`: the user's own store.
    Endpoint(String),
    /// An embedded store over this directory (absolute).
    Embedded(PathBuf),
}

impl Settings {
    /// Derives the settings of `flags`; run mode reads `--config`.
    ///
    /// # Errors
    /// A flag (or the credentials file) that cannot be acted on; see
    /// [`SettingsError`].
    pub(crate) fn derive(flags: Cli) -> Result<Self, SettingsError> {
        let local = flags.command.is_some();
        let log = LogSettings {
            format: flags.logging.format,
            output: flags
                .logging
                .output
                .or_else(|| (!local).then(|| PathBuf::from(DEFAULT_OUTPUT))),
            default_level: if local { "warn" } else { "info" },
        };
        let mut warnings = Vec::new();
        let mode = match flags.command {
            Some(Command::Local(arguments)) => Mode::Local(LocalSettings::derive(arguments)?),
            None => Mode::Run(RunSettings::derive(
                &flags.run,
                log.output.as_deref(),
                &mut warnings,
            )?),
        };
        Ok(Self {
            log,
            mode,
            warnings,
        })
    }
}

impl RunnerSettings {
    fn derive(tuning: &Tuning) -> Self {
        Self {
            progress_interval: tuning.progress_interval,
            drain_timeout: tuning.drain_timeout,
            cancel_grace: tuning.cancel_grace,
            work_dir: tuning.work_dir.clone(),
        }
    }
}

impl ShellSettings {
    /// The shell settings of `tuning`, with no attempt logs yet.
    fn derive(tuning: &Tuning) -> Self {
        Self {
            pass_aws_credentials: tuning.pass_aws_credentials,
            kill_grace: DEFAULT_KILL_GRACE.min(tuning.cancel_grace / 2),
            max_output_bytes: tuning.max_output_bytes,
            attempt_log_uri: None,
            attempt_log_copies: Vec::new(),
        }
    }
}

impl RunSettings {
    /// Run mode's settings: the flags first, then the credentials file.
    fn derive(
        arguments: &RunArgs,
        output: Option<&Path>,
        warnings: &mut Vec<String>,
    ) -> Result<Self, SettingsError> {
        // Before the file: a refused flag is the first thing to fix.
        let proxy = Proxy::from_arguments(arguments)?;
        if arguments.jdbc_driver_s3_path.is_some() {
            warnings.push(
                "--jdbcDriverS3Path is accepted for compatibility but has no effect: only the built-in MySQL/MariaDB and PostgreSQL drivers are used"
                    .to_owned(),
            );
        }
        let file = match &arguments.config {
            Some(path) => CredentialsFile::read(path)?,
            None => CredentialsFile::default(),
        };
        warnings.extend(file.unknown.keys().map(|key| {
            format!("the credentials file has a key this runner does not use; ignored: {key}")
        }));
        let access_id = arguments.access_id.clone().or(file.access_id);
        let secret_key = arguments.secret_key.clone().or(file.private_key);
        let credentials = match (access_id, secret_key) {
            (Some(access_id), Some(secret_key)) => Some(StaticCredentials {
                access_id,
                secret_key,
            }),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => return Err(SettingsError::HalfCredentials),
        };
        let log_uri = match (arguments.log_uri.clone(), file.log_uri) {
            (Some(uri), _) => Some((uri, log_upload::Source::Flag)),
            (None, Some(uri)) => Some((uri, log_upload::Source::CredentialsFile)),
            (None, None) => None,
        };
        if let Some((uri, source)) = &log_uri {
            log_upload::check(uri, *source).map_err(SettingsError::LogUri)?;
        }
        let shell = ShellSettings {
            // Each attempt's output is kept under --output, and copied under
            // the log URI (and the pipeline's pipelineLogUri), as the Java
            // runner does.
            attempt_log_uri: output.map(|directory| directory.display().to_string()),
            attempt_log_copies: log_uri.iter().map(|(uri, _)| uri.clone()).collect(),
            ..ShellSettings::derive(&arguments.tuning)
        };
        Ok(Self {
            // clap requires it in run mode.
            worker_group: arguments.worker_group.clone().unwrap_or_default(),
            region: arguments.region.clone().or(file.region),
            endpoint: arguments.endpoint.clone().or(file.endpoint),
            credentials,
            log_uri,
            proxy,
            taskrunner_id: arguments.taskrunner_id.clone(),
            hostname: arguments.hostname.clone(),
            tasks: usize::from(arguments.tasks),
            precondition_tasks: usize::from(arguments.precondition_tasks),
            metrics_addr: arguments.tuning.metrics_addr,
            s3_endpoint: arguments.tuning.s3_endpoint.clone(),
            runner: RunnerSettings::derive(&arguments.tuning),
            shell,
        })
    }
}

impl LocalSettings {
    /// `local` mode's settings.
    fn derive(arguments: LocalArgs) -> Result<Self, SettingsError> {
        if !(arguments.time_scale.is_finite() && arguments.time_scale > 0.0) {
            return Err(SettingsError::TimeScale(arguments.time_scale));
        }
        let name = arguments.definition.file_stem().map_or_else(
            || "pipeline".to_owned(),
            |stem| stem.to_string_lossy().into_owned(),
        );
        let local_root = arguments
            .tuning
            .work_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir)
            .join("taskrunner-local");
        let store = match &arguments.tuning.s3_endpoint {
            Some(endpoint) => LocalStore::Endpoint(endpoint.clone()),
            None => {
                let root = arguments
                    .s3_root
                    .clone()
                    .unwrap_or_else(|| local_root.join(&name).join("s3"));
                // Absolute, so that the line telling the user where it is
                // stays true wherever they read it from.
                LocalStore::Embedded(std::path::absolute(&root).unwrap_or(root))
            }
        };
        Ok(Self {
            name,
            parameter_values: arguments.parameter_values,
            parameter_values_uri: arguments.parameter_values_uri,
            parameter_objects: arguments.parameter_objects,
            periods: arguments.periods,
            tasks: usize::from(arguments.tasks),
            time_scale: arguments.time_scale,
            timeout: arguments.timeout,
            serve: arguments.serve,
            port: arguments.port,
            store,
            attempt_logs_root: local_root,
            runner: RunnerSettings::derive(&arguments.tuning),
            shell: ShellSettings::derive(&arguments.tuning),
            definition: arguments.definition,
        })
    }

    /// Where `pipeline`'s attempt logs are kept, laid out
    /// `COMPONENT/INSTANCE/ATTEMPT/`, so that the user can read every
    /// command's output after the run.
    pub(crate) fn attempt_logs(&self, pipeline: &str) -> PathBuf {
        self.attempt_logs_root.join(pipeline)
    }

    /// The shell settings for `pipeline`: its attempt logs under
    /// [`LocalSettings::attempt_logs`].
    pub(crate) fn shell_for(&self, pipeline: &str) -> ShellSettings {
        ShellSettings {
            attempt_log_uri: Some(self.attempt_logs(pipeline).display().to_string()),
            ..self.shell.clone()
        }
    }
}

#[cfg(test)]
mod tests;
