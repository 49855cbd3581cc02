//! `datapipeline-local`: a local, wire-compatible AWS Data Pipeline service.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use datapipeline_local::{
    start_on, Config, Credentials, FaultPlan, FaultRule, Limits, S3Access, Timing,
};

/// A local, wire-compatible AWS Data Pipeline service, task-runner API
/// included.
///
/// Point the AWS CLI at it with `--endpoint-url http://127.0.0.1:PORT`, an
/// SDK with its endpoint setting. Every operation of the API is served; see
/// docs/LOCAL.md for what is emulated and what is not.
#[derive(Debug, Parser)]
#[command(name = "datapipeline-local", version, about, long_about)]
struct Arguments {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "DATAPIPELINE_LOCAL_BIND")]
    bind: IpAddr,

    /// The port to listen on; 0 picks a free one, printed at start.
    #[arg(long, default_value_t = 8990, env = "DATAPIPELINE_LOCAL_PORT")]
    port: u16,

    /// How long PollForTask waits for a task before answering `{}`.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "90s")]
    long_poll_wait: Duration,

    /// How long a polled task may go unacknowledged before it is handed out
    /// again under a new taskId.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2m")]
    ack_timeout: Duration,

    /// The reportProgressTimeout of tasks whose pipeline sets none.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "15m")]
    report_progress_timeout: Duration,

    /// The least delay before a failed attempt is retried.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2m")]
    retry_delay_floor: Duration,

    /// Pipeline seconds per wall-clock second: 60 runs a pipeline's minute
    /// in a second (schedules, retryDelay, attemptTimeout,
    /// reportProgressTimeout fields).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,

    /// How fast the work's own deadlines run: attemptTimeout and
    /// reportProgressTimeout fields are divided by it. Keep 1.0 with real
    /// runners, which read those fields at face value.
    #[arg(long, default_value_t = 1.0)]
    work_time_scale: f64,

    /// Inject a fault: OPERATION:FAULT:WHEN, where OPERATION is a name or *,
    /// FAULT is error, throttle, latency=DURATION, drop or drop-after, and
    /// WHEN is a probability, nth=N or every=N. Repeatable.
    #[arg(long = "fault", value_name = "RULE")]
    faults: Vec<FaultRule>,

    /// The seed for probabilistic faults.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,

    /// Refuse requests not signed with this access key id (needs
    /// --secret-access-key).
    #[arg(
        long,
        requires = "secret_access_key",
        env = "DATAPIPELINE_LOCAL_ACCESS_KEY_ID"
    )]
    access_key_id: Option<String>,

    /// The secret access key that signed requests must use.
    #[arg(
        long,
        requires = "access_key_id",
        env = "DATAPIPELINE_LOCAL_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    secret_access_key: Option<String>,

    /// Lift the account limits (100 pipelines, 100 objects per pipeline, …).
    #[arg(long)]
    no_limits: bool,

    /// Keep the state in this SQLite file, created if missing: pipelines,
    /// definitions, instances, attempts, leases and queues survive a
    /// restart, a kill -9 included. Every answer is sent after its change is
    /// committed. Live leases keep their taskIds and get a fresh timeout at
    /// restart. Without it, the state lives in memory only.
    #[arg(long, value_name = "PATH", env = "DATAPIPELINE_LOCAL_STATE")]
    state: Option<PathBuf>,

    /// The S3-compatible store (path-style) the service checks the
    /// S3KeyExists and S3PrefixNotEmpty preconditions against, as AWS does
    /// itself. Without it those preconditions fail, saying so.
    #[arg(long, value_name = "URL", env = "DATAPIPELINE_LOCAL_S3_ENDPOINT")]
    s3_endpoint: Option<String>,

    /// An s3:// prefix in that store where runners copy attempt logs
    /// (laid out PIPELINE/COMPONENT/INSTANCE/ATTEMPT/StdOutput, as
    /// pipelineLogUri): the web console shows them for attempts whose
    /// pipeline sets no s3:// pipelineLogUri.
    #[arg(long, value_name = "URI", env = "DATAPIPELINE_LOCAL_ATTEMPT_LOGS")]
    attempt_logs: Option<String>,

    /// The access key id requests to --s3-endpoint are signed with
    /// (default: placeholder credentials).
    #[arg(
        long,
        requires = "s3_secret_access_key",
        env = "DATAPIPELINE_LOCAL_S3_ACCESS_KEY_ID"
    )]
    s3_access_key_id: Option<String>,

    /// The secret access key for --s3-endpoint.
    #[arg(
        long,
        requires = "s3_access_key_id",
        env = "DATAPIPELINE_LOCAL_S3_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    s3_secret_access_key: Option<String>,

    /// Runner ids whose heartbeats answer `terminate: true`. Repeatable.
    #[arg(long = "terminate-runner", value_name = "TASKRUNNER_ID")]
    terminate_runners: Vec<String>,
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("datapipeline-local: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(arguments))
}

async fn run(arguments: Arguments) -> ExitCode {
    let config = Config {
        timing: Timing {
            long_poll_wait: arguments.long_poll_wait,
            ack_timeout: arguments.ack_timeout,
            default_report_progress_timeout: arguments.report_progress_timeout,
            retry_delay_floor: arguments.retry_delay_floor,
            time_scale: arguments.time_scale,
            work_time_scale: arguments.work_time_scale,
        },
        limits: if arguments.no_limits {
            Limits::unlimited()
        } else {
            Limits::default()
        },
        faults: FaultPlan {
            seed: arguments.fault_seed,
            rules: arguments.faults,
        },
        credentials: arguments
            .access_key_id
            .zip(arguments.secret_access_key)
            .map(|(access_key_id, secret_access_key)| Credentials {
                access_key_id,
                secret_access_key,
            }),
        state: arguments.state,
        attempt_logs: arguments.attempt_logs,
        s3: arguments.s3_endpoint.map(|endpoint| {
            let access = S3Access::new(endpoint);
            match arguments
                .s3_access_key_id
                .zip(arguments.s3_secret_access_key)
            {
                Some((access_key_id, secret_access_key)) => access.with_credentials(Credentials {
                    access_key_id,
                    secret_access_key,
                }),
                None => access,
            }
        }),
    };
    if !(config.timing.work_time_scale.is_finite() && config.timing.work_time_scale > 0.0) {
        eprintln!(
            "datapipeline-local: --work-time-scale must be a positive number, got {}",
            config.timing.work_time_scale
        );
        return ExitCode::from(2);
    }
    if !(config.timing.time_scale.is_finite() && config.timing.time_scale > 0.0) {
        eprintln!(
            "datapipeline-local: --time-scale must be a positive number, got {}",
            config.timing.time_scale
        );
        return ExitCode::from(2);
    }
    let service = match start_on(SocketAddr::new(arguments.bind, arguments.port), config).await {
        Ok(service) => service,
        Err(error) => {
            eprintln!("datapipeline-local: {error}");
            return ExitCode::FAILURE;
        }
    };
    for runner in &arguments.terminate_runners {
        service.terminate_runner(runner);
    }
    // Both lines in one write, and a closed stdout is no reason to stop:
    // a supervisor that reads the first line and closes the pipe (as the
    // tests do) would otherwise kill the service with its second.
    let banner = format!(
        "datapipeline-local listening on {}\nweb console: {}\n",
        service.endpoint_url(),
        service.console_url()
    );
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), banner.as_bytes());
    shutdown_signal().await;
    service.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
