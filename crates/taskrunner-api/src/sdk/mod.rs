//! [`SdkTaskService`]: the [`TaskService`] over [`aws_sdk_datapipeline::Client`].
//!
//! Requests are built from this crate's types, answers converted back, and
//! every `SdkError` classified into an [`ApiError`](crate::ApiError). The SDK's
//! own retry policy stays in force for polls, progress reports and
//! heartbeats (it retries 5xx and throttling a bounded number of times); the
//! caller's backoff sits on top of it. SetTaskStatus goes without it: one
//! call per attempt, so that the runner can tell a status whose answer was
//! lost from one refused.
//!
//! This is the one way the framework talks to AWS: the client itself does
//! not implement [`TaskService`], so no caller can take a path with the
//! SDK's retries on SetTaskStatus or a read timeout that cuts long polls.

mod call_boxes;
mod classify;
mod convert;
mod salvage;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_datapipeline::config::timeout::TimeoutConfig;
use aws_sdk_datapipeline::error::SdkError;
use aws_sdk_datapipeline::operation::poll_for_task::{PollForTaskError, PollForTaskOutput};
use aws_sdk_datapipeline::operation::report_task_progress::{
    ReportTaskProgressError, ReportTaskProgressOutput,
};
use aws_sdk_datapipeline::operation::report_task_runner_heartbeat::{
    ReportTaskRunnerHeartbeatError, ReportTaskRunnerHeartbeatOutput,
};
use aws_sdk_datapipeline::operation::set_task_status::{SetTaskStatusError, SetTaskStatusOutput};
use aws_sdk_datapipeline::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::{
    ApiError, ErrorClass, Field, HeartbeatRequest, HeartbeatResponse, Operation, PollRequest,
    ProgressResponse, StatusReport, Task, TaskId, TaskService,
};
use call_boxes::CallBoxes;
use classify::classify;
use convert::{field_to_sdk, identity_to_sdk, status_to_sdk, task_from_sdk, InvalidTask};
pub use salvage::MALFORMED_TASK_ERROR_ID;

/// How long one PollForTask attempt may take: the service long-polls for up
/// to 90 s, so the read timeout must be longer, with room for a slow network.
pub const POLL_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(100);

/// The bound on a whole PollForTask call, SDK retries included (three
/// attempts under the SDK's standard retry policy).
pub const POLL_OPERATION_TIMEOUT: Duration = Duration::from_secs(300);

/// The timeouts PollForTask runs with, overriding whatever the client was
/// configured with (a client-wide read timeout below 90 s would otherwise cut
/// every empty long poll short).
fn poll_timeouts(attempt: Duration, operation: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .read_timeout(attempt)
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build()
}

/// The SDK client as a [`TaskService`]: the one a runner uses with AWS.
///
/// - PollForTask runs with timeouts of its own, whatever the client was
///   configured with: by default [`POLL_ATTEMPT_TIMEOUT`] and
///   [`POLL_OPERATION_TIMEOUT`], which suit AWS's 90-second long polls (a
///   client-wide read timeout below 90 s would cut every empty poll short).
///   [`poll_timeouts`](Self::poll_timeouts) sets shorter ones for a service
///   with shorter long polls (a local one), or for a test of a poll that
///   never finishes: the attempt timeout covers the whole answer, body
///   included, so a service that trickles its answer is cut off after it.
/// - SetTaskStatus goes without the SDK's own retries: the caller (the
///   runner) retries, and only then can it tell a retry answered
///   TaskNotFound after a call whose answer was lost — the status most
///   likely went through — from a status refused outright.
/// - ReportTaskProgress and the heartbeat use the client as given.
///
/// The variants of the client are built once: per-call configuration
/// overrides cost CPU on every call. Clones share the clients and the
/// memory kept for the calls' futures.
#[derive(Debug, Clone)]
pub struct SdkTaskService {
    /// For ReportTaskProgress and the heartbeat: the client as given.
    client: Client,
    /// The client with the PollForTask timeouts.
    poll_client: Client,
    /// The client without retries, for SetTaskStatus.
    status_client: Client,
    /// The boxes the calls' futures run in, kept between calls.
    boxes: Arc<OperationBoxes>,
}

