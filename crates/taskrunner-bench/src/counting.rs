//! A [`TaskService`] that counts the calls a runner makes, so that a suite
//! can tell when a runner has finished its work and how many reports it
//! sent, without asking the service.
//!
//! It wraps the SDK client and adds two relaxed atomic increments per call:
//! nothing next to the ~140 µs an SDK call costs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use taskrunner::{
    service::async_trait,
    service::{
        ApiError, HeartbeatRequest, HeartbeatResponse, PollRequest, ProgressResponse,
        SdkTaskService, TaskService,
    },
    task::{Field, StatusReport, Task, TaskId},
};
use tokio::sync::Notify;

/// Counts of the calls the service accepted.
#[derive(Debug)]
pub(crate) struct CallCounts {
    /// ReportTaskProgress calls answered without error (acknowledgements
    /// included).
    reports: AtomicU64,
    /// SetTaskStatus calls answered without error.
    statuses: AtomicU64,
    /// [`CallCounts::statuses_reached`] resolves once `statuses` reaches this.
    status_goal: u64,
    /// Woken once, by the call that reaches `status_goal`. `notify_one`
    /// keeps the wakeup for a waiter that arrives later.
    goal_reached: Notify,
}

impl CallCounts {
    /// Counts that resolve [`CallCounts::statuses_reached`] at `status_goal`
    /// accepted statuses.
    pub(crate) fn new(status_goal: u64) -> Arc<Self> {
        Arc::new(Self {
            reports: AtomicU64::new(0),
            statuses: AtomicU64::new(0),
            status_goal,
            goal_reached: Notify::new(),
        })
    }

    /// Accepted ReportTaskProgress calls so far.
    pub(crate) fn reports(&self) -> u64 {
        self.reports.load(Ordering::Relaxed)
    }

    /// Accepted SetTaskStatus calls so far.
    pub(crate) fn statuses(&self) -> u64 {
        self.statuses.load(Ordering::Relaxed)
    }

    /// Resolves once the service has accepted the goal's number of statuses.
    pub(crate) async fn statuses_reached(&self) {
        if self.statuses() < self.status_goal {
            self.goal_reached.notified().await;
        }
    }
}

/// The SDK client, counting what the service accepts.
#[derive(Debug, Clone)]
pub(crate) struct CountingService {
    /// Every call goes to it: the SDK client as the runner uses it.
    client: SdkTaskService,
    /// Shared with the suite.
    counts: Arc<CallCounts>,
}

impl CountingService {
    /// Wraps `client`, counting into `counts`.
    pub(crate) fn new(client: aws_sdk_datapipeline::Client, counts: Arc<CallCounts>) -> Self {
        Self {
            client: SdkTaskService::new(client),
            counts,
        }
    }
}

#[async_trait]
impl TaskService for CountingService {
    async fn poll_for_task(&self, request: &PollRequest) -> Result<Option<Task>, ApiError> {
        self.client.poll_for_task(request).await
    }

    async fn report_task_progress(
        &self,
        task_id: &TaskId,
        fields: &[Field],
    ) -> Result<ProgressResponse, ApiError> {
        let answer = self.client.report_task_progress(task_id, fields).await;
        if answer.is_ok() {
            self.counts.reports.fetch_add(1, Ordering::Relaxed);
        }
        answer
    }

    async fn report_task_runner_heartbeat(
        &self,
        request: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError> {
        self.client.report_task_runner_heartbeat(request).await
    }

    async fn set_task_status(
        &self,
        task_id: &TaskId,
        report: &StatusReport,
    ) -> Result<(), ApiError> {
        let answer = self.client.set_task_status(task_id, report).await;
        if answer.is_ok() {
            let statuses = self.counts.statuses.fetch_add(1, Ordering::Relaxed) + 1;
            if statuses == self.counts.status_goal {
                self.counts.goal_reached.notify_one();
            }
        }
        answer
    }
}
