//! [`RouterBuilder`]: registers routes and runner-wide layers.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use tower::{Layer, Service, ServiceExt};

use super::{FieldRoute, Route, Router};
use crate::{ActivityService, BoxError, IntoActivityService, Outcome, TaskContext};

/// A runner-wide layer, kept type-erased until [`RouterBuilder::build`]
/// applies it to every route.
type LayerFn = Arc<dyn Fn(ActivityService) -> ActivityService + Send + Sync>;

/// Registers routes; see [`Router`]. A later registration for the same type
/// or the same field value replaces the earlier one.
///
/// Each registration takes anything [`IntoActivityService`]: an async
/// function (a [`Handler`](crate::Handler)), an
/// [`Activity`](crate::Activity), or a tower service.
#[derive(Default)]
#[must_use]
pub struct RouterBuilder {
    /// Field routes in registration order: key, value, service.
    field_routes: Vec<(String, String, ActivityService)>,
    /// Type routes by object type.
    type_routes: BTreeMap<String, ActivityService>,
    /// Applied to every route at [`build`](Self::build), first added
    /// outermost.
    layers: Vec<LayerFn>,
}

impl fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = self
            .field_routes
            .iter()
            .map(|(key, value, _)| format!("{key}={value}"));
        let names: Vec<String> = fields.chain(self.type_routes.keys().cloned()).collect();
        f.debug_struct("RouterBuilder")
            .field("routes", &names)
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl RouterBuilder {
    /// Routes tasks whose attempt object has `type` = `object_type`, e.g.
    /// `ShellCommandActivity`.
    pub fn activity_for_type<M>(
        mut self,
        object_type: impl Into<String>,
        activity: impl IntoActivityService<M>,
    ) -> Self {
        let service = activity.into_activity_service();
        self.type_routes.insert(object_type.into(), service);
        self
    }

    /// Routes tasks whose attempt object has field `key` = `value`, e.g.
    /// `myActivity` = `resize`. Field routes are tried before type routes.
    pub fn activity_for_field<M>(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        activity: impl IntoActivityService<M>,
    ) -> Self {
        let (key, value) = (key.into(), value.into());
        self.field_routes
            .retain(|(k, v, _)| *k != key || *v != value);
        let service = activity.into_activity_service();
        self.field_routes.push((key, value, service));
        self
    }

    /// Wraps every route in `layer` (a concurrency limit, a rate limit, your
    /// own), whenever the route was registered. Layers added first end up
    /// outermost; the router's own panic and tracing layers sit outside them
    /// all.
    ///
    /// A layer's error is reported as
    /// [`Failure::from_error`](crate::Failure::from_error) says. Note that a
    /// `tower::timeout::TimeoutLayer` drops the activity at once, without
    /// the cancellation grace the runner's own `attemptTimeout` gives.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<ActivityService> + Send + Sync + 'static,
        L::Service: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        <L::Service as Service<TaskContext>>::Error: Into<BoxError>,
        <L::Service as Service<TaskContext>>::Future: Send + 'static,
    {
        self.layers.push(Arc::new(move |service| {
            ActivityService::new(layer.layer(service).map_err(Into::into))
        }));
        self
    }

    /// Whether no route is registered yet.
    pub fn is_empty(&self) -> bool {
        self.field_routes.is_empty() && self.type_routes.is_empty()
    }

    /// The router, every route inside the layers.
    pub fn build(self) -> Router {
        let layers = self.layers;
        let wrap = |service: ActivityService| {
            layers
                .iter()
                .rev()
                .fold(service, |service, layer| layer(service))
        };
        let field_routes = self
            .field_routes
            .into_iter()
            .map(|(key, value, service)| {
                let route = Route::new(format!("{key}={value}"), wrap(service));
                FieldRoute { key, value, route }
            })
            .collect();
        let type_routes = self
            .type_routes
            .into_iter()
            .map(|(object_type, service)| {
                let route = Route::new(object_type.clone(), wrap(service));
                (object_type, route)
            })
            .collect();
        Router {
            field_routes,
            type_routes,
        }
    }
}
