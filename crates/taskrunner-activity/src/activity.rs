//! [`Activity`]: an activity with state of its own.

use std::future::Future;
use std::sync::Arc;

use crate::{BoxError, Outcome, TaskContext};

/// The work done for one kind of task, by a value that holds state shared
/// by every run: a connection pool, a client, a cache.
///
/// Stateless work is simpler as a plain async function (a
/// [`Handler`](crate::Handler)); both are registered the same way, with
/// [`RouterBuilder::activity_for_type`](crate::RouterBuilder::activity_for_type)
/// or [`activity_for_field`](crate::RouterBuilder::activity_for_field).
///
/// # Contract
///
/// - `run` is called once per task delivery. The same attempt can be
///   delivered again (after a lost lease, or as a retry with a new attempt
///   id), possibly to another runner while a zombie copy still runs on this
///   one, so the work should be idempotent or guard its side effects.
/// - One value serves many tasks at once (`&self`): keep per-task state in
///   the future, shared state behind a lock or in a pool.
/// - `run` must not block the executor thread: use async I/O, or
///   `tokio::task::spawn_blocking` for blocking work.
///
/// # Cancellation
///
/// The activity is asked to stop when the service cancels the attempt, the
/// lease is lost, the runner shuts down, or the attempt times out:
/// [`TaskContext::cancelled`] completes and
/// [`TaskContext::check_cancelled`] answers `Err`. It should then stop
/// promptly (kill its subprocesses, abandon I/O) and return the
/// [`Cancelled`](crate::Cancelled) error — `ctx.until_cancelled(work).await?`
/// does all of it. After a grace period the runner drops the future, so
/// `run` must tolerate being dropped at any `.await`: clean up with drop
/// guards, not with code after an `.await`.
///
/// # Errors
///
/// `Ok(`[`Outcome`]`)` is reported as it says. An error is reported
/// `FAILED` through [`Failure::from_error`](crate::Failure::from_error):
/// return a [`Failure`](crate::Failure) to choose the errorId; any other
/// error (`?` on an `io::Error`, a [`FieldsError`](crate::FieldsError), …)
/// reports its chain. The service may retry a failed attempt per the
/// pipeline's `maximumRetries`.
///
/// # Panics
///
/// A panic in `run` is caught at the route and reported `FAILED` with errorId
/// `ActivityPanicked`; it does not take the runner down. It is still a bug.
///
/// # Example
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// use serde::Deserialize;
/// use taskrunner_activity::{Activity, BoxError, Outcome, TaskContext};
///
/// /// Counts the rows it loads across every task it runs.
/// #[derive(Default)]
/// struct Loader {
///     rows: AtomicU64,
/// }
///
/// #[derive(Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Params {
///     my_rows: u64,
/// }
///
/// impl Activity for Loader {
///     async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
///         let params: Params = ctx.fields()?;
///         ctx.check_cancelled()?;
///         self.rows.fetch_add(params.my_rows, Ordering::Relaxed);
///         Ok(Outcome::Finished)
///     }
/// }
/// ```
pub trait Activity: Send + Sync + 'static {
    /// Does the work of one task.
    fn run(&self, ctx: TaskContext) -> impl Future<Output = Result<Outcome, BoxError>> + Send;
}

impl<A: Activity> Activity for Arc<A> {
    fn run(&self, ctx: TaskContext) -> impl Future<Output = Result<Outcome, BoxError>> + Send {
        (**self).run(ctx)
    }
}
