//! [`RouteTable`]: a stand-in for the activity crate's `RouterBuilder` with
//! runner-wide layers.
//!
//! [`RunnerBuilder`](crate::RunnerBuilder) forwards every registration and
//! every layer to one of these, one call each. The activity crate's
//! `RouterBuilder` is gaining a `layer` method applied at `build()` (issue
//! #13); once it has it, this file goes and `RunnerBuilder` holds a
//! `RouterBuilder` in its place: the methods here have its names and
//! `build()` its result, so the swap is a change of type. Until then the layers must wrap routes
//! registered before them as well as after, so the routes are kept here and
//! handed to the `RouterBuilder` at build, in registration order.

use std::sync::Arc;

use taskrunner_activity::{ActivityError, ActivityService, Outcome, Router, TaskContext};
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

/// A route's service, type-erased so that layers can wrap any of them.
type RouteService = BoxCloneSyncService<TaskContext, Outcome, ActivityError>;

/// A runner-wide layer, kept type-erased until the routes are built.
type LayerFn = Arc<dyn Fn(RouteService) -> RouteService + Send + Sync>;

/// Routes and layers, registered in any order, built into a [`Router`].
#[derive(Default)]
pub(crate) struct RouteTable {
    /// `(field, value)` for a field route, `None` for a type route; the
    /// type or value; the service.
    routes: Vec<(Option<String>, String, RouteService)>,
    /// Outermost first.
    layers: Vec<LayerFn>,
}

impl std::fmt::Debug for RouteTable {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RouteTable")
            .field("routes", &self.routes.len())
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl RouteTable {
    pub(crate) fn service_for_type<S>(mut self, object_type: String, service: S) -> Self
    where
        S: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        S::Error: Into<ActivityError>,
        S::Future: Send + 'static,
    {
        let service = BoxCloneSyncService::new(service.map_err(Into::into));
        self.routes.push((None, object_type, service));
        self
    }

    pub(crate) fn service_for_field<S>(mut self, field: String, value: String, service: S) -> Self
    where
        S: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        S::Error: Into<ActivityError>,
        S::Future: Send + 'static,
    {
        let service = BoxCloneSyncService::new(service.map_err(Into::into));
        self.routes.push((Some(field), value, service));
        self
    }

    pub(crate) fn activity_for_type(
        self,
        object_type: String,
        activity: impl taskrunner_activity::Activity,
    ) -> Self {
        self.service_for_type(object_type, ActivityService::new(activity))
    }

    pub(crate) fn activity_for_field(
        self,
        field: String,
        value: String,
        activity: impl taskrunner_activity::Activity,
    ) -> Self {
        self.service_for_field(field, value, ActivityService::new(activity))
    }

    pub(crate) fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<RouteService> + Send + Sync + 'static,
        L::Service: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        <L::Service as Service<TaskContext>>::Error: Into<ActivityError>,
        <L::Service as Service<TaskContext>>::Future: Send + 'static,
    {
        self.layers.push(Arc::new(move |service| {
            BoxCloneSyncService::new(layer.layer(service).map_err(Into::into))
        }));
        self
    }

    /// The router: every route inside every layer, the first added
    /// outermost. The router wraps each route, outside these, in its
    /// catch-panic and tracing layers.
    pub(crate) fn build(self) -> Router {
        let mut router = Router::builder();
        for (field, key, service) in self.routes {
            let service = self
                .layers
                .iter()
                .rev()
                .fold(service, |service, layer| layer(service));
            router = match field {
                None => router.service_for_type(key, service),
                Some(field) => router.service_for_field(field, key, service),
            };
        }
        router.build()
    }
}
