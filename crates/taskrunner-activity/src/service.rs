//! [`IntoActivityService`]: the three things a route accepts — a
//! [`Handler`], an [`Activity`], a tower service — and the one boxed
//! [`ActivityService`] they all become.

use std::sync::Arc;

use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use crate::{Activity, BoxError, Handler, Outcome, TaskContext};

/// An activity as a type-erased tower service: what a route holds, what
/// [`RouterBuilder::layer`](crate::RouterBuilder::layer) layers wrap, and
/// what [`into_service`] answers. Cloning is cheap; it is `Sync`, so a router
/// holding it can be shared by every poller.
pub type ActivityService = BoxCloneSyncService<TaskContext, Outcome, BoxError>;

/// Something a route can run: a [`Handler`] (an async function), an
/// [`Activity`], or a tower `Service<TaskContext, Response = Outcome>` whose
/// error converts into a [`BoxError`] (e.g. an activity wrapped in layers
/// of its own).
///
/// `M` only tells the implementations apart (see [`markers`]); callers never
/// name it. An error from a service is reported as
/// [`Failure::from_error`](crate::Failure::from_error) says: tower's
/// timeout error becomes errorId `AttemptTimeout`.
pub trait IntoActivityService<M> {
    /// The boxed service.
    fn into_activity_service(self) -> ActivityService;
}

/// Marker types for [`IntoActivityService`]: they keep its three
/// implementations apart, and callers never name them.
pub mod markers {
    use std::marker::PhantomData;

    /// Registers a [`Handler`](crate::Handler) with marker `M`.
    #[derive(Debug)]
    pub struct ViaHandler<M>(PhantomData<fn() -> M>);

    /// Registers an [`Activity`](crate::Activity).
    #[derive(Debug)]
    pub enum ViaActivity {}

    /// Registers a tower service.
    #[derive(Debug)]
    pub enum ViaService {}
}

impl<H: Handler<M>, M> IntoActivityService<markers::ViaHandler<M>> for H {
    fn into_activity_service(self) -> ActivityService {
        ActivityService::new(tower::service_fn(move |ctx: TaskContext| {
            let run = self.run(ctx);
            async move { Ok::<_, BoxError>(run.await) }
        }))
    }
}

impl<A: Activity> IntoActivityService<markers::ViaActivity> for A {
    fn into_activity_service(self) -> ActivityService {
        let activity = Arc::new(self);
        ActivityService::new(tower::service_fn(move |ctx: TaskContext| {
            let activity = Arc::clone(&activity);
            async move { activity.run(ctx).await }
        }))
    }
}

impl<S> IntoActivityService<markers::ViaService> for S
where
    S: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    fn into_activity_service(self) -> ActivityService {
        ActivityService::new(self.map_err(Into::into))
    }
}

/// A handler or an [`Activity`] as a tower service, to wrap in layers of its
/// own before registering it.
///
/// ```
/// use std::time::Duration;
///
/// use taskrunner_activity::{into_service, Router, TaskContext};
/// use tower::ServiceBuilder;
///
/// async fn export(_ctx: TaskContext) {}
///
/// let limited = ServiceBuilder::new()
///     .concurrency_limit(1)
///     .service(into_service(export));
/// let router = Router::builder()
///     .activity_for_field("myActivity", "export", limited)
///     .build();
/// # let _ = router;
/// ```
pub fn into_service<M>(activity: impl IntoActivityService<M>) -> ActivityService {
    activity.into_activity_service()
}
