//! Leases for AWS Data Pipeline tasks: acknowledgement, progress reports,
//! cancellation, lost leases and deadline fencing.
//!
//! When PollForTask hands a runner a task, the runner holds a *lease* on it:
//! it must acknowledge the task (its first ReportTaskProgress) within two
//! minutes, then report progress at least every `reportProgressTimeout`
//! (15 minutes by default), or the service gives the task to someone else.
//! This crate keeps those promises for every task of a process:
//!
//! * [`LeaseManager`] acknowledges each task at once — before its handler
//!   starts — and keeps reporting it while it runs. The service's answers
//!   become [`Cancellation`](taskrunner_api::Cancellation) trips: `canceled:
//!   true`, TaskNotFound / PipelineNotFound / PipelineDeleted, or a lease
//!   deadline that passed while reports kept failing.
//! * [`LeaseHandle::release`] ends a lease and returns a [`LeaseVerdict`]:
//!   **only a lease still held inside its deadline may send SetTaskStatus**
//!   (fencing: a runner never reports the outcome of a task it may no longer
//!   hold).
//! * Reports are paced by the process-wide
//!   [`CallBudget`](taskrunner_api::CallBudget) (in `taskrunner-api`), which
//!   the poller and the status sender share with the lease manager.
//!
//! It sits between `taskrunner-api` (the [`TaskService`](taskrunner_api::TaskService)
//! trait and the domain types it drives) and the poller / runner crates that
//! call [`LeaseManager::acquire`] for each polled task.
//!
//! # Design
//!
//! The rules for one lease live in a sans-IO state machine (see [`lease`]):
//! synchronous methods that take the current instant and return actions, so
//! the timing rules are tested without a runtime. A report queue orders all
//! leases' reports; one driver task per manager performs the calls.
//! [`LeaseManager::acknowledge`] lets the task that holds a lease send its
//! acknowledgement itself when a budget token is at hand, and leases reach
//! the driver through an inbox that wakes it only when it must act sooner
//! than it planned: a short task then costs the driver nothing. Reports
//! go out every 60 s (± jitter) while the budget has room; when it has not,
//! acknowledgements go first and then the report whose lease deadline is
//! nearest (earliest-deadline-first). That is what lets a 10 calls/s budget
//! keep several thousand 15-minute leases alive, where a fixed 60 s cadence
//! would stop at 600.
//!
//! # Costs
//!
//! A lease costs no task of its own: its entry in the driver's queue (about
//! 400 bytes with the hash table's share), its handle and the state and
//! deadline it shares with the driver (about 100 bytes: a lock each and a
//! `Notify`) — well under 1 KiB of the 8 KiB per-lease budget that a held
//! task has in all (docs/PERFORMANCE.md, leases). Each driver step is
//! `O(log n)` in the number of leases.
//!
//! The budget, not memory, bounds how many leases a process can hold: about
//! `ReportTaskProgress rate × (reportProgressTimeout − margin)`, less what
//! acknowledgements of new tasks take. Past that, leases expire (and are
//! fenced); [`LeaseManager::lease_count`] lets a poller stop short of it.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//!
//! use taskrunner_api::{
//!     async_trait, ApiError, CallBudget, Cancellation, Field, HeartbeatRequest,
//!     HeartbeatResponse, PollRequest, ProgressResponse, ProgressSink, StatusReport, Task,
//!     TaskId, TaskObject, TaskService,
//! };
//! use taskrunner_lease::{LeaseConfig, LeaseManager};
//!
//! /// A service that accepts every report.
//! struct Accepting;
//!
//! #[async_trait]
//! impl TaskService for Accepting {
//!     async fn poll_for_task(&self, _: &PollRequest) -> Result<Option<Task>, ApiError> {
//!         Ok(None)
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
//! let manager = LeaseManager::new(Arc::new(Accepting), CallBudget::documented(), LeaseConfig::default());
//!
//! // A task as PollForTask returns it, with a 2-minute report timeout.
//! let attempt = TaskObject::new("@Copy_Attempt=1", "Copy")
//!     .with_field(Field::string("reportProgressTimeout", "2 minutes"));
//! let task = Task::new("opaque-task-id", "df-EXAMPLE", "@Copy_Attempt=1").with_object(attempt);
//!
//! let cancellation = Cancellation::new();
//! let progress = ProgressSink::new();
//! let lease = manager.acquire(&task, cancellation.clone(), progress.clone())?;
//!
//! // Never run a task whose acknowledgement was refused.
//! if let Err(reason) = lease.acknowledged().await {
//!     panic!("not acknowledged: {reason}");
//! }
//! progress.set("myRowsCopied", "1000"); // rides on the next report
//! // ... run the task, watching `cancellation` ...
//!
//! let verdict = lease.release();
//! if verdict.may_set_status() {
//!     // send SetTaskStatus FINISHED / FAILED
//! }
//! manager.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod config;
mod fields;
pub mod lease;
mod manager;
mod queue;
mod telemetry;

pub use config::LeaseConfig;
pub use lease::{LeaseState, LeaseVerdict};
pub use manager::{AcknowledgeError, AcquireError, LeaseHandle, LeaseManager};
