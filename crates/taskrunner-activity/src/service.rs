//! [`ActivityService`]: an [`Activity`] as a `tower::Service`, so timeouts,
//! limits and other layers apply to it.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tower::util::BoxCloneService;
use tower::Service;

use crate::{Activity, ActivityError, Outcome, TaskContext};

/// A type-erased, cloneable activity service: what the [`Router`](crate::Router)
/// hands out.
pub type BoxActivityService = BoxCloneService<TaskContext, Outcome, ActivityError>;

/// Adapts an [`Activity`] into a
/// `Service<TaskContext, Response = Outcome, Error = ActivityError>`.
///
/// Always ready; clones share the activity. Wrap it in layers with
/// `tower::ServiceBuilder`, then register it with
/// [`RouterBuilder::service_for_type`](crate::RouterBuilder::service_for_type)
/// (which converts layer errors such as `tower::timeout`'s `BoxError` into
/// [`ActivityError`]).
///
/// ```
/// use std::time::Duration;
///
/// use taskrunner_activity::{activity_fn, ActivityService, Outcome, TaskContext};
/// use tower::ServiceBuilder;
///
/// let service = ServiceBuilder::new()
///     .timeout(Duration::from_secs(3600))
///     .service(ActivityService::new(activity_fn(|_ctx: TaskContext| async {
///         Ok(Outcome::Finished)
///     })));
/// # let _ = service;
/// ```
pub struct ActivityService<A: ?Sized> {
    activity: Arc<A>,
}

impl<A: Activity> ActivityService<A> {
    /// Wraps `activity`.
    pub fn new(activity: A) -> Self {
        Self {
            activity: Arc::new(activity),
        }
    }
}

impl<A: Activity + ?Sized> ActivityService<A> {
    /// Wraps an activity that is already shared.
    pub fn from_arc(activity: Arc<A>) -> Self {
        Self { activity }
    }
}

impl<A: ?Sized> Clone for ActivityService<A> {
    fn clone(&self) -> Self {
        Self {
            activity: Arc::clone(&self.activity),
        }
    }
}

impl<A: ?Sized> fmt::Debug for ActivityService<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityService").finish_non_exhaustive()
    }
}

impl<A: Activity + ?Sized> Service<TaskContext> for ActivityService<A> {
    type Response = Outcome;
    type Error = ActivityError;
    type Future = BoxFuture<'static, Result<Outcome, ActivityError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ActivityError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, ctx: TaskContext) -> Self::Future {
        let activity = Arc::clone(&self.activity);
        Box::pin(async move { activity.run(ctx).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity_fn;
    use taskrunner_api::Task;
    use tower::ServiceExt;

    #[tokio::test]
    async fn boxes_into_a_clone_service() {
        let service = ActivityService::new(activity_fn(|_ctx: TaskContext| async {
            Ok(Outcome::PreconditionFalse)
        }));
        let boxed: BoxActivityService = BoxCloneService::new(service);
        let ctx = TaskContext::builder(Task::new("t", "df-1", "@A")).build();
        let outcome = boxed.clone().oneshot(ctx).await.expect("runs");
        assert_eq!(outcome, Outcome::PreconditionFalse);
    }
}
