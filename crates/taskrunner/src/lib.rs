//! Embed an AWS Data Pipeline task runner.
//!
//! This is the facade of the framework: what an embedder writes against.
//! The top level holds what nearly every program needs — the [`Runner`] and
//! its [`RunnerBuilder`], and what an activity is made of ([`Activity`],
//! [`TaskContext`], [`Outcome`]). The rest is grouped by concern, one module
//! per sibling crate's share of the surface:
//!
//! - [`activity`]: routing, typed fields, the tower adapters and layers
//!   (`taskrunner-activity`);
//! - [`service`]: the four task-runner calls ([`service::TaskService`]), the
//!   AWS implementation ([`service::SdkTaskService`]), errors and the call
//!   budget (`taskrunner-api`);
//! - [`task`]: a polled task, its objects and fields, the status a task ends
//!   with, and pipeline periods (`taskrunner-api`);
//! - [`lease`]: lease timing, cancellation and progress (`taskrunner-lease`);
//! - [`poll`]: worker groups' poll settings and backoff (`taskrunner-poller`).
//!
//! The engine behind the [`Runner`] lives in `taskrunner-engine`.
//!
//! For each task, the runner holds a free slot before it polls, acknowledges
//! the task at once, routes it by its `type` or by a `my…` field, runs the
//! activity with its attempt timeout, reports progress while it runs,
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
//!     // Tripped at 10 minutes, the handler gets the cancel grace to stop.
//!     .attempt_timeout(Duration::from_secs(600))
//!     .build()?;
//! let summary = runner.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await;
//! println!("{summary:?}");
//! # Ok(())
//! # }
//! ```

pub use taskrunner_activity::{Activity, BoxError, Cancelled, Failure, Outcome, TaskContext};
pub use taskrunner_api::CancelReason;
pub use taskrunner_engine::{
    BuildError, RunSummary, Runner, RunnerBuilder, DEFAULT_PRECONDITION_RETRY_DELAY,
};

/// Activities: routing by `type` or by a `my…` field, typed fields, the
/// tower adapters, and the layers every route runs in.
///
/// Everything `taskrunner-activity` offers, re-exported whole: that crate
/// is the activity author's API.
pub mod activity {
    pub use taskrunner_activity::*;
}

/// The service a runner calls: the four task-runner calls, their AWS
/// implementation, their errors, and the call budget that keeps a process
/// inside the account's quotas.
pub mod service {
    pub use taskrunner_api::{
        async_trait, error_chain, ApiError, CallBudget, ErrorClass, HeartbeatRequest,
        HeartbeatResponse, InstanceIdentity, LeaseGone, Operation, PollRequest, ProgressResponse,
        Quota, QuotaError, SdkTaskService, TaskService, MALFORMED_TASK_ERROR_ID,
        POLL_ATTEMPT_TIMEOUT, POLL_OPERATION_TIMEOUT,
    };
}

/// A task as PollForTask returns it, the status it ends with, and the
/// `"15 minutes"` periods its fields hold.
pub mod task {
    pub use taskrunner_api::{
        parse_period, Field, FieldValue, LazyDigest, ParsePeriodError, StatusReport, Task, TaskId,
        TaskObject, TaskStatus,
    };
}

/// Leases: report timing, and the signals between a task's lease and its
/// handler (cancellation with its reason, progress fields, the deadline).
pub mod lease {
    pub use taskrunner_api::{
        CancelReason, Cancellation, DeadlineSource, LeaseDeadline, ProgressSink,
    };
    pub use taskrunner_lease::LeaseConfig;
}

/// Polling: a worker group's slots, pollers and backoff, and the heartbeat
/// interval.
pub mod poll {
    pub use taskrunner_poller::{
        Backoff, PollerConfig, PollerConfigError, DEFAULT_HEARTBEAT_INTERVAL, PRECONDITION_TYPES,
    };
}
