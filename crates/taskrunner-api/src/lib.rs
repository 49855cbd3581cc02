//! The task-runner half of the AWS Data Pipeline API, as Rust types.
//!
//! This is the bottom crate of the task-runner framework:
//!
//! - **Domain types**: a leased [`Task`] with its [`TaskObject`]s and
//!   [`Field`]s, the opaque [`TaskId`], the final [`StatusReport`].
//! - **[`TaskService`]**: the four calls a runner makes (PollForTask,
//!   ReportTaskProgress, ReportTaskRunnerHeartbeat, SetTaskStatus), with
//!   [`SdkTaskService`] over the AWS SDK, and errors ([`ApiError`])
//!   classified by what the caller should do ([`ErrorClass`]).
//! - **What every layer above shares**: the process-wide [`CallBudget`]
//!   (token buckets for the service's quotas) and [`parse_period`] for the
//!   `"15 minutes"` form of pipeline durations.
//! - **Signals** shared between a task's lease and its activity:
//!   [`Cancellation`] (stop the work, and why) and [`ProgressSink`] (fields for
//!   the next progress report).
//!
//! `taskrunner-activity` builds the user-facing `Activity` trait on these
//! types; `taskrunner-lease`, `taskrunner-poller` and `taskrunner-engine`
//! drive a [`TaskService`].
//!
//! # Example
//!
//! Any [`TaskService`] will do; here an in-memory one hands out a single task,
//! which is acknowledged and reported finished.
//!
//! ```
//! use std::sync::Mutex;
//!
//! use async_trait::async_trait;
//! use taskrunner_api::{
//!     ApiError, Field, HeartbeatRequest, HeartbeatResponse, PollRequest, ProgressResponse,
//!     StatusReport, Task, TaskId, TaskObject, TaskService, TaskStatus,
//! };
//!
//! #[derive(Default)]
//! struct OneTask {
//!     reports: Mutex<Vec<TaskStatus>>,
//! }
//!
//! #[async_trait]
//! impl TaskService for OneTask {
//!     async fn poll_for_task(&self, _: &PollRequest) -> Result<Option<Task>, ApiError> {
//!         let attempt = TaskObject::new("@Hello_Attempt=1", "Hello")
//!             .with_field(Field::string("type", "ShellCommandActivity"));
//!         Ok(Some(Task::new("opaque-token", "df-EXAMPLE", "@Hello_Attempt=1").with_object(attempt)))
//!     }
//!     async fn report_task_progress(&self, _: &TaskId, _: &[Field]) -> Result<ProgressResponse, ApiError> {
//!         Ok(ProgressResponse::default())
//!     }
//!     async fn report_task_runner_heartbeat(&self, _: &HeartbeatRequest) -> Result<HeartbeatResponse, ApiError> {
//!         Ok(HeartbeatResponse::default())
//!     }
//!     async fn set_task_status(&self, _: &TaskId, report: &StatusReport) -> Result<(), ApiError> {
//!         self.reports.lock().unwrap().push(report.status);
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ApiError> {
//! let service = OneTask::default();
//! let task = service.poll_for_task(&PollRequest::new("my-workers")).await?.expect("a task");
//! assert_eq!(task.attempt().and_then(|a| a.object_type()), Some("ShellCommandActivity"));
//!
//! let response = service.report_task_progress(&task.task_id, &[]).await?;
//! assert!(!response.canceled);
//! service.set_task_status(&task.task_id, &StatusReport::finished()).await?;
//! assert_eq!(*service.reports.lock().unwrap(), [TaskStatus::Finished]);
//! # Ok(())
//! # }
//! ```
//!
//! With AWS, the service is [`SdkTaskService`], which wraps the SDK client
//! (the client itself is no [`TaskService`]: see [`SdkTaskService`] for
//! why):
//!
//! ```no_run
//! # async fn run() -> Result<(), taskrunner_api::ApiError> {
//! use taskrunner_api::{PollRequest, SdkTaskService, TaskService};
//!
//! let config = aws_sdk_datapipeline::Config::builder()
//!     .behavior_version(aws_sdk_datapipeline::config::BehaviorVersion::latest())
//!     .region(aws_sdk_datapipeline::config::Region::new("us-east-1"))
//!     .build();
//! let service = SdkTaskService::new(aws_sdk_datapipeline::Client::from_conf(config));
//! if let Some(task) = service.poll_for_task(&PollRequest::new("my-workers")).await? {
//!     println!("leased {}", task.task_id);
//! }
//! # Ok(())
//! # }
//! ```

mod budget;
mod cancellation;
mod deadline;
mod error;
mod error_chain;
mod field;
mod messages;
mod operation;
mod period;
mod progress;
mod sdk;
mod service;
mod status;
mod task;
mod task_id;

pub use budget::{CallBudget, Quota, QuotaError};
pub use cancellation::{CancelReason, Cancellation, Cancelled};
pub use deadline::{DeadlineSource, LeaseDeadline};
pub use error::{ApiError, ErrorClass, LeaseGone};
pub use error_chain::error_chain;
pub use field::{Field, FieldValue};
pub use messages::{
    HeartbeatRequest, HeartbeatResponse, InstanceIdentity, PollRequest, ProgressResponse,
};
pub use operation::Operation;
pub use period::{parse_period, ParsePeriodError};
pub use progress::ProgressSink;
pub use sdk::{
    SdkTaskService, MALFORMED_TASK_ERROR_ID, POLL_ATTEMPT_TIMEOUT, POLL_OPERATION_TIMEOUT,
};
pub use service::TaskService;
pub use status::{
    is_allowed_char, StatusReport, TaskStatus, MAX_ERROR_ID_CHARS, MAX_ERROR_MESSAGE_CHARS,
    MAX_STACK_TRACE_CHARS,
};
pub use task::{Task, TaskObject};
pub use task_id::{LazyDigest, TaskId};

/// Re-exported so implementors of [`TaskService`] need not depend on it.
pub use async_trait::async_trait;
pub use tokio_util::sync::CancellationToken;
