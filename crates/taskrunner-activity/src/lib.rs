//! The user-facing half of the task-runner framework: what an activity is,
//! what it sees, and how the runner picks one.
//!
//! - [`Activity`]: implement it (or wrap a closure with [`activity_fn`]) to do
//!   the work of one kind of task.
//! - [`TaskContext`]: the task, its fields as typed values
//!   ([`TaskContext::fields`], via serde — see [`fields`]), cancellation, a
//!   progress sink, the lease deadline, a scratch directory and a span.
//! - [`Outcome`] and [`ActivityError`]: how a run ends; both become a
//!   SetTaskStatus report.
//! - [`Router`]: picks the activity for a task by a field value such as
//!   `myActivity` = `resize`, or by the object `type`.
//! - tower adapters: [`ActivityService`] turns an activity into a
//!   `tower::Service`, so timeouts and limits are layers;
//!   [`CatchPanicLayer`] and [`TraceLayer`] are applied to every route.
//!
//! It builds on `taskrunner-api` (the domain types and signals) and is driven
//! by the runner (`taskrunner`), which leases tasks, keeps their leases alive
//! (`taskrunner-lease`) and reports the outcome.
//!
//! # Example
//!
//! ```
//! use serde::Deserialize;
//! use taskrunner_activity::{
//!     async_trait, Activity, ActivityError, Outcome, Router, TaskContext,
//! };
//! use taskrunner_api::{Field, Task, TaskObject, TaskStatus};
//!
//! /// Declared in a pipeline as a ShellCommandActivity with `myActivity: greet`.
//! struct Greet;
//!
//! #[derive(Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct Params {
//!     my_name: String,
//!     my_times: Option<u32>,
//! }
//!
//! #[async_trait]
//! impl Activity for Greet {
//!     async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
//!         let params: Params = ctx.fields()?;
//!         for _ in 0..params.my_times.unwrap_or(1) {
//!             ctx.check_cancelled()?;
//!             tracing::info!("hello, {}", params.my_name);
//!         }
//!         ctx.progress().set("myGreeted", params.my_name);
//!         Ok(Outcome::Finished)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let router = Router::builder()
//!     .activity_for_field("myActivity", "greet", Greet)
//!     .build();
//!
//! let attempt = TaskObject::new("@Greet_Attempt=1", "Greet")
//!     .with_field(Field::string("type", "ShellCommandActivity"))
//!     .with_field(Field::string("myActivity", "greet"))
//!     .with_field(Field::string("myName", "world"))
//!     .with_field(Field::string("myTimes", "2"));
//! let task = Task::new("opaque", "df-EXAMPLE", "@Greet_Attempt=1").with_object(attempt);
//!
//! let route = router.route(&task)?;
//! let ctx = TaskContext::builder(task).build();
//! let report = match route.call(ctx).await {
//!     Ok(outcome) => outcome.into_status_report(),
//!     Err(error) => error.into_status_report(),
//! };
//! assert_eq!(report.status, TaskStatus::Finished);
//! # Ok(())
//! # }
//! ```

mod activity;
mod context;
mod error;
pub mod fields;
mod layers;
mod outcome;
mod router;
mod scratch;
mod service;

pub use activity::{activity_fn, Activity, FnActivity};
pub use context::{TaskContext, TaskContextBuilder};
pub use error::ActivityError;
pub use fields::FieldsError;
pub use layers::{CatchPanic, CatchPanicLayer, Trace, TraceLayer};
pub use outcome::Outcome;
pub use router::{NoActivity, Route, Router, RouterBuilder};
pub use service::{ActivityService, BoxActivityService};

/// Re-exported so implementors of [`Activity`] need not depend on it.
pub use async_trait::async_trait;
