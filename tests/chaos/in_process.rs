//! The in-process side of a chaos run: a framework [`Runner`] with three
//! activities of its own, polling its worker group on the same faulty
//! service as the `taskrunner` processes.

use std::time::Duration;

use aws_sdk_datapipeline::config::retry::{RetryConfig, RetryPartition, TokenBucket};
use aws_sdk_datapipeline::Client;
use taskrunner::lease::LeaseConfig;
use taskrunner::{Cancelled, Outcome, RunSummary, Runner, TaskContext};
use tokio_util::sync::CancellationToken;

use super::workload::{HANG, IN_PROCESS_GROUP, REFUSE, WORK};

/// The hostname the in-process runner polls with.
pub(crate) const HOSTNAME: &str = "chaos-in-process";

/// An SDK client for `endpoint` making up to `attempts` attempts per call,
/// 10–100 ms apart, in a retry partition of its own whose token bucket
/// never runs dry (the default bucket is shared process-wide and empties
/// under chaos, which would leave the harness's own calls unretried).
pub(crate) fn client(endpoint: &str, partition: &'static str, attempts: u32) -> Client {
    let retry = RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(100));
    let partition = RetryPartition::custom(partition)
        .token_bucket(TokenBucket::unlimited())
        .build();
    Client::from_conf(
        datapipeline_local::testkit::sdk_config(endpoint)
            .retry_config(retry)
            .retry_partition(partition)
            .build(),
    )
}

/// The in-process runner, running until [`InProcess::stop`].
pub(crate) struct InProcess {
    stop: CancellationToken,
    run: tokio::task::JoinHandle<RunSummary>,
}

impl InProcess {
    /// Builds and starts the runner against `endpoint`. Its lease timing
    /// matches the service's compressed one (4 s report timeout, 3 s
    /// acknowledgement), so it fences its own statuses exactly.
    pub(crate) fn start(endpoint: &str, scratch: &std::path::Path) -> Self {
        let work = |_context: TaskContext| tokio::time::sleep(Duration::from_millis(30));
        let refuse = |_context: TaskContext| async {
            Outcome::failed("ChaosRefusal", "this activity always fails")
        };
        let hang = |context: TaskContext| async move {
            Err::<(), _>(Cancelled::new(context.cancelled().await))
        };
        let lease = LeaseConfig {
            progress_interval: Duration::from_millis(500),
            default_report_timeout: Duration::from_secs(4),
            acknowledgement_timeout: Duration::from_secs(3),
            deadline_margin: Duration::from_millis(500),
            minimum_report_spacing: Duration::from_millis(100),
            retry_initial_backoff: Duration::from_millis(50),
            retry_max_backoff: Duration::from_millis(500),
            ..LeaseConfig::default()
        };
        let runner = Runner::builder(client(endpoint, "chaos-in-process", 2))
            .worker_group(IN_PROCESS_GROUP)
            .concurrency(4)
            .hostname(HOSTNAME)
            .taskrunner_id(HOSTNAME)
            .lease_config(lease)
            .cancel_grace(Duration::from_secs(1))
            .drain_timeout(Duration::from_secs(10))
            .scratch_root(scratch)
            .activity_for_field("myActivity", WORK, work)
            .activity_for_field("myActivity", REFUSE, refuse)
            .activity_for_field("myActivity", HANG, hang)
            .build()
            .expect("the in-process runner builds");
        let stop = CancellationToken::new();
        let run = tokio::spawn(runner.run_until(stop.clone().cancelled_owned()));
        Self { stop, run }
    }

    /// Shuts the runner down and answers its summary (at most 30 s).
    pub(crate) async fn stop(self) -> RunSummary {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.run)
            .await
            .expect("the in-process runner stops within 30 s")
            .expect("the in-process runner does not panic")
    }
}
