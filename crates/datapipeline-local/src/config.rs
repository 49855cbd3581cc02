//! Everything about the service that a test or an operator may want to change.

use std::path::PathBuf;
use std::time::Duration;

use crate::faults::FaultPlan;

/// The service's configuration: timing, limits, faults, authentication,
/// where the state is kept and the S3 store preconditions are checked
/// against.
///
/// `Config::default()` behaves like AWS: 90-second long polls, a 2-minute
/// acknowledgement deadline, a 15-minute default `reportProgressTimeout`,
/// pipeline time running at wall-clock speed, and the documented limits;
/// it keeps its state in memory only and has no S3 store (so S3
/// preconditions fail, saying so).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Durations, and how fast pipeline time runs.
    pub timing: Timing,
    /// The account limits the service enforces.
    pub limits: Limits,
    /// Errors, throttling, latency and dropped connections to inject.
    pub faults: FaultPlan,
    /// When set, requests must be signed (SigV4) with these credentials.
    pub credentials: Option<Credentials>,
    /// When set, the state (pipelines, definitions, instances, attempts,
    /// leases, queues, timers, runners, counters) is kept in this SQLite
    /// file, created if missing and loaded at start, and every change is
    /// committed before the response that reports it, so a restart (a
    /// SIGKILL included) loses nothing a client was told. When `None`, the
    /// state lives in memory only.
    pub state: Option<PathBuf>,
    /// The S3 store against which the service checks the system-managed
    /// preconditions `S3KeyExists` and `S3PrefixNotEmpty` itself, as AWS
    /// does. When `None`, those preconditions fail with an error saying the
    /// service has no S3 store.
    pub s3: Option<S3Access>,
    /// An `s3://` prefix in that store under which runners copy each
    /// attempt's stdout and stderr, laid out as `pipelineLogUri` is
    /// (`PREFIX/PIPELINE/COMPONENT/INSTANCE/ATTEMPT/StdOutput`). The web
    /// console shows an attempt's output from its own `pipelineLogUri`
    /// when that is an `s3://` URI, else from here. `taskrunner local`
    /// sets it; when `None`, only `pipelineLogUri` is looked at.
    pub attempt_logs: Option<String>,
}

/// How the service reaches an S3 store (AWS's, or an S3-compatible one such
/// as the store `taskrunner local` embeds). Requests use path-style
/// addressing (`ENDPOINT/bucket/key`), as S3-compatible stores expect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Access {
    /// The store's endpoint URL, e.g. `http://127.0.0.1:9000`.
    pub endpoint_url: String,
    /// The region requests are signed for.
    pub region: String,
    /// The credentials requests are signed with; `None` signs with
    /// placeholder credentials, for stores that check none.
    pub credentials: Option<Credentials>,
}

impl S3Access {
    /// A store at `endpoint_url`, with requests signed for `us-east-1` with
    /// placeholder credentials.
    pub fn new(endpoint_url: impl Into<String>) -> Self {
        Self {
            endpoint_url: endpoint_url.into(),
            region: "us-east-1".to_owned(),
            credentials: None,
        }
    }

    /// The same store, with requests signed with `credentials`.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
}

/// The service's durations. Every one of them can be shortened so that tests
/// compress minutes into milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// How long PollForTask waits for a task before answering `{}` (AWS: 90 s).
    pub long_poll_wait: Duration,
    /// How long a polled task may go unacknowledged before it is handed to
    /// another runner under a new taskId (AWS: 2 minutes).
    pub ack_timeout: Duration,
    /// The `reportProgressTimeout` of tasks that set none (AWS: 15 minutes),
    /// in wall-clock time.
    pub default_report_progress_timeout: Duration,
    /// The least delay before a failed attempt is retried, in wall-clock
    /// time (AWS: 2 minutes; older documents say 1 second).
    pub retry_delay_floor: Duration,
    /// How many pipeline seconds pass per wall-clock second: how fast the
    /// service's own waiting goes. The schedule (`period`, and the
    /// `@scheduledStartTime` and other timestamps, read from the pipeline
    /// clock), `retryDelay` and `preconditionTimeout` are divided by it.
    /// 1.0 is real time; 3600.0 runs an hour a second.
    pub time_scale: f64,
    /// How fast the deadlines of the *work* run: `attemptTimeout` and
    /// `reportProgressTimeout` are divided by it. Runners read those fields
    /// at face value, and a command takes the time it takes, so every real
    /// use keeps 1.0 (also under a large `time_scale`: `taskrunner local`
    /// runs real commands against compressed schedules). Tests that want a
    /// "3 minutes" attemptTimeout to pass in a fraction of a second raise it.
    pub work_time_scale: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            long_poll_wait: Duration::from_secs(90),
            ack_timeout: Duration::from_secs(120),
            default_report_progress_timeout: Duration::from_secs(15 * 60),
            retry_delay_floor: Duration::from_secs(120),
            time_scale: 1.0,
            work_time_scale: 1.0,
        }
    }
}

impl Timing {
    /// Timing for tests: every wall-clock duration in milliseconds, and
    /// pipeline time and the work's deadlines running 600 times faster (a
    /// 10-minute `retryDelay` passes in a second, a 3-minute
    /// `attemptTimeout` in 0.3 s).
    pub fn fast() -> Self {
        Self {
            long_poll_wait: Duration::from_millis(500),
            ack_timeout: Duration::from_secs(2),
            default_report_progress_timeout: Duration::from_secs(3),
            retry_delay_floor: Duration::ZERO,
            time_scale: 600.0,
            work_time_scale: 600.0,
        }
    }

    /// Converts a deadline of the work (`attemptTimeout`,
    /// `reportProgressTimeout`) to wall-clock time.
    pub fn work_deadline(&self, stated: Duration) -> Duration {
        if self.work_time_scale > 0.0 && self.work_time_scale.is_finite() {
            stated.div_f64(self.work_time_scale)
        } else {
            stated
        }
    }
}

/// The account limits. The defaults are AWS's; tests and benchmarks raise
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Pipelines per account (AWS: 100).
    pub pipelines: usize,
    /// Objects per pipeline definition (AWS: 100).
    pub objects_per_pipeline: usize,
    /// Fields per object (AWS: 50).
    pub fields_per_object: usize,
    /// Bytes per object, keys and values added up (AWS: 15,360).
    pub bytes_per_object: usize,
    /// Instances created per component in one scheduling pass, so that a
    /// schedule that starts far in the past cannot flood the service.
    pub backfill_per_component: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            pipelines: 100,
            objects_per_pipeline: 100,
            fields_per_object: 50,
            bytes_per_object: 15_360,
            backfill_per_component: 1_000,
        }
    }
}

impl Limits {
    /// No practical limit: for benchmarks that queue tens of thousands of tasks.
    pub fn unlimited() -> Self {
        Self {
            pipelines: usize::MAX,
            objects_per_pipeline: usize::MAX,
            fields_per_object: usize::MAX,
            bytes_per_object: usize::MAX,
            backfill_per_component: 1_000_000,
        }
    }
}

/// The credentials that signed requests must use when signature checking is
/// on.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key; never printed.
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}
