//! [`TaskService`] for [`aws_sdk_datapipeline::Client`].
//!
//! Requests are built from this crate's types, answers converted back, and
//! every `SdkError` classified into an [`ApiError`](crate::ApiError). The SDK's
//! own retry policy stays in force (it retries 5xx and throttling a bounded
//! number of times); the caller's backoff sits on top of it.
//!
//! The client's inherent builder methods (`client.poll_for_task()`) shadow
//! the trait's; call the trait's with `TaskService::poll_for_task(&client, …)`
//! or through `Arc<dyn TaskService>`.

mod classify;
mod convert;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_datapipeline::config::timeout::TimeoutConfig;
use aws_sdk_datapipeline::Client;

use crate::{
    ApiError, ErrorClass, Field, HeartbeatRequest, HeartbeatResponse, Operation, PollRequest,
    ProgressResponse, StatusReport, Task, TaskId, TaskService,
};
use classify::classify;
use convert::{field_to_sdk, identity_to_sdk, status_to_sdk, task_from_sdk, InvalidTask};

/// How long one PollForTask attempt may take: the service long-polls for up
/// to 90 s, so the read timeout must be longer, with room for a slow network.
pub const POLL_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(100);

/// The bound on a whole PollForTask call, SDK retries included (three
/// attempts under the SDK's standard retry policy).
pub const POLL_OPERATION_TIMEOUT: Duration = Duration::from_secs(300);

/// The timeouts PollForTask runs with, overriding whatever the client was
/// configured with (a client-wide read timeout below 90 s would otherwise cut
/// every empty long poll short).
fn poll_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .read_timeout(POLL_ATTEMPT_TIMEOUT)
        .operation_attempt_timeout(POLL_ATTEMPT_TIMEOUT)
        .operation_timeout(POLL_OPERATION_TIMEOUT)
        .build()
}

#[async_trait]
impl TaskService for Client {
    async fn poll_for_task(&self, request: &PollRequest) -> Result<Option<Task>, ApiError> {
        let operation = Operation::PollForTask;
        let output = self
            .poll_for_task()
            .worker_group(request.worker_group.clone())
            .set_hostname(request.hostname.clone())
            .set_instance_identity(request.instance_identity.as_ref().map(identity_to_sdk))
            .customize()
            .config_override(
                aws_sdk_datapipeline::Config::builder().timeout_config(poll_timeouts()),
            )
            .send()
            .await
            .map_err(|error| classify(operation, error))?;
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

    async fn report_task_progress(
        &self,
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
        let output = self
            .report_task_progress()
            .task_id(task_id.as_str())
            .set_fields((!sdk_fields.is_empty()).then_some(sdk_fields))
            .send()
            .await
            .map_err(|error| classify(operation, error))?;
        Ok(ProgressResponse {
            canceled: output.canceled(),
        })
    }

    async fn report_task_runner_heartbeat(
        &self,
        request: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError> {
        let output = self
            .report_task_runner_heartbeat()
            .taskrunner_id(request.taskrunner_id.clone())
            .set_worker_group(request.worker_group.clone())
            .set_hostname(request.hostname.clone())
            .send()
            .await
            .map_err(|error| classify(Operation::ReportTaskRunnerHeartbeat, error))?;
        Ok(HeartbeatResponse {
            terminate: output.terminate(),
        })
    }

    async fn set_task_status(
        &self,
        task_id: &TaskId,
        report: &StatusReport,
    ) -> Result<(), ApiError> {
        let report = report.clone().sanitize();
        self.set_task_status()
            .task_id(task_id.as_str())
            .task_status(status_to_sdk(report.status))
            .set_error_id(report.error_id)
            .set_error_message(report.error_message)
            .set_error_stack_trace(report.error_stack_trace)
            .send()
            .await
            .map_err(|error| classify(Operation::SetTaskStatus, error))?;
        Ok(())
    }
}
