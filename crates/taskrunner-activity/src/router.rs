//! [`Router`]: picks the activity for a task.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use taskrunner_api::Task;
use tokio::time::Instant;
use tower::{Service, ServiceExt};
use tracing::Instrument;

use crate::fields::quote;
use crate::layers;
use crate::{ActivityService, Failure, Outcome, TaskContext};

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
/// Every route runs its activity inside the builder's
/// [`layer`](RouterBuilder::layer)s, then as a [`CatchPanicLayer`] (where
/// panics and errors become [`Outcome::Failed`]) inside a [`TraceLayer`]
/// named after it would (see [`Route`]).
///
/// [`CatchPanicLayer`]: crate::layers::CatchPanicLayer
/// [`TraceLayer`]: crate::layers::TraceLayer
///
/// ```
/// use taskrunner_activity::{Router, TaskContext};
/// use taskrunner_api::{Field, Task, TaskObject};
///
/// async fn shell(_ctx: TaskContext) {}
/// async fn resize(_ctx: TaskContext) {}
///
/// let router = Router::builder()
///     .activity_for_type("ShellCommandActivity", shell)
///     .activity_for_field("myActivity", "resize", resize)
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

/// One routed activity: a name and its layered service. Cheap to clone.
///
/// A route runs its service as [`TraceLayer`] around [`CatchPanicLayer`]
/// would, with the same spans, logs and failures, but in its own future:
/// through the two layers, each run took seven allocations (clones of the
/// layered service and of the activity's, a boxed future from each layer,
/// the activity's own future); this way, two (the activity's clone and its
/// future).
///
/// [`TraceLayer`]: crate::layers::TraceLayer
/// [`CatchPanicLayer`]: crate::layers::CatchPanicLayer
#[derive(Clone)]
pub struct Route {
    name: Arc<str>,
    service: ActivityService,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Route {
    /// The route `name` for `service` (already inside the builder's
    /// layers).
    fn new(name: String, service: ActivityService) -> Self {
        Self {
            name: name.into(),
            service,
        }
    }

    /// The route's name: the object type, or `key=value` for a field route.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the activity for `ctx`. Errors and panics have already become
    /// [`Outcome::Failed`], so there is always an outcome.
    pub fn call(&self, ctx: TaskContext) -> impl Future<Output = Outcome> + Send + '_ {
        let span = layers::activity_span(&self.name, &ctx);
        let mut service = self.service.clone();
        // One future for the whole run, polled in the span (so `call`'s own
        // work belongs to it too): a held lease keeps it for as long as the
        // activity runs.
        async move {
            let started = Instant::now();
            let outcome = match service.ready().await {
                // A service that cannot become ready fails the run.
                Err(error) => Outcome::Failed(Failure::from_error(error)),
                Ok(service) => {
                    match std::panic::catch_unwind(AssertUnwindSafe(|| service.call(ctx))) {
                        Err(payload) => layers::panicked(payload.as_ref()),
                        Ok(future) => layers::settle(AssertUnwindSafe(future).catch_unwind().await),
                    }
                }
            };
            layers::log_outcome(&outcome, started);
            outcome
        }
        .instrument(span)
    }
}

mod builder;
mod no_activity;
#[cfg(test)]
mod tests;

pub use builder::RouterBuilder;
pub use no_activity::NoActivity;
