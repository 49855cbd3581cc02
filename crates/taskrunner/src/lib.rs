//! Embed an AWS Data Pipeline task runner.
//!
//! This is the facade of the framework: a [`Runner`] wires the pieces of its
//! sibling crates together.
//!
//! - `taskrunner-api`: the task-runner calls ([`TaskService`], implemented
//!   for `aws_sdk_datapipeline::Client`) and the domain types.
//! - `taskrunner-activity`: what you write — a handler function or an
//!   [`Activity`] — the [`TaskContext`] it receives, routing, and tower
//!   adapters.
//! - `taskrunner-lease`: acknowledgement and progress reports, cancellation,
//!   lost leases, deadline fencing, and the process-wide [`CallBudget`].
//! - `taskrunner-poller`: PollForTask loops with slots and backoff, and the
//!   runner heartbeat.
//!
//! For each task, the runner holds a free slot before it polls, acknowledges
//! the task at once, routes it by its `type` or by a `my…` field, runs the
//! activity with its `attemptTimeout`, reports progress while it runs,
//! cancels it when the service says so or the lease is lost, and ends with
//! SetTaskStatus — never for a lease it no longer holds. An activity that
//! answers [`Outcome::PreconditionFalse`] is checked again every
//! `retryDelay` within the same attempt until it holds or its
//! `preconditionTimeout` is spent, as the Java Task Runner does.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use serde::Deserialize;
//! use taskrunner::{Cancelled, Runner, TaskContext};
//!
//! #[derive(Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct Resize {
//!     my_input: String,
//!     my_width: u32,
//! }
//!
//! async fn resize(params: Resize, ctx: TaskContext) -> Result<(), Cancelled> {
//!     ctx.progress().set("percentComplete", "50");
//!     let work = tokio::time::sleep(Duration::from_millis(u64::from(params.my_width)));
//!     ctx.until_cancelled(work).await?;
//!     println!("resized {}", params.my_input);
//!     Ok(())
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let client = aws_sdk_datapipeline::Client::new(&config);
//! let runner = Runner::builder(client)
//!     .worker_group("images")
//!     .activity_for_field("myActivity", "resize", resize)
//!     .concurrency(8)
//!     .layer(tower::limit::ConcurrencyLimitLayer::new(4))
//!     .build()?;
//! let summary = runner.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await;
//! println!("{summary:?}");
//! # Ok(())
//! # }
//! ```

mod builder;
mod error;
mod execute;
mod precondition;
mod runner;
mod status;
mod summary;

pub use builder::RunnerBuilder;
pub use error::BuildError;
pub use execute::ATTEMPT_TIMEOUT_ERROR_ID;
pub use precondition::DEFAULT_PRECONDITION_RETRY_DELAY;
pub use runner::Runner;
pub use summary::RunSummary;

pub use taskrunner_activity::{
    into_service, Activity, ActivityService, BoxError, Cancelled, Failure, FieldsError, Handler,
    IntoActivityService, IntoOutcome, NoActivity, Outcome, TaskContext,
};
pub use taskrunner_api::{
    async_trait, error_chain, ApiError, CancelReason, Cancellation, ErrorClass, Field, FieldValue,
    HeartbeatRequest, HeartbeatResponse, InstanceIdentity, LeaseGone, Operation, PollRequest,
    ProgressResponse, ProgressSink, SdkTaskService, StatusReport, Task, TaskId, TaskObject,
    TaskService, TaskStatus,
};
pub use taskrunner_lease::{CallBudget, LeaseConfig, Quota};
pub use taskrunner_poller::{Backoff, PollerConfig};
