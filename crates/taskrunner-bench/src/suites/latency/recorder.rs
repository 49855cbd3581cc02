//! The instants the `latency` suite measures between, recorded where they
//! happen: a [`TaskService`] around the SDK client notes when a poll
//! answered a task, when its acknowledgement was sent and when a report
//! was answered `canceled: true`; an [`Activity`] around the shell activity
//! notes when the handler's cancellation token tripped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use taskrunner::service::{
    async_trait, ApiError, HeartbeatRequest, HeartbeatResponse, PollRequest, ProgressResponse,
    SdkTaskService, TaskService,
};
use taskrunner::task::{Field, StatusReport, Task, TaskId};
use taskrunner::{Activity, BoxError, Outcome, TaskContext};
use taskrunner_shell::ShellCommandActivity;

/// The instants of one task.
#[derive(Debug, Default, Clone)]
pub(super) struct Moments {
    /// The poll that handed the task over returned.
    pub(super) polled: Option<Instant>,
    /// The first ReportTaskProgress (the acknowledgement) was sent.
    pub(super) acknowledgement_sent: Option<Instant>,
    /// A report was first answered `canceled: true`.
    pub(super) cancel_answered: Option<Instant>,
    /// The handler's cancellation token tripped.
    pub(super) token_tripped: Option<Instant>,
    /// The attempt id, to find the task's shell in the pid file.
    pub(super) attempt_id: Option<String>,
    /// The handler started.
    pub(super) running: bool,
}

/// Every task's instants, shared by the service wrapper and the activity.
#[derive(Debug, Default)]
pub(super) struct Log {
    /// By task id.
    tasks: Mutex<HashMap<TaskId, Moments>>,
}

impl Log {
    /// Applies `change` to `task_id`'s moments.
    fn note(&self, task_id: &TaskId, change: impl FnOnce(&mut Moments)) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        change(tasks.entry(task_id.clone()).or_default());
    }

    /// Takes every task's moments, leaving the log empty for the next round.
    pub(super) fn take(&self) -> HashMap<TaskId, Moments> {
        std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// How many handlers have started since the last [`Log::take`].
    pub(super) fn running(&self) -> usize {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|moments| moments.running)
            .count()
    }
}

/// The SDK client, noting when tasks arrive, are acknowledged and are
/// answered `canceled: true`.
#[derive(Debug, Clone)]
pub(super) struct RecordingService {
    /// Every call goes to it: the SDK client as the runner uses it.
    pub(super) client: SdkTaskService,
    /// Shared with the suite.
    pub(super) log: Arc<Log>,
}

#[async_trait]
impl TaskService for RecordingService {
    async fn poll_for_task(&self, request: &PollRequest) -> Result<Option<Task>, ApiError> {
        let answer = self.client.poll_for_task(request).await;
        let at = Instant::now();
        if let Ok(Some(task)) = &answer {
            self.log.note(&task.task_id, |moments| {
                moments.polled = Some(at);
            });
        }
        answer
    }

    async fn report_task_progress(
        &self,
        task_id: &TaskId,
        fields: &[Field],
    ) -> Result<ProgressResponse, ApiError> {
        let sent = Instant::now();
        self.log.note(task_id, |moments| {
            moments.acknowledgement_sent.get_or_insert(sent);
        });
        let answer = self.client.report_task_progress(task_id, fields).await;
        let at = Instant::now();
        if matches!(&answer, Ok(response) if response.canceled) {
            self.log.note(task_id, |moments| {
                moments.cancel_answered.get_or_insert(at);
            });
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
        self.client.set_task_status(task_id, report).await
    }
}

/// The shell activity, noting when each handler starts and when its
/// cancellation token trips.
pub(super) struct ObservedShell {
    /// Does the work.
    pub(super) shell: ShellCommandActivity,
    /// Shared with the suite.
    pub(super) log: Arc<Log>,
}

impl Activity for ObservedShell {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let task_id = ctx.task_id().clone();
        let attempt_id = ctx.attempt_id().to_owned();
        self.log.note(&task_id, |moments| {
            moments.attempt_id = Some(attempt_id);
            moments.running = true;
        });
        // A task of its own waits on the token, as a handler's select!
        // would: the instant it wakes is when the handler could react.
        let watched = ctx.clone();
        let log = self.log.clone();
        let watcher = tokio::spawn(async move {
            watched.cancelled().await;
            let at = Instant::now();
            log.note(watched.task_id(), |moments| {
                moments.token_tripped = Some(at);
            });
        });
        let tripped = ctx.clone();
        let outcome = self.shell.run(ctx).await;
        if tripped.is_cancelled() {
            // The watcher wakes (or woke) on the trip: wait for its note
            // rather than race it; on a loaded machine it may not have
            // been scheduled yet.
            let _noted = watcher.await;
        } else {
            watcher.abort();
        }
        outcome
    }
}
