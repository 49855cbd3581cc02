//! [`TraceLayer`]: a span per activity run, and one log line with its
//! outcome and duration.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tokio::time::Instant;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::{ActivityError, Outcome, TaskContext};

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
    S: Service<TaskContext, Response = Outcome>,
    S::Error: Into<ActivityError>,
    S::Future: Send + 'static,
{
    type Response = Outcome;
    type Error = ActivityError;
    type Future = BoxFuture<'static, Result<Outcome, ActivityError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ActivityError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
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
                let result = future.await.map_err(Into::into);
                log_result(&result, started);
                result
            }
            .instrument(span),
        )
    }
}

fn activity_span(activity: &str, ctx: &TaskContext) -> tracing::Span {
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

fn log_result(result: &Result<Outcome, ActivityError>, started: Instant) {
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match result {
        Ok(Outcome::Finished) => tracing::info!(elapsed_ms, outcome = "finished", "activity ended"),
        Ok(Outcome::PreconditionFalse) => {
            tracing::info!(elapsed_ms, outcome = "precondition_false", "activity ended");
        }
        Ok(Outcome::Failed {
            error_id, message, ..
        }) => {
            tracing::warn!(
                elapsed_ms,
                outcome = "failed",
                error_id,
                message,
                "activity ended"
            );
        }
        Err(ActivityError::Cancelled(reason)) => {
            tracing::info!(elapsed_ms, outcome = "cancelled", %reason, "activity ended");
        }
        Err(error) => tracing::warn!(
            elapsed_ms,
            outcome = "error",
            error_id = error.error_id(),
            %error,
            "activity ended"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{activity_fn, ActivityService};
    use taskrunner_api::Task;
    use tower::ServiceExt;

    #[tokio::test]
    async fn results_pass_through_the_span() {
        let service = TraceLayer::new("echo").layer(ActivityService::new(activity_fn(
            |ctx: TaskContext| async move { Err(ActivityError::failed("E", ctx.attempt_id())) },
        )));
        let ctx = TaskContext::builder(Task::new("t", "df-1", "@A"))
            .span(tracing::info_span!("task"))
            .build();
        let error = service.oneshot(ctx).await.expect_err("fails");
        assert_eq!(error.to_string(), "activity failed (E): @A");
    }
}
