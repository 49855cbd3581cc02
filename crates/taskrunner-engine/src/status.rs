//! Sending SetTaskStatus: sanitised, budgeted, retried on transient errors,
//! and never dropped silently.

use std::sync::Arc;

use taskrunner_api::{CallBudget, ErrorClass, Operation, StatusReport, Task, TaskService};
use taskrunner_poller::Backoff;

/// How a SetTaskStatus ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The service answered that it accepted the status.
    Accepted,
    /// A call failed in a way that may have reached the service (its answer
    /// was lost), and the retry found the task gone: the first call most
    /// likely took effect, but nothing confirms it.
    Unconfirmed,
    /// The status was refused, or every call failed.
    Failed,
}

/// Sends the final status of tasks.
#[derive(Clone)]
pub(crate) struct StatusSender {
    pub(crate) service: Arc<dyn TaskService>,
    pub(crate) budget: CallBudget,
    /// Delays between retries.
    pub(crate) backoff: Backoff,
    /// Calls per status, the first included, before giving up.
    pub(crate) attempts: u32,
}

impl StatusSender {
    /// Sends `report` for `task`, retrying transient and throttled failures.
    /// Answers how it ended; a final failure is logged with the task's ids.
    /// The report goes out as the activity made it: the service
    /// implementation sanitises it at the wire (the [`TaskService`]
    /// contract), once.
    pub(crate) async fn send(&self, task: &Task, report: StatusReport) -> Delivery {
        let mut failures = 0_u32;
        // Set once a call failed after it may have reached the service (a
        // transient error: a dropped connection, a 500); a throttled call
        // was refused before it did anything.
        let mut maybe_applied = false;
        loop {
            self.budget.acquire(Operation::SetTaskStatus).await;
            match self.service.set_task_status(&task.task_id, &report).await {
                Ok(()) => {
                    metrics::counter!("taskrunner_outcomes_total", "status" => report.status.as_str()).increment(1);
                    return Delivery::Accepted;
                }
                Err(error) => {
                    failures += 1;
                    metrics::counter!("taskrunner_api_errors_total", "operation" => "SetTaskStatus", "class" => format!("{:?}", error.class())).increment(1);
                    if maybe_applied && matches!(error.class(), ErrorClass::LeaseGone(_)) {
                        tracing::info!(
                            pipeline_id = %task.pipeline_id,
                            attempt_id = %task.attempt_id,
                            task_id = %task.task_id,
                            status = report.status.as_str(),
                            %error,
                            "the answer to SetTaskStatus was lost and its retry found the task gone: the first call most likely took effect",
                        );
                        return Delivery::Unconfirmed;
                    }
                    maybe_applied |= error.class() == ErrorClass::Transient;
                    if !error.is_retryable() || failures >= self.attempts {
                        tracing::error!(
                            pipeline_id = %task.pipeline_id,
                            attempt_id = %task.attempt_id,
                            task_id = %task.task_id,
                            status = report.status.as_str(),
                            %error,
                            failures,
                            "SetTaskStatus failed for good: the service will time the attempt out and retry it",
                        );
                        return Delivery::Failed;
                    }
                    let delay = self.backoff.delay(failures, error.class());
                    tracing::warn!(task_id = %task.task_id, %error, failures, "SetTaskStatus failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

impl std::fmt::Debug for StatusSender {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StatusSender")
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}
