//! The command line as typed: the Java Task Runner's flags (camelCase, as
//! its users type them, and kebab-case), our own flags, and the `local`
//! subcommand.
//!
//! Plain data, only what clap parses. What the program runs with (defaults
//! that depend on other flags, derived values, cross-flag checks) is derived
//! from these once, in [`crate::settings`]; runtime objects (clients, the
//! runner) are built from the settings by the modes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// An open task runner for AWS Data Pipeline: a drop-in for the Java Task
/// Runner (`java -jar TaskRunner-1.0.jar`), with the same flags.
///
/// Run against AWS:  taskrunner --workerGroup=my-group --region=eu-west-1
///
/// Try a pipeline with no AWS account:  taskrunner local pipeline.json
#[derive(Debug, Parser)]
#[command(
    name = "taskrunner",
    version,
    about,
    long_about,
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    #[command(flatten)]
    pub(crate) run: RunArgs,

    #[command(flatten)]
    pub(crate) logging: LogArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a pipeline definition end to end on an embedded local Data
    /// Pipeline service: no AWS account needed.
    Local(LocalArgs),
}

/// How logs are written.
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Log format on standard error: `text` (for people) or `json` (for log
    /// pipelines).
    #[arg(long = "log-format", alias = "logFormat", value_enum, default_value_t = LogFormat::Text, env = "TASKRUNNER_LOG_FORMAT", global = true)]
    pub(crate) format: LogFormat,

    /// Local log directory: hourly log files and each attempt's StdOutput
    /// and StdError, as the Java runner writes them. Run mode's default is
    /// output/logs under the current directory, as the Java runner's.
    #[arg(
        long = "output",
        value_name = "DIR",
        env = "TASKRUNNER_OUTPUT",
        global = true
    )]
    pub(crate) output: Option<PathBuf>,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Running against the Data Pipeline service.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The worker group to poll: must match the `workerGroup` of your
    /// activities exactly (and the region must match the pipeline's).
    #[arg(
        long = "workerGroup",
        alias = "worker-group",
        value_name = "NAME",
        env = "TASKRUNNER_WORKER_GROUP",
        required = true
    )]
    pub(crate) worker_group: Option<String>,

    /// The AWS region of the pipelines (default us-east-1, as the Java
    /// runner).
    #[arg(long, env = "TASKRUNNER_REGION")]
    pub(crate) region: Option<String>,

    /// The Data Pipeline endpoint URL, e.g. http://127.0.0.1:8990 for
    /// datapipeline-local.
    #[arg(long, value_name = "URL", env = "TASKRUNNER_ENDPOINT")]
    pub(crate) endpoint: Option<String>,

    /// This runner's id, unique in the account (default: a new UUID).
    #[arg(
        long = "taskrunnerId",
        alias = "taskrunner-id",
        value_name = "ID",
        env = "TASKRUNNER_ID"
    )]
    pub(crate) taskrunner_id: Option<String>,

    /// The host name sent with polls and heartbeats (default: this host's
    /// name); the service records it on the attempts this runner holds.
    /// Give each runner on one host its own to tell them apart.
    #[arg(long, value_name = "NAME", env = "TASKRUNNER_HOSTNAME")]
    pub(crate) hostname: Option<String>,

    /// How many tasks run at once (and polls in flight), as the Java
    /// runner's `--tasks`.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..), env = "TASKRUNNER_TASKS")]
    pub(crate) tasks: u16,

    /// How many preconditions run at once beside `--tasks`, as the Java
    /// runner's two precondition threads do (dp-taskrunner-threading.md;
    /// the Java runner has no flag for it). They poll while every task slot
    /// is busy, so a precondition never waits behind long activities. 0:
    /// preconditions share the task slots.
    #[arg(
        long = "precondition-tasks",
        default_value_t = 2,
        env = "TASKRUNNER_PRECONDITION_TASKS"
    )]
    pub(crate) precondition_tasks: u16,

    /// A credentials file as the Java runner reads it:
    /// {"access-id": "...", "private-key": "...", "endpoint": "...", "region": "...", "log-uri": "..."}.
    #[arg(long, value_name = "FILE", env = "TASKRUNNER_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// The access key id (prefer the credentials file or the standard AWS
    /// credential chain). `--accessID` works too: the Guide spells it both
    /// ways (dp-taskrunner-config-options.md).
    #[arg(long = "accessId", aliases = ["accessID", "access-id"], value_name = "ID")]
    pub(crate) access_id: Option<String>,

    /// The secret access key (prefer the credentials file or the standard
    /// AWS credential chain: a flag shows in `ps`).
    #[arg(
        long = "secretKey",
        alias = "secret-key",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub(crate) secret_key: Option<String>,

    /// S3 location for logs (`s3://bucket/prefix`): the hourly files of
    /// --output go to s3://bucket/prefix/<taskrunnerId>/, hourly and at
    /// exit; each attempt's StdOutput and StdError to
    /// prefix/<pipelineId>/<component>/<instance>/<attempt>/.
    #[arg(long = "logUri", alias = "log-uri", value_name = "URI")]
    pub(crate) log_uri: Option<String>,

    /// The HTTP proxy every Data Pipeline and S3 call goes through (a host
    /// name or address). Without it, HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and
    /// NO_PROXY apply, as for the AWS CLI; with it, only NO_PROXY does.
    #[arg(long = "proxyHost", alias = "proxy-host", value_name = "HOST")]
    pub(crate) proxy_host: Option<String>,

    /// The proxy's port (default 80).
    #[arg(long = "proxyPort", alias = "proxy-port", value_name = "PORT")]
    pub(crate) proxy_port: Option<u16>,

    /// The user name for the proxy's Basic authentication.
    #[arg(long = "proxyUsername", alias = "proxy-username", value_name = "NAME")]
    pub(crate) proxy_username: Option<String>,

    /// The password for the proxy's Basic authentication (never logged;
    /// a flag shows in `ps`, so prefer HTTPS_PROXY=http://user:password@host:port
    /// in the environment).
    #[arg(
        long = "proxyPassword",
        alias = "proxy-password",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub(crate) proxy_password: Option<String>,

    /// NTLM proxy domain: refused at start (exit 2), NTLM is not supported;
    /// use a proxy with Basic authentication or none.
    #[arg(long = "proxyDomain", alias = "proxy-domain")]
    pub(crate) proxy_domain: Option<String>,

    /// NTLM proxy workstation: refused at start (exit 2), as --proxyDomain.
    #[arg(long = "proxyWorkstation", alias = "proxy-workstation")]
    pub(crate) proxy_workstation: Option<String>,

    /// S3 calls connect directly, not through the proxy (of the flags or
    /// of the environment).
    #[arg(long = "s3NoProxy", alias = "s3-no-proxy")]
    pub(crate) s3_no_proxy: bool,

    /// JDBC driver location for SqlActivity (not used: the MySQL/MariaDB
    /// and PostgreSQL drivers are built in, and no other can be loaded).
    #[arg(long = "jdbcDriverS3Path", alias = "jdbc-driver-s3-path")]
    pub(crate) jdbc_driver_s3_path: Option<String>,

    #[command(flatten)]
    pub(crate) tuning: Tuning,
}

