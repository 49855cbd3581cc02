//! The user-facing half of the task-runner framework: what an activity is,
//! what it sees, and how the runner picks one.
//!
//! - An activity is usually a plain async function, a [`Handler`]: it takes
//!   its parameters (any serde type, read from the task's fields by the
//!   framework) and a [`TaskContext`], and returns `()`, `bool`, an
//!   [`Outcome`] or a `Result` of one with any error. An activity holding
//!   state of its own implements [`Activity`].
//! - [`TaskContext`]: the task and its fields (typed through serde — see
//!   [`fields`]), cancellation in one line
//!   ([`until_cancelled`](TaskContext::until_cancelled)), a progress sink,
//!   the lease deadline, a scratch directory and a span.
//! - [`Outcome`] and [`Failure`]: how a run ends. An error a handler returns
//!   becomes a `Failure` (its errorId, its chain as the message, its sources
//!   as the stack trace).
//! - [`Router`]: picks the activity for a task by a field value such as
//!   `myActivity` = `resize`, or by the object `type`, with one registration
//!   call that takes a handler, an [`Activity`] or a tower service; runner-wide
//!   tower layers go on with [`RouterBuilder::layer`].
//!
//! It builds on `taskrunner-api` (the domain types and signals) and is driven
//! by the runner (`taskrunner`), which leases tasks, keeps their leases alive
//! (`taskrunner-lease`) and reports the outcome.
//!
//! # Example
//!
//! ```
//! use serde::Deserialize;
//! use taskrunner_activity::{Cancelled, Router, TaskContext};
//! use taskrunner_api::{Field, Task, TaskObject, TaskStatus};
//!
//! /// Declared in a pipeline as a ShellCommandActivity with `myActivity: greet`.
//! #[derive(Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct Greet {
//!     my_name: String,
//!     my_times: Option<u32>,
//! }
//!
//! async fn greet(params: Greet, ctx: TaskContext) -> Result<(), Cancelled> {
//!     for _ in 0..params.my_times.unwrap_or(1) {
//!         ctx.check_cancelled()?;
//!         tracing::info!("hello, {}", params.my_name);
//!     }
//!     ctx.progress().set("myGreeted", params.my_name);
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let router = Router::builder()
//!     .activity_for_field("myActivity", "greet", greet)
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
//! let outcome = route.call(TaskContext::builder(task).build()).await;
//! assert_eq!(outcome.into_status_report().status, TaskStatus::Finished);
//! # Ok(())
//! # }
//! ```

mod activity;
mod context;
mod failure;
pub mod fields;
mod handler;
mod layers;
mod outcome;
mod router;
mod scratch;
mod service;

pub use activity::Activity;
pub use context::{TaskContext, TaskContextBuilder};
pub use failure::{
    Failure, ACTIVITY_ERROR_ID, ACTIVITY_PANICKED_ERROR_ID, ATTEMPT_TIMEOUT_ERROR_ID,
    CANCELLED_ERROR_ID, INVALID_TASK_FIELDS_ERROR_ID,
};
pub use fields::FieldsError;
pub use handler::Handler;
pub use layers::{CatchPanic, CatchPanicLayer, Trace, TraceLayer};
pub use outcome::{IntoOutcome, Outcome};
pub use router::{NoActivity, Route, Router, RouterBuilder};
pub use service::{into_service, markers, ActivityService, IntoActivityService};
pub use taskrunner_api::{CancelReason, Cancelled};

/// Any error, boxed: what an [`Activity`] fails with and what a tower layer's
/// error converts into. `?` converts every `std::error::Error + Send + Sync`
/// and `anyhow::Error` into it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
