//! [`Router`]: picks the activity for a task.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use taskrunner_api::Task;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use crate::fields::quote;
use crate::layers::{CatchPanicLayer, TraceLayer};
use crate::{Activity, ActivityError, ActivityService, BoxActivityService, Outcome, TaskContext};

/// What a route holds: a shareable (`Sync`) boxed service, so the router can
/// sit in an `Arc` shared by every poller.
type SyncService = BoxCloneSyncService<TaskContext, Outcome, ActivityError>;

/// Chooses the activity for each task from the attempt object's fields.
///
/// Two kinds of route, tried in this order:
///
/// 1. **By field value**: the attempt's field `key` has the value `value`,
///    e.g. `myActivity` = `resize`. This is how custom work is declared, since
///    the service only knows its own object types. Field routes are tried in
///    registration order.
/// 2. **By object type**: the attempt's `type`, e.g. `ShellCommandActivity`.
///
/// Every route is wrapped in a [`TraceLayer`] named after it and a
/// [`CatchPanicLayer`].
///
/// ```
/// use taskrunner_activity::{activity_fn, Outcome, Router, TaskContext};
/// use taskrunner_api::{Field, Task, TaskObject};
///
/// let router = Router::builder()
///     .activity_for_type("ShellCommandActivity", activity_fn(|_ctx: TaskContext| async {
///         Ok(Outcome::Finished)
///     }))
///     .activity_for_field("myActivity", "resize", activity_fn(|_ctx: TaskContext| async {
///         Ok(Outcome::Finished)
///     }))
///     .build();
///
/// let attempt = TaskObject::new("@R_Attempt=1", "R")
///     .with_field(Field::string("type", "ShellCommandActivity"))
///     .with_field(Field::string("myActivity", "resize"));
/// let task = Task::new("opaque", "df-1", "@R_Attempt=1").with_object(attempt);
/// assert_eq!(router.route(&task)?.name(), "myActivity=resize");
/// # Ok::<(), taskrunner_activity::NoActivity>(())
/// ```
#[derive(Clone, Default)]
pub struct Router {
    /// Field routes in registration order.
    field_routes: Vec<FieldRoute>,
    /// Type routes by object type.
    type_routes: BTreeMap<String, Route>,
}

#[derive(Clone)]
struct FieldRoute {
    key: String,
    value: String,
    route: Route,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.route_names())
            .finish()
    }
}

impl Router {
    /// Starts an empty router.
    pub fn builder() -> RouterBuilder {
        RouterBuilder::default()
    }

    /// The route for `task`.
    ///
    /// # Errors
    ///
    /// [`NoActivity`] when no route matches (or the task has no attempt
    /// object); report it with [`NoActivity::into_status_report`].
    pub fn route(&self, task: &Task) -> Result<Route, NoActivity> {
        let Some(attempt) = task.attempt() else {
            return Err(self.no_activity(None, Vec::new()));
        };
        for field_route in &self.field_routes {
            if attempt
                .values(&field_route.key)
                .any(|value| value == field_route.value)
            {
                return Ok(field_route.route.clone());
            }
        }
        let object_type = attempt.object_type();
        if let Some(route) = object_type.and_then(|t| self.type_routes.get(t)) {
            return Ok(route.clone());
        }
        let mut keys: Vec<&str> = self.field_routes.iter().map(|r| r.key.as_str()).collect();
        keys.dedup();
        let fields = keys
            .into_iter()
            .map(|key| (key.to_owned(), attempt.field(key).map(quote)))
            .collect();
        Err(self.no_activity(Some(object_type.map(quote)), fields))
    }

    /// The names of all routes, field routes first (`myActivity=resize`,
    /// `ShellCommandActivity`).
    pub fn route_names(&self) -> Vec<String> {
        let fields = self.field_routes.iter().map(|r| r.route.name().to_owned());
        fields.chain(self.type_routes.keys().cloned()).collect()
    }

    fn no_activity(
        &self,
        object_type: Option<Option<String>>,
        fields: Vec<(String, Option<String>)>,
    ) -> NoActivity {
        NoActivity::new(object_type, fields, self.route_names())
    }
}

/// One routed activity: a name and its (layered) service. Cheap to clone.
#[derive(Clone)]
pub struct Route {
    name: Arc<str>,
    service: SyncService,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Route {
    /// The route's name: the object type, or `key=value` for a field route.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A handle on the service, for callers that drive it themselves.
    pub fn service(&self) -> BoxActivityService {
        BoxActivityService::new(self.service.clone())
    }

    /// Runs the activity for `ctx`.
    ///
    /// # Errors
    ///
    /// Whatever the activity (or a layer) fails with.
    pub async fn call(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
        self.service.clone().oneshot(ctx).await
    }
}

/// Registers routes; see [`Router`]. A later registration for the same type
/// or the same field value replaces the earlier one.
#[derive(Default)]
#[must_use]
pub struct RouterBuilder {
    router: Router,
}

impl fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterBuilder")
            .field("router", &self.router)
            .finish()
    }
}

impl RouterBuilder {
    /// Routes tasks whose attempt object has `type` = `object_type`.
    pub fn activity_for_type(
        self,
        object_type: impl Into<String>,
        activity: impl Activity,
    ) -> Self {
        self.service_for_type(object_type, ActivityService::new(activity))
    }

    /// Routes tasks whose attempt object has field `key` = `value`.
    pub fn activity_for_field(
        self,
        key: impl Into<String>,
        value: impl Into<String>,
        activity: impl Activity,
    ) -> Self {
        self.service_for_field(key, value, ActivityService::new(activity))
    }

    /// Routes tasks by object type to a service, typically an
    /// [`ActivityService`] wrapped in the user's own layers. Errors convert
    /// into [`ActivityError`]; a `tower::timeout` elapsed error becomes
    /// [`ActivityError::Timeout`].
    pub fn service_for_type<S>(mut self, object_type: impl Into<String>, service: S) -> Self
    where
        S: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        S::Error: Into<ActivityError>,
        S::Future: Send + 'static,
    {
        let object_type = object_type.into();
        let route = Route::new(object_type.clone(), service);
        self.router.type_routes.insert(object_type, route);
        self
    }

    /// Routes tasks by a field's value to a service; see
    /// [`service_for_type`](Self::service_for_type).
    pub fn service_for_field<S>(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        service: S,
    ) -> Self
    where
        S: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        S::Error: Into<ActivityError>,
        S::Future: Send + 'static,
    {
        let (key, value) = (key.into(), value.into());
        let route = Route::new(format!("{key}={value}"), service);
        let routes = &mut self.router.field_routes;
        routes.retain(|r| r.key != key || r.value != value);
        routes.push(FieldRoute { key, value, route });
        self
    }

    /// The router.
    pub fn build(self) -> Router {
        self.router
    }
}

impl Route {
    fn new<S>(name: String, service: S) -> Self
    where
        S: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        S::Error: Into<ActivityError>,
        S::Future: Send + 'static,
    {
        let name: Arc<str> = name.into();
        let layered =
            TraceLayer::new(Arc::clone(&name)).layer(CatchPanicLayer::new().layer(service));
        Self {
            name,
            service: SyncService::new(layered),
        }
    }
}

mod no_activity;
#[cfg(test)]
mod tests;

pub use no_activity::NoActivity;