/// This runner's own knobs, beyond the Java runner's flags.
#[derive(Debug, Args, Clone)]
pub(crate) struct Tuning {
    /// How often progress is reported for a running task (AWS recommends
    /// 60 s; shortened per task when its reportProgressTimeout needs it).
    #[arg(long = "progress-interval", value_parser = humantime::parse_duration, default_value = "60s", env = "TASKRUNNER_PROGRESS_INTERVAL")]
    pub(crate) progress_interval: Duration,

    /// On shutdown, how long tasks in flight may run on before they are
    /// stopped and left for the service to reassign.
    #[arg(long = "drain-timeout", value_parser = humantime::parse_duration, default_value = "5m", env = "TASKRUNNER_DRAIN_TIMEOUT")]
    pub(crate) drain_timeout: Duration,

    /// How long a canceled task may take to stop before its processes are
    /// killed.
    #[arg(long = "cancel-grace", value_parser = humantime::parse_duration, default_value = "30s", env = "TASKRUNNER_CANCEL_GRACE")]
    pub(crate) cancel_grace: Duration,

    /// Serve Prometheus metrics on /metrics, and /healthz and /readyz, at
    /// this address.
    #[arg(
        long = "metrics-addr",
        value_name = "ADDR",
        env = "TASKRUNNER_METRICS_ADDR"
    )]
    pub(crate) metrics_addr: Option<SocketAddr>,

    /// Where tasks' working directories are made (default: the temp dir).
    #[arg(long = "work-dir", value_name = "DIR", env = "TASKRUNNER_WORK_DIR")]
    pub(crate) work_dir: Option<PathBuf>,

    /// Pass the runner's own AWS credentials to shell commands (off: a
    /// command gets them only if you say so).
    #[arg(long = "pass-aws-credentials")]
    pub(crate) pass_aws_credentials: bool,

    /// The most bytes one attempt writes to each of its stdout and stderr
    /// files (default 1 GiB): past it the file ends with a truncation line
    /// and the rest of the output is read and discarded.
    #[arg(
        long = "max-output-bytes",
        alias = "maxOutputBytes",
        value_name = "BYTES",
        default_value_t = taskrunner_shell::DEFAULT_MAX_OUTPUT_BYTES,
        env = "TASKRUNNER_MAX_OUTPUT_BYTES"
    )]
    pub(crate) max_output_bytes: u64,

    /// The S3 endpoint URL, for S3-compatible stores (path-style
    /// addressing), e.g. http://127.0.0.1:9000. Not the Data Pipeline
    /// --endpoint. In `local` mode, it replaces the embedded store.
    #[arg(
        long = "s3-endpoint",
        alias = "s3Endpoint",
        value_name = "URL",
        env = "TASKRUNNER_S3_ENDPOINT"
    )]
    pub(crate) s3_endpoint: Option<String>,
}