/// What an SDK call answers.
type SdkAnswer<O, E> = Result<O, SdkError<E, HttpResponse>>;

/// The kept boxes of PollForTask's calls.
type PollBoxes = CallBoxes<SdkAnswer<PollForTaskOutput, PollForTaskError>>;
/// The kept boxes of ReportTaskProgress's calls.
type ProgressBoxes = CallBoxes<SdkAnswer<ReportTaskProgressOutput, ReportTaskProgressError>>;
/// The kept boxes of ReportTaskRunnerHeartbeat's calls.
type HeartbeatBoxes =
    CallBoxes<SdkAnswer<ReportTaskRunnerHeartbeatOutput, ReportTaskRunnerHeartbeatError>>;
/// The kept boxes of SetTaskStatus's calls.
type StatusBoxes = CallBoxes<SdkAnswer<SetTaskStatusOutput, SetTaskStatusError>>;

/// Boxes for each operation's call futures (see [`CallBoxes`]).
#[derive(Debug, Default)]
struct OperationBoxes {
    poll: PollBoxes,
    progress: ProgressBoxes,
    heartbeat: HeartbeatBoxes,
    status: StatusBoxes,
}

impl SdkTaskService {
    /// The client with the default PollForTask timeouts.
    pub fn new(client: Client) -> Self {
        let status_client = Client::from_conf(
            client
                .config()
                .to_builder()
                .retry_config(aws_sdk_datapipeline::config::retry::RetryConfig::disabled())
                .build(),
        );
        Self {
            poll_client: with_poll_timeouts(&client, POLL_ATTEMPT_TIMEOUT, POLL_OPERATION_TIMEOUT),
            status_client,
            client,
            boxes: Arc::default(),
        }
    }

    /// Sets the PollForTask timeouts: one attempt (keep it above the
    /// service's long-poll wait, or empty polls fail) and the whole call,
    /// retries included.
    #[must_use]
    pub fn poll_timeouts(mut self, attempt: Duration, operation: Duration) -> Self {
        self.poll_client = with_poll_timeouts(&self.client, attempt, operation);
        self
    }
}

/// `client` with PollForTask's timeouts.
fn with_poll_timeouts(client: &Client, attempt: Duration, operation: Duration) -> Client {
    Client::from_conf(
        client
            .config()
            .to_builder()
            .timeout_config(poll_timeouts(attempt, operation))
            .build(),
    )
}

#[async_trait]
impl TaskService for SdkTaskService {
    async fn poll_for_task(&self, request: &PollRequest) -> Result<Option<Task>, ApiError> {
        poll(&self.poll_client, &self.boxes, request).await
    }

    async fn report_task_progress(
        &self,
        task_id: &TaskId,
        fields: &[Field],
    ) -> Result<ProgressResponse, ApiError> {
        report_progress(&self.client, &self.boxes.progress, task_id, fields).await
    }

    async fn report_task_runner_heartbeat(
        &self,
        request: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError> {
        heartbeat(&self.client, &self.boxes.heartbeat, request).await
    }

    async fn set_task_status(
        &self,
        task_id: &TaskId,
        report: &StatusReport,
    ) -> Result<(), ApiError> {
        set_status(&self.status_client, &self.boxes.status, task_id, report).await
    }
}

/// PollForTask through `client`, which has the poll timeouts. A task whose
/// answer cannot be read is reported FAILED through it too, with the SDK's
/// retries: nobody else will retry that report.
async fn poll(
    client: &Client,
    boxes: &OperationBoxes,
    request: &PollRequest,
) -> Result<Option<Task>, ApiError> {
    let operation = Operation::PollForTask;
    let output = boxes
        .poll
        .run(
            client
                .poll_for_task()
                .worker_group(request.worker_group.clone())
                .set_hostname(request.hostname.clone())
                .set_instance_identity(request.instance_identity.as_ref().map(identity_to_sdk))
                .send(),
        )
        .await;
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            let salvaged = salvage::task_id_of(&error);
            let error = classify(operation, error);
            return Err(match salvaged {
                // Boxed: a rare path, whose future would otherwise make
                // every poll's future larger than glibc's per-thread cache
                // serves.
                Some(task_id) => {
                    Box::pin(report_malformed(
                        client,
                        &boxes.status,
                        &TaskId::new(task_id),
                        error,
                    ))
                    .await
                }
                None => error,
            });
        }
    };
    let Some(task) = output.task_object else {
        return Ok(None);
    };
    match task_from_sdk(task) {
        Ok(task) => Ok(Some(task)),
        Err(InvalidTask::MissingTaskId) => Err(ApiError::new(
            operation,
            ErrorClass::Transient,
            "the service returned a task without a taskId; it cannot be acknowledged and is dropped",
        )),
    }
}

