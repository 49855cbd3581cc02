//! [`CatchPanicLayer`]: the route boundary, where a panicking or failing
//! activity becomes [`Outcome::Failed`] instead of unwinding into the runner.

use std::any::Any;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::FutureExt;
use tower::{Layer, Service};

use crate::failure::ACTIVITY_PANICKED_ERROR_ID;
use crate::{BoxError, Failure, Outcome, TaskContext};

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
        CatchPanic {
            inner,
            not_ready: None,
        }
    }
}

/// The route boundary: catches panics of the inner service, both in `call`
/// itself and while its future runs, and settles them — and the inner
/// service's errors — into [`Outcome::Failed`], so what comes out always
/// has an outcome.
///
/// A panic is reported with errorId `ActivityPanicked` and the panic
/// message; an error as [`Failure::from_error`] says. The panic hook still
/// runs (and by default prints the panic), so panics stay visible. Unwind
/// safety is asserted: the task's state is dropped with the failed future
/// and the shared signals (cancellation, progress) are poison-free.
#[derive(Debug, Clone)]
pub struct CatchPanic<S> {
    inner: S,
    /// Why the inner service could not become ready, reported by the next
    /// `call`.
    not_ready: Option<Failure>,
}

impl<S> Service<TaskContext> for CatchPanic<S>
where
    S: Service<TaskContext, Response = Outcome>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Outcome;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Outcome, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // A service that cannot become ready fails at `call` instead, where
        // the failure has a task to be reported on.
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(error)) => {
                self.not_ready = Some(Failure::from_error(error.into()));
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, ctx: TaskContext) -> Self::Future {
        if let Some(failure) = self.not_ready.take() {
            return Box::pin(std::future::ready(Ok(Outcome::Failed(failure))));
        }
        let inner = &mut self.inner;
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(ctx))) {
            Ok(future) => {
                return Box::pin(async move {
                    let ended = AssertUnwindSafe(future).catch_unwind().await;
                    Ok(settle(ended.map(|result| result.map_err(Into::into))))
                })
            }
            Err(payload) => panicked(payload.as_ref()),
        };
        Box::pin(std::future::ready(Ok(outcome)))
    }
}

/// The outcome of a run that ended with `ended`: its own, or a failure
/// for its error or its panic.
pub(crate) fn settle(ended: std::thread::Result<Result<Outcome, BoxError>>) -> Outcome {
    match ended {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => Outcome::Failed(Failure::from_error(error)),
        Err(payload) => panicked(payload.as_ref()),
    }
}

/// The outcome of a run that panicked with `payload`.
pub(crate) fn panicked(payload: &(dyn Any + Send)) -> Outcome {
    Outcome::failed(ACTIVITY_PANICKED_ERROR_ID, panic_message(payload))
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
    use crate::into_service;
    use taskrunner_api::Task;
    use tower::ServiceExt;

    fn ctx() -> TaskContext {
        TaskContext::builder(Task::new("t", "df-1", "@A")).build()
    }

    fn settle(result: Result<Outcome, Infallible>) -> Outcome {
        match result {
            Ok(outcome) => outcome,
            Err(never) => match never {},
        }
    }

    async fn boom(ctx: TaskContext) {
        tokio::task::yield_now().await;
        panic!("boom in {}", ctx.pipeline_id());
    }

    #[tokio::test]
    async fn panics_in_the_future_become_failures() {
        let service = CatchPanicLayer::new().layer(into_service(boom));
        let outcome = settle(service.oneshot(ctx()).await);
        assert_eq!(outcome, Outcome::failed("ActivityPanicked", "boom in df-1"));
    }

    #[derive(Clone)]
    struct PanicsInCall;

    impl Service<TaskContext> for PanicsInCall {
        type Response = Outcome;
        type Error = BoxError;
        type Future = BoxFuture<'static, Result<Outcome, BoxError>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _ctx: TaskContext) -> Self::Future {
            std::panic::panic_any(7_u32)
        }
    }

    #[tokio::test]
    async fn panics_in_call_become_failures() {
        let outcome = settle(
            CatchPanicLayer::new()
                .layer(PanicsInCall)
                .oneshot(ctx())
                .await,
        );
        let Outcome::Failed(failure) = outcome else {
            panic!("expected a failure, got {outcome:?}");
        };
        assert_eq!(failure.error_id, "ActivityPanicked");
        assert!(
            failure.message.contains("non-string"),
            "{}",
            failure.message
        );
    }

    #[tokio::test]
    async fn outcomes_pass_and_errors_settle() {
        async fn fine(_ctx: TaskContext) -> bool {
            false
        }
        async fn broken(_ctx: TaskContext) -> Result<(), std::io::Error> {
            Err(std::io::Error::other("gone"))
        }
        let service = CatchPanicLayer::new().layer(into_service(fine));
        assert_eq!(
            settle(service.oneshot(ctx()).await),
            Outcome::PreconditionFalse
        );
        let service = CatchPanicLayer::new().layer(into_service(broken));
        assert_eq!(
            settle(service.oneshot(ctx()).await),
            Outcome::failed("ActivityError", "gone")
        );
    }
}
