//! [`Activity`]: the work a user plugs into the runner.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{ActivityError, Outcome, TaskContext};

/// The work done for one kind of task.
///
/// The runner leases a task, acknowledges it, picks an activity through a
/// [`Router`](crate::Router), and calls [`run`](Activity::run) with a
/// [`TaskContext`]. While `run` is in progress the runner keeps the lease
/// alive; when it returns, the result is reported with SetTaskStatus.
///
/// # Contract
///
/// - `run` is called once per task delivery. The same attempt can be
///   delivered again (after a lost lease, or as a retry with a new attempt
///   id), possibly to another runner at the same time as a zombie copy on
///   this one, so the work should be idempotent or guard its side effects.
/// - One activity value serves many tasks concurrently (`&self`): keep
///   per-task state in the future, shared state behind a lock.
/// - `run` must not block the executor thread: use async I/O, or
///   `tokio::task::spawn_blocking` for blocking work.
///
/// # Cancellation
///
/// The activity is asked to stop when the service cancels the attempt, the
/// lease is lost, the runner shuts down, or a time limit passes. It is asked
/// cooperatively first — [`TaskContext::cancelled`] completes,
/// [`TaskContext::is_cancelled`] turns true — and should then stop promptly
/// (kill its subprocesses, abandon I/O) and return
/// [`ActivityError::Cancelled`] (or any result: once the lease is gone the
/// runner reports nothing). After a grace period the runner drops the
/// future, so `run` must tolerate being dropped at any `.await`; clean up
/// with drop guards, not code after an `.await`.
///
/// # Errors
///
/// Return `Ok(`[`Outcome`]`)` for results the activity fully describes,
/// including [`Outcome::Failed`] (e.g. a command's non-zero exit) and
/// [`Outcome::PreconditionFalse`]. Return `Err(`[`ActivityError`]`)` when the
/// work could not be done; it is reported `FAILED` with the error's
/// [`error_id`](ActivityError::error_id), and the service may retry the
/// attempt per the pipeline's `maximumRetries`. Typed-field errors convert
/// with `?`.
///
/// # Panics
///
/// A panic in `run` is caught by the router's
/// [`CatchPanicLayer`](crate::CatchPanicLayer) and reported as
/// [`ActivityError::Panicked`]; it does not take the runner down. It is still
/// a bug.
///
/// # Example
///
/// ```
/// use serde::Deserialize;
/// use taskrunner_activity::{async_trait, Activity, ActivityError, Outcome, TaskContext};
///
/// struct Resize;
///
/// #[derive(Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Params {
///     my_width: u32,
/// }
///
/// #[async_trait]
/// impl Activity for Resize {
///     async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
///         let params: Params = ctx.fields()?;
///         if params.my_width == 0 {
///             return Err(ActivityError::failed("InvalidWidth", "myWidth must be positive"));
///         }
///         ctx.check_cancelled()?;
///         ctx.progress().set("myResized", "1");
///         Ok(Outcome::Finished)
///     }
/// }
/// ```
#[async_trait]
pub trait Activity: Send + Sync + 'static {
    /// Does the work of one task.
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError>;
}

#[async_trait]
impl<A: Activity + ?Sized> Activity for Arc<A> {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
        (**self).run(ctx).await
    }
}

#[async_trait]
impl<A: Activity + ?Sized> Activity for Box<A> {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
        (**self).run(ctx).await
    }
}

/// An [`Activity`] made from an async closure; see [`activity_fn`].
#[derive(Clone)]
pub struct FnActivity<F> {
    f: F,
}

impl<F> fmt::Debug for FnActivity<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnActivity").finish_non_exhaustive()
    }
}

/// Makes an [`Activity`] from a function returning a future.
///
/// ```
/// use taskrunner_activity::{activity_fn, Outcome, TaskContext};
///
/// let hello = activity_fn(|ctx: TaskContext| async move {
///     tracing::info!(pipeline = ctx.pipeline_id(), "hello");
///     Ok(Outcome::Finished)
/// });
/// # let _ = hello;
/// ```
pub fn activity_fn<F, Fut>(f: F) -> FnActivity<F>
where
    F: Fn(TaskContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Outcome, ActivityError>> + Send + 'static,
{
    FnActivity { f }
}

#[async_trait]
impl<F, Fut> Activity for FnActivity<F>
where
    F: Fn(TaskContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Outcome, ActivityError>> + Send + 'static,
{
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
        (self.f)(ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taskrunner_api::Task;

    #[tokio::test]
    async fn closures_and_arcs_are_activities() {
        let activity: Arc<dyn Activity> = Arc::new(activity_fn(|ctx: TaskContext| async move {
            Ok(Outcome::failed("Echo", ctx.pipeline_id()))
        }));
        let ctx = TaskContext::builder(Task::new("t", "df-9", "@A")).build();
        let outcome = activity.run(ctx).await.expect("runs");
        assert_eq!(outcome, Outcome::failed("Echo", "df-9"));
    }
}