/// Reports a task whose PollForTask answer could not be read FAILED with
/// errorId [`MALFORMED_TASK_ERROR_ID`] (see `salvage`), and answers the
/// poll's error, now saying what became of the task.
async fn report_malformed(
    client: &Client,
    boxes: &StatusBoxes,
    task_id: &TaskId,
    error: ApiError,
) -> ApiError {
    let report = StatusReport::failed(
        MALFORMED_TASK_ERROR_ID,
        format!("the runner could not read this task: {}", error.message()),
    );
    let outcome = match set_status(client, boxes, task_id, &report).await {
        Ok(()) => format!(
            "task {} reported FAILED ({MALFORMED_TASK_ERROR_ID})",
            task_id.digest()
        ),
        Err(status_error) => format!(
            "task {} could not be reported FAILED either ({status_error}); the service will reassign it",
            task_id.digest()
        ),
    };
    let class = error.class();
    let message = format!("{}; {outcome}", error.message());
    ApiError::new(Operation::PollForTask, class, message).with_source(error)
}

/// ReportTaskProgress through `client`.
async fn report_progress(
    client: &Client,
    boxes: &ProgressBoxes,
    task_id: &TaskId,
    fields: &[Field],
) -> Result<ProgressResponse, ApiError> {
    let operation = Operation::ReportTaskProgress;
    let sdk_fields = fields
        .iter()
        .map(field_to_sdk)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            ApiError::new(
                operation,
                ErrorClass::InvalidRequest,
                format!("invalid progress field: {error}"),
            )
            .with_source(error)
        })?;
    let output = boxes
        .run(
            client
                .report_task_progress()
                .task_id(task_id.as_str())
                .set_fields((!sdk_fields.is_empty()).then_some(sdk_fields))
                .send(),
        )
        .await
        .map_err(|error| classify(operation, error))?;
    Ok(ProgressResponse {
        canceled: output.canceled(),
    })
}

/// ReportTaskRunnerHeartbeat through `client`.
async fn heartbeat(
    client: &Client,
    boxes: &HeartbeatBoxes,
    request: &HeartbeatRequest,
) -> Result<HeartbeatResponse, ApiError> {
    let output = boxes
        .run(
            client
                .report_task_runner_heartbeat()
                .taskrunner_id(request.taskrunner_id.clone())
                .set_worker_group(request.worker_group.clone())
                .set_hostname(request.hostname.clone())
                .send(),
        )
        .await
        .map_err(|error| classify(Operation::ReportTaskRunnerHeartbeat, error))?;
    Ok(HeartbeatResponse {
        terminate: output.terminate(),
    })
}

/// SetTaskStatus through `client`, the report sanitised.
async fn set_status(
    client: &Client,
    boxes: &StatusBoxes,
    task_id: &TaskId,
    report: &StatusReport,
) -> Result<(), ApiError> {
    let report = report.clone().sanitize();
    boxes
        .run(
            client
                .set_task_status()
                .task_id(task_id.as_str())
                .task_status(status_to_sdk(report.status))
                .set_error_id(report.error_id)
                .set_error_message(report.error_message)
                .set_error_stack_trace(report.error_stack_trace)
                .send(),
        )
        .await
        .map_err(|error| classify(Operation::SetTaskStatus, error))?;
    Ok(())
}
