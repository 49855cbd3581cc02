//! PollForTask loops and the runner heartbeat for AWS Data Pipeline task
//! runners.
//!
//! A [`Poller`] polls one worker group. Before every PollForTask it takes a
//! free [`Slot`] (a concurrency permit), so a task is never polled that
//! cannot start at once; the slot travels with the task to a [`Dispatch`]
//! and is freed when the task is done. Up to [`PollerConfig::pollers`] polls
//! are in flight at once (the Java runner's `--tasks`, default 2), never
//! more than free slots. An empty poll loops at once; failed polls back off
//! exponentially with full jitter ([`Backoff`]), throttled ones harder. Every
//! poll first takes a token from the process-wide
//! [`CallBudget`](taskrunner_api::CallBudget).
//!
//! Beside them, [`PollerConfig::precondition_slots`] loops (default 2, the
//! Java runner's precondition threads) poll once every activity slot has
//! held the same task for a second, so preconditions are still checked when
//! long activities fill the runner (while short ones keep freeing slots, the
//! activity loops are polling anyway). PollForTask cannot ask for preconditions only: an activity such a
//! poll brings in is acknowledged at once and waits, lease kept alive, for
//! an activity slot ([`Slot::ready`]), so `concurrency` stays the limit on
//! activities. It gets the next activity slot freed, ahead of the activity
//! poll loops, which would otherwise hold that slot through a long poll.
//!
//! A [`Heartbeat`] sends ReportTaskRunnerHeartbeat at start and every 15
//! minutes; `terminate: true` trips a token the runner shuts down on.
//!
//! This crate sits beside `taskrunner-lease` (whose budget it shares) and
//! under the `taskrunner` facade, which wires pollers, leases and
//! activities into a `Runner`.
//!
//! ```
//! use std::sync::Arc;
//!
//! use taskrunner_api::{
//!     async_trait, ApiError, CallBudget, Field, HeartbeatRequest, HeartbeatResponse,
//!     PollRequest, ProgressResponse, StatusReport, Task, TaskId, TaskService,
//! };
//! use taskrunner_poller::{Poller, PollerConfig, Slot};
//! use tokio_util::sync::CancellationToken;
//!
//! /// A service with one task to give.
//! struct OneTask(parking_lot::Mutex<Option<Task>>);
//!
//! #[async_trait]
//! impl TaskService for OneTask {
//!     async fn poll_for_task(&self, _: &PollRequest) -> Result<Option<Task>, ApiError> {
//!         Ok(self.0.lock().take())
//!     }
//!     async fn report_task_progress(&self, _: &TaskId, _: &[Field]) -> Result<ProgressResponse, ApiError> {
//!         Ok(ProgressResponse::default())
//!     }
//!     async fn report_task_runner_heartbeat(&self, _: &HeartbeatRequest) -> Result<HeartbeatResponse, ApiError> {
//!         Ok(HeartbeatResponse::default())
//!     }
//!     async fn set_task_status(&self, _: &TaskId, _: &StatusReport) -> Result<(), ApiError> {
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = Arc::new(OneTask(parking_lot::Mutex::new(Some(Task::new("t-1", "df-1", "@A_Attempt=1")))));
//! let poller = Poller::new(service, CallBudget::unlimited(), PollerConfig::new("workers"))?;
//! let stop = CancellationToken::new();
//! let stopper = stop.clone();
//! let dispatch = move |task: Task, slot: Slot| {
//!     println!("got {} in {}", task.attempt_id, slot.worker_group());
//!     stopper.cancel();
//! };
//! let summary = poller.run(Arc::new(dispatch), stop).await;
//! assert_eq!(summary.tasks, 1);
//! # Ok(())
//! # }
//! ```

mod activity_slots;
mod backoff;
mod dispatch;
mod heartbeat;
mod occupancy;
mod poller;

pub use backoff::Backoff;
pub use dispatch::{is_precondition, Dispatch, Slot, PRECONDITION_TYPES};
pub use heartbeat::{Heartbeat, DEFAULT_HEARTBEAT_INTERVAL};
pub use poller::{PollSummary, Poller, PollerConfig, PollerConfigError};

#[cfg(test)]
mod tests;
