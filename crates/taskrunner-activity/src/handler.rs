//! [`Handler`]: an async function that is an activity.

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use std::future::Future;

use crate::{Failure, IntoOutcome, Outcome, TaskContext};

/// An async function the runner can call for a task: the usual way to write
/// an activity.
///
/// Two shapes are handlers, told apart by the marker `M` (which callers
/// never name):
///
/// - `async fn check(ctx: TaskContext) -> R`
/// - `async fn load(params: P, ctx: TaskContext) -> R`, where `P` is any
///   `serde::de::DeserializeOwned` type. The framework reads `P` from the
///   attempt object's fields (see the [`fields`](crate::fields) module);
///   when they do not fit, the function is not called and the task ends
///   `FAILED` with errorId `InvalidTaskFields`, naming the field.
///
/// `R` is anything [`IntoOutcome`]: `()`, `bool` (a precondition),
/// [`Outcome`], or a `Result` of one of those with any error — `?` works on
/// `io::Error`, `anyhow::Error`, [`Failure`] and the rest. Closures of the
/// same shapes are handlers too, which is how a handler captures shared
/// state.
///
/// The contract (idempotence, cancellation, panics) is
/// [`Activity`](crate::Activity)'s.
///
/// ```
/// use serde::Deserialize;
/// use taskrunner_activity::{Failure, Router, TaskContext};
///
/// #[derive(Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Resize {
///     my_width: u32,
/// }
///
/// async fn resize(params: Resize, ctx: TaskContext) -> Result<(), Failure> {
///     if params.my_width == 0 {
///         return Err(Failure::new("InvalidWidth", "myWidth must be positive"));
///     }
///     ctx.progress().set("myResized", "1");
///     Ok(())
/// }
///
/// async fn input_ready(ctx: TaskContext) -> bool {
///     ctx.field("myInput").is_some()
/// }
///
/// let router = Router::builder()
///     .activity_for_field("myActivity", "resize", resize)
///     .activity_for_type("ShellCommandPrecondition", input_ready)
///     .build();
/// # let _ = router;
/// ```
pub trait Handler<M>: Clone + Send + Sync + 'static {
    /// Runs the handler for one task.
    fn run(&self, ctx: TaskContext) -> BoxFuture<'static, Outcome>;
}

impl<F, Fut> Handler<fn(TaskContext)> for F
where
    F: Fn(TaskContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    fn run(&self, ctx: TaskContext) -> BoxFuture<'static, Outcome> {
        let run = self(ctx);
        Box::pin(async move { run.await.into_outcome() })
    }
}

impl<F, Fut, P> Handler<fn(P, TaskContext)> for F
where
    F: Fn(P, TaskContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
    P: DeserializeOwned + Send + 'static,
{
    fn run(&self, ctx: TaskContext) -> BoxFuture<'static, Outcome> {
        match ctx.fields::<P>() {
            Ok(params) => {
                let run = self(params, ctx);
                Box::pin(async move { run.await.into_outcome() })
            }
            Err(error) => {
                let outcome = Outcome::Failed(Failure::from(error));
                Box::pin(std::future::ready(outcome))
            }
        }
    }
}

#[cfg(test)]
mod tests;
