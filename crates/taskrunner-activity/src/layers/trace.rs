//! [`TraceLayer`]: a span per activity run, and one log line with its
//! outcome and duration.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tokio::time::Instant;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::failure::CANCELLED_ERROR_ID;
use crate::{Outcome, TaskContext};

/// Applies [`Trace`], naming the activity in every span.
#[derive(Debug, Clone)]
pub struct TraceLayer {
    activity: Arc<str>,
}

impl TraceLayer {
    /// A layer for the activity called `activity` (e.g. the route it was
    /// registered under).
    pub fn new(activity: impl Into<Arc<str>>) -> Self {
        Self {
            activity: activity.into(),
        }
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace {
            inner,
            activity: Arc::clone(&self.activity),
        }
    }
}

/// Runs the inner service in an `activity` span carrying `activity`,
/// `pipeline_id`, `attempt_id` and `task_id` (the digest, never the raw id),
/// a child of [`TaskContext::span`] when it is set. Logs the outcome and
/// elapsed time when the run ends: `info` for finished, precondition-false
/// and cancelled runs, `warn` for failures.
#[derive(Debug, Clone)]
pub struct Trace<S> {
    inner: S,
    activity: Arc<str>,
}

impl<S> Service<TaskContext> for Trace<S>
where
    S: Service<TaskContext, Response = Outcome, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Outcome;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Outcome, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, ctx: TaskContext) -> Self::Future {
        let span = activity_span(&self.activity, &ctx);
        let started = Instant::now();
        let future = {
            // Work done synchronously inside `call` belongs to the span too.
            let _entered = span.enter();
            self.inner.call(ctx)
        };
        Box::pin(
            async move {
                let result = future.await;
                if let Ok(outcome) = &result {
                    log_outcome(outcome, started);
                }
                result
            }
            .instrument(span),
        )
    }
}

/// The span of one run of `activity` for `ctx`'s task.
pub(crate) fn activity_span(activity: &str, ctx: &TaskContext) -> tracing::Span {
    let task_id = ctx.task_id();
    if ctx.span().is_none() {
        tracing::info_span!(
            "activity",
            activity,
            pipeline_id = ctx.pipeline_id(),
            attempt_id = ctx.attempt_id(),
            %task_id,
        )
    } else {
        tracing::info_span!(
            parent: ctx.span(),
            "activity",
            activity,
            pipeline_id = ctx.pipeline_id(),
            attempt_id = ctx.attempt_id(),
            %task_id,
        )
    }
}

/// Logs how a run that began at `started` ended.
pub(crate) fn log_outcome(outcome: &Outcome, started: Instant) {
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match outcome {
        Outcome::Finished => tracing::info!(elapsed_ms, outcome = "finished", "activity ended"),
        Outcome::PreconditionFalse => {
            tracing::info!(elapsed_ms, outcome = "precondition_false", "activity ended");
        }
        Outcome::Failed(failure) if failure.error_id == CANCELLED_ERROR_ID => {
            let message = &failure.message;
            tracing::info!(elapsed_ms, outcome = "cancelled", message, "activity ended");
        }
        Outcome::Failed(failure) => tracing::warn!(
            elapsed_ms,
            outcome = "failed",
            error_id = failure.error_id,
            message = failure.message,
            "activity ended"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{into_service, CatchPanicLayer, Failure};
    use taskrunner_api::Task;
    use tower::ServiceExt;

    #[tokio::test]
    async fn outcomes_pass_through_the_span() {
        async fn fails(ctx: TaskContext) -> Result<(), Failure> {
            Err(Failure::new("E", ctx.attempt_id()))
        }
        let service =
            TraceLayer::new("echo").layer(CatchPanicLayer::new().layer(into_service(fails)));
        let ctx = TaskContext::builder(Task::new("t", "df-1", "@A"))
            .span(tracing::info_span!("task"))
            .build();
        let outcome = service.oneshot(ctx).await;
        assert_eq!(outcome, Ok(Outcome::failed("E", "@A")));
    }
}