/// `taskrunner local`.
#[derive(Debug, Args)]
pub(crate) struct LocalArgs {
    /// The pipeline definition, in the AWS CLI's definition-file format.
    #[arg(value_name = "DEFINITION.json")]
    pub(crate) definition: PathBuf,

    /// Parameter values, as the AWS CLI takes them: myName=value. Repeatable;
    /// a name given here replaces that parameter's values from the files.
    #[arg(long = "parameter-values", value_name = "NAME=VALUE", num_args = 1..)]
    pub(crate) parameter_values: Vec<String>,

    /// A parameter-values file, {"values": {"myName": "value" or [values]}}
    /// (file://PATH or PATH, at most 15 KB, as the AWS CLI's
    /// --parameter-values-uri); its values replace the definition's for the
    /// names it gives.
    #[arg(long = "parameter-values-uri", value_name = "FILE")]
    pub(crate) parameter_values_uri: Option<String>,

    /// A parameter-objects file, {"parameters": [{"id": "myName", …}]}
    /// (file://PATH or PATH, as the AWS CLI's --parameter-objects): replaces
    /// the definition's parameter declarations.
    #[arg(long = "parameter-objects", value_name = "FILE")]
    pub(crate) parameter_objects: Option<String>,

    /// How many periods a schedule with no end (no endDateTime, no
    /// occurrences) runs before the local run ends.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) periods: u32,

    /// How many tasks run at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) tasks: u16,

    /// Pipeline seconds per wall-clock second: the default 600 runs a
    /// 15-minute schedule period in 1.5 s, and a 10-minute retryDelay in 1 s.
    #[arg(long = "time-scale", default_value_t = 600.0)]
    pub(crate) time_scale: f64,

    /// Give up if the run has not ended after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10m")]
    pub(crate) timeout: Duration,

    /// Keep the local service running after the run, on --port, for the AWS
    /// CLI (`aws --endpoint-url http://127.0.0.1:PORT datapipeline …`);
    /// stop with Ctrl-C.
    #[arg(long)]
    pub(crate) serve: bool,

    /// The port of the local service (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,

    /// The directory the embedded S3 store serves s3:// from (bucket/key as
    /// directory/file; buckets are made on first use). Default:
    /// <work dir or temp>/taskrunner-local/<definition name>/s3. Ignored
    /// with --s3-endpoint, which chooses another store.
    #[arg(long = "s3-root", value_name = "DIR")]
    pub(crate) s3_root: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) tuning: Tuning,
}
