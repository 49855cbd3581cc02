//! [`CatchPanicLayer`]: a panicking activity becomes
//! [`ActivityError::Panicked`] instead of unwinding into the runner.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::FutureExt;
use tower::{Layer, Service};

use crate::{ActivityError, Outcome, TaskContext};

/// Applies [`CatchPanic`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CatchPanicLayer {
    _private: (),
}

impl CatchPanicLayer {
    /// The layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;

    fn layer(&self, inner: S) -> CatchPanic<S> {
        CatchPanic { inner }
    }
}

/// Catches panics of the inner service, both in `call` itself and while its
/// future runs, and returns them as [`ActivityError::Panicked`] carrying the
/// panic message.
///
/// The panic hook still runs (and by default prints the panic), so panics
/// stay visible. Unwind safety is asserted: the task's state is dropped with
/// the failed future and the shared signals (cancellation, progress) are
/// poison-free.
#[derive(Debug, Clone)]
pub struct CatchPanic<S> {
    inner: S,
}

impl<S> Service<TaskContext> for CatchPanic<S>
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
        let inner = &mut self.inner;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(ctx))) {
            Ok(future) => Box::pin(async move {
                match AssertUnwindSafe(future).catch_unwind().await {
                    Ok(result) => result.map_err(Into::into),
                    Err(payload) => Err(ActivityError::Panicked(panic_message(payload.as_ref()))),
                }
            }),
            Err(payload) => {
                let error = ActivityError::Panicked(panic_message(payload.as_ref()));
                Box::pin(async move { Err(error) })
            }
        }
    }
}

/// The message of a panic payload (`panic!("...")` gives a `&str` or a
/// `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{activity_fn, ActivityService};
    use taskrunner_api::Task;
    use tower::ServiceExt;

    fn ctx() -> TaskContext {
        TaskContext::builder(Task::new("t", "df-1", "@A")).build()
    }

    #[tokio::test]
    async fn panics_in_the_future_become_errors() {
        let service = CatchPanicLayer::new().layer(ActivityService::new(activity_fn(
            |ctx: TaskContext| async move {
                tokio::task::yield_now().await;
                panic!("boom in {}", ctx.pipeline_id());
            },
        )));
        let error = service.oneshot(ctx()).await.expect_err("panicked");
        assert!(matches!(&error, ActivityError::Panicked(message) if message == "boom in df-1"));
        assert_eq!(error.error_id(), "ActivityPanicked");
    }

    #[derive(Clone)]
    struct PanicsInCall;

    impl Service<TaskContext> for PanicsInCall {
        type Response = Outcome;
        type Error = ActivityError;
        type Future = BoxFuture<'static, Result<Outcome, ActivityError>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ActivityError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _ctx: TaskContext) -> Self::Future {
            std::panic::panic_any(7_u32)
        }
    }

    #[tokio::test]
    async fn panics_in_call_become_errors() {
        let error = CatchPanicLayer::new()
            .layer(PanicsInCall)
            .oneshot(ctx())
            .await
            .expect_err("panicked");
        assert!(
            matches!(error, ActivityError::Panicked(message) if message.contains("non-string"))
        );
    }

    #[tokio::test]
    async fn results_pass_through() {
        let service = CatchPanicLayer::new().layer(ActivityService::new(activity_fn(
            |_ctx: TaskContext| async { Ok(Outcome::Finished) },
        )));
        assert_eq!(service.oneshot(ctx()).await.expect("ok"), Outcome::Finished);
    }
}
