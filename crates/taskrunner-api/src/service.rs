//! [`TaskService`]: the four calls a task runner makes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{
    ApiError, Field, HeartbeatRequest, HeartbeatResponse, PollRequest, ProgressResponse,
    StatusReport, Task, TaskId,
};

/// The task-runner half of the AWS Data Pipeline API.
///
/// The framework talks to the service only through this trait. The
/// production implementation is [`SdkTaskService`](crate::SdkTaskService); tests of
/// timing logic implement it in-process so they can run on paused tokio time.
///
/// # Contract
///
/// - Each method is one call, made once: implementations do not add their
///   own retry loops on top of the caller's (the caller owns backoff, call
///   budgets and lease deadlines). An implementation may rely on the
///   transport's own bounded retries.
/// - [`poll_for_task`](TaskService::poll_for_task) may long-poll for up to
///   90 seconds and returns `Ok(None)` when no task arrived; implementations
///   must not time it out sooner.
/// - [`set_task_status`](TaskService::set_task_status) sends the report
///   [sanitised](StatusReport::sanitize), so callers may pass any text.
///
/// # Cancellation
///
/// Dropping a returned future abandons the call. The request may or may not
/// have reached the service: a dropped `ReportTaskProgress` may still have
/// renewed the lease, a dropped `PollForTask` may have leased a task that is
/// then lost until the service reassigns it (after the 2-minute
/// acknowledgement deadline). Callers should therefore not cancel polls
/// except at shutdown.
///
/// # Errors
///
/// Every failure is an [`ApiError`] whose [`class`](ApiError::class) tells
/// the caller what to do: retry, back off, stop the work (lease gone), or
/// give up.
#[async_trait]
pub trait TaskService: Send + Sync + 'static {
    /// `PollForTask`: leases the next task for the worker group, or returns
    /// `None` after the long poll ends empty.
    async fn poll_for_task(&self, request: &PollRequest) -> Result<Option<Task>, ApiError>;

    /// `ReportTaskProgress`: acknowledges the task (first call) or renews its
    /// lease, attaching `fields` to the attempt.
    async fn report_task_progress(
        &self,
        task_id: &TaskId,
        fields: &[Field],
    ) -> Result<ProgressResponse, ApiError>;

    /// `ReportTaskRunnerHeartbeat`: tells the service the runner is alive.
    async fn report_task_runner_heartbeat(
        &self,
        request: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError>;

    /// `SetTaskStatus`: reports the task's outcome, ending the lease.
    async fn set_task_status(
        &self,
        task_id: &TaskId,
        report: &StatusReport,
    ) -> Result<(), ApiError>;
}

/// The future a [`TaskService`] method answers, as `async_trait` boxes it.
type CallFuture<'call, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'call>>;

/// Forwards to the service behind the `Arc`, handing on the future it
/// boxed: written out rather than with `async_trait`, whose forwarding
/// method would box a second future around that one on every call (the
/// framework holds its service as an `Arc<dyn TaskService>`, so every
/// call went through here: docs/PERFORMANCE.md, framework-overhead).
impl<T: TaskService + ?Sized> TaskService for Arc<T> {
    fn poll_for_task<'service, 'request, 'call>(
        &'service self,
        request: &'request PollRequest,
    ) -> CallFuture<'call, Option<Task>>
    where
        'service: 'call,
        'request: 'call,
        Self: 'call,
    {
        (**self).poll_for_task(request)
    }

    fn report_task_progress<'service, 'task, 'fields, 'call>(
        &'service self,
        task_id: &'task TaskId,
        fields: &'fields [Field],
    ) -> CallFuture<'call, ProgressResponse>
    where
        'service: 'call,
        'task: 'call,
        'fields: 'call,
        Self: 'call,
    {
        (**self).report_task_progress(task_id, fields)
    }

    fn report_task_runner_heartbeat<'service, 'request, 'call>(
        &'service self,
        request: &'request HeartbeatRequest,
    ) -> CallFuture<'call, HeartbeatResponse>
    where
        'service: 'call,
        'request: 'call,
        Self: 'call,
    {
        (**self).report_task_runner_heartbeat(request)
    }

    fn set_task_status<'service, 'task, 'report, 'call>(
        &'service self,
        task_id: &'task TaskId,
        report: &'report StatusReport,
    ) -> CallFuture<'call, ()>
    where
        'service: 'call,
        'task: 'call,
        'report: 'call,
        Self: 'call,
    {
        (**self).set_task_status(task_id, report)
    }
}
