//! The runner heartbeat: ReportTaskRunnerHeartbeat at start and every
//! interval; `terminate: true` asks the runner to shut down.

use std::sync::Arc;
use std::time::Duration;

use taskrunner_api::{CallBudget, HeartbeatRequest, Operation, TaskService};
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;

/// Sends a runner's heartbeats.
pub struct Heartbeat {
    service: Arc<dyn TaskService>,
    budget: CallBudget,
    request: HeartbeatRequest,
    /// Time between heartbeats (AWS: 15 minutes).
    interval: Duration,
    /// Delays after failed heartbeats, each capped by the interval.
    backoff: Backoff,
}

/// The default time between heartbeats: 15 minutes, as the Java runner.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15 * 60);

impl Heartbeat {
    /// A heartbeat for `request.taskrunner_id`.
    pub fn new(
        service: Arc<dyn TaskService>,
        budget: CallBudget,
        request: HeartbeatRequest,
        interval: Duration,
    ) -> Self {
        Self {
            service,
            budget,
            request,
            interval,
            backoff: Backoff::default(),
        }
    }

    /// Sends heartbeats until `stop` trips. When the service answers
    /// `terminate: true`, trips `terminate` and returns.
    pub async fn run(&self, stop: CancellationToken, terminate: CancellationToken) {
        let mut failures = 0_u32;
        loop {
            tokio::select! {
                () = self.budget.acquire(Operation::ReportTaskRunnerHeartbeat) => {}
                () = stop.cancelled() => return,
            }
            let wait = match self
                .service
                .report_task_runner_heartbeat(&self.request)
                .await
            {
                Ok(response) if response.terminate => {
                    tracing::info!(taskrunner_id = %self.request.taskrunner_id, "the service asked this runner to terminate");
                    terminate.cancel();
                    return;
                }
                Ok(_) => {
                    failures = 0;
                    metrics::counter!("taskrunner_heartbeats_total").increment(1);
                    self.interval
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    metrics::counter!("taskrunner_api_errors_total", "operation" => "ReportTaskRunnerHeartbeat", "class" => format!("{:?}", error.class())).increment(1);
                    let delay = self
                        .backoff
                        .delay(failures, error.class())
                        .min(self.interval);
                    tracing::warn!(%error, failures, "ReportTaskRunnerHeartbeat failed; retrying");
                    delay
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.cancelled() => return,
            }
        }
    }
}

impl std::fmt::Debug for Heartbeat {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Heartbeat")
            .field("request", &self.request)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}
