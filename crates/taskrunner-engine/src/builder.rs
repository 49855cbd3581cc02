//! [`RunnerBuilder`]: everything a runner can be told before it starts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use taskrunner_activity::{
    ActivityService, BoxError, IntoActivityService, Outcome, RouterBuilder, TaskContext,
};
use taskrunner_api::{CallBudget, TaskService};
use taskrunner_lease::LeaseConfig;
use taskrunner_poller::{Backoff, PollerConfig, DEFAULT_HEARTBEAT_INTERVAL};
use tower::{Layer, Service};

use crate::error::BuildError;
use crate::runner::Runner;

/// A worker group as it was added.
#[derive(Debug, Clone)]
pub(crate) enum WorkerGroup {
    /// By name: it takes the runner's [`concurrency`](RunnerBuilder::concurrency),
    /// [`pollers`](RunnerBuilder::pollers) and
    /// [`precondition_slots`](RunnerBuilder::precondition_slots).
    Named(String),
    /// With settings of its own, used as given.
    Configured(PollerConfig),
}

/// Builds a [`Runner`]. Start with [`Runner::builder`] (the AWS SDK
/// client) or [`RunnerBuilder::new`] (any [`TaskService`]).
pub struct RunnerBuilder {
    pub(crate) service: Arc<dyn TaskService>,
    pub(crate) worker_groups: Vec<WorkerGroup>,
    /// Slots for worker groups added by name.
    pub(crate) concurrency: usize,
    /// Pollers for worker groups added by name.
    pub(crate) pollers: usize,
    /// Precondition slots for worker groups added by name.
    pub(crate) precondition_slots: usize,
    /// The routes and runner-wide layers, built into the runner's router.
    pub(crate) router: RouterBuilder,
    pub(crate) lease_config: LeaseConfig,
    pub(crate) budget: CallBudget,
    pub(crate) taskrunner_id: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) drain_timeout: Duration,
    pub(crate) cancel_grace: Duration,
    /// The attempt timeout of tasks whose attempt object sets no
    /// `attemptTimeout`; `None`: they run as long as they take.
    pub(crate) attempt_timeout: Option<Duration>,
    /// Pipeline seconds per wall-clock second for preconditions'
    /// `retryDelay` and `preconditionTimeout`.
    pub(crate) precondition_time_scale: f64,
    pub(crate) scratch_root: PathBuf,
    pub(crate) backoff: Backoff,
    pub(crate) status_attempts: u32,
}

impl std::fmt::Debug for RunnerBuilder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RunnerBuilder")
            .field("worker_groups", &self.worker_groups)
            .field("router", &self.router)
            .finish_non_exhaustive()
    }
}

impl RunnerBuilder {
    /// Starts building a runner that calls `service`.
    ///
    /// With AWS, use [`Runner::builder`] with the SDK client instead: it
    /// wraps the client in [`SdkTaskService`](taskrunner_api::SdkTaskService),
    /// as the `taskrunner` binary does. This constructor is for everything
    /// else: an `SdkTaskService` with PollForTask timeouts of its own, a
    /// service wrapped to count or record its calls, or an in-process test
    /// double on paused tokio time.
    pub fn new(service: impl TaskService) -> Self {
        Self {
            service: Arc::new(service),
            worker_groups: Vec::new(),
            concurrency: 2,
            pollers: 2,
            precondition_slots: 2,
            router: RouterBuilder::default(),
            lease_config: LeaseConfig::default(),
            budget: CallBudget::documented(),
            taskrunner_id: None,
            hostname: None,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            drain_timeout: Duration::from_secs(300),
            cancel_grace: Duration::from_secs(30),
            attempt_timeout: None,
            precondition_time_scale: 1.0,
            scratch_root: std::env::temp_dir().join("taskrunner"),
            backoff: Backoff::default(),
            status_attempts: 10,
        }
    }

    /// Polls `name` with the runner's [`concurrency`](Self::concurrency),
    /// [`pollers`](Self::pollers) and
    /// [`precondition_slots`](Self::precondition_slots), whenever they are
    /// set. Call it once per worker group.
    pub fn worker_group(mut self, name: impl Into<String>) -> Self {
        self.worker_groups.push(WorkerGroup::Named(name.into()));
        self
    }

    /// Polls a worker group with settings of its own (concurrency, pollers,
    /// precondition slots, backoff, instance identity), used as given: the
    /// runner's [`concurrency`](Self::concurrency) and
    /// [`pollers`](Self::pollers) do not apply to it.
    pub fn worker_group_config(mut self, config: PollerConfig) -> Self {
        self.worker_groups.push(WorkerGroup::Configured(config));
        self
    }

    /// How many tasks of each worker group added by name run at once
    /// (default 2). 0 is refused at build.
    pub fn concurrency(mut self, tasks: usize) -> Self {
        self.concurrency = tasks;
        self
    }

    /// How many PollForTask calls per worker group added by name may be in
    /// flight (default 2, the Java runner's `--tasks`). 0 is refused at
    /// build.
    pub fn pollers(mut self, pollers: usize) -> Self {
        self.pollers = pollers;
        self
    }

    /// How many preconditions per worker group may run beside the
    /// [`concurrency`](Self::concurrency) slots (default 2, the Java
    /// runner's precondition threads): see
    /// [`PollerConfig::precondition_slots`]. 0 lets preconditions share the
    /// activity slots.
    pub fn precondition_slots(mut self, slots: usize) -> Self {
        self.precondition_slots = slots;
        self
    }

    /// Runs `activity` (an async function, an
    /// [`Activity`](taskrunner_activity::Activity) or a tower service) for
    /// tasks whose attempt object's `type` is `object_type`, e.g.
    /// `ShellCommandActivity`; see [`RouterBuilder::activity_for_type`].
    pub fn activity_for_type<M>(
        mut self,
        object_type: impl Into<String>,
        activity: impl IntoActivityService<M>,
    ) -> Self {
        self.router = self.router.activity_for_type(object_type, activity);
        self
    }

    /// Runs `activity` for tasks whose attempt object has `field` = `value`,
    /// e.g. `myActivity` = `resize`. Field routes are checked before type
    /// routes; see [`RouterBuilder::activity_for_field`].
    pub fn activity_for_field<M>(
        mut self,
        field: impl Into<String>,
        value: impl Into<String>,
        activity: impl IntoActivityService<M>,
    ) -> Self {
        self.router = self.router.activity_for_field(field, value, activity);
        self
    }

    /// Wraps every activity in `layer` (a concurrency limit, a retry policy,
    /// your own); see [`RouterBuilder::layer`]. Every route is also wrapped,
    /// outside these, in a catch-panic layer (a panic becomes FAILED with
    /// errorId `ActivityPanicked`) and a tracing layer.
    ///
    /// For a time limit use [`attempt_timeout`](Self::attempt_timeout) (or
    /// the task's own `attemptTimeout`), not a tower timeout layer: the
    /// runner's timeout trips the task's cancellation and gives the handler
    /// the [`cancel_grace`](Self::cancel_grace) to stop and clean up, where
    /// a timeout layer drops the handler's future mid-step.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<ActivityService> + Send + Sync + 'static,
        L::Service: Service<TaskContext, Response = Outcome> + Clone + Send + Sync + 'static,
        <L::Service as Service<TaskContext>>::Error: Into<BoxError>,
        <L::Service as Service<TaskContext>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    /// The lease timing (report interval, jitter, margins).
    pub fn lease_config(mut self, config: LeaseConfig) -> Self {
        self.lease_config = config;
        self
    }

    /// The process-wide call budget (default: the documented quotas).
    /// Share one budget between runners of the same account.
    pub fn budget(mut self, budget: CallBudget) -> Self {
        self.budget = budget;
        self
    }

    /// The runner's id in heartbeats (default: `taskrunner-` and a UUID).
    pub fn taskrunner_id(mut self, id: impl Into<String>) -> Self {
        self.taskrunner_id = Some(id.into());
        self
    }

    /// The host name sent with polls and heartbeats (default: this host's).
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    /// Time between runner heartbeats (default 15 minutes).
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// How long shutdown waits for tasks in flight before stopping them
    /// (default 5 minutes). Their leases keep being reported meanwhile.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// How long a handler may take to stop after its token trips before it
    /// is abandoned (default 30 s).
    pub fn cancel_grace(mut self, grace: Duration) -> Self {
        self.cancel_grace = grace;
        self
    }

    /// The attempt timeout of tasks whose attempt object sets no
    /// `attemptTimeout` (default: none, they run as long as they take). A
    /// task's own `attemptTimeout` always wins.
    ///
    /// Either way the timeout trips the task's cancellation (reason
    /// `Timeout`), gives the handler the [`cancel_grace`](Self::cancel_grace)
    /// to stop, and ends the task FAILED with errorId `AttemptTimeout`.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Divides preconditions' `retryDelay` and `preconditionTimeout` by
    /// `scale` (default 1.0: read at face value, as the Java runner does).
    /// For a runner beside a service that compresses pipeline time, such as
    /// `taskrunner local`'s, so both sides wait the same. A scale that is not
    /// a positive finite number is ignored.
    pub fn precondition_time_scale(mut self, scale: f64) -> Self {
        self.precondition_time_scale = scale;
        self
    }

    /// Where tasks' scratch directories are made (default: the temp dir's
    /// `taskrunner`).
    pub fn scratch_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.scratch_root = root.into();
        self
    }

    /// The delays between retries of failed calls.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How many SetTaskStatus calls a status may take, the first included,
    /// when they fail transiently or are throttled (default 10: with the
    /// default backoff, about three minutes). At least 1.
    pub fn status_attempts(mut self, attempts: u32) -> Self {
        self.status_attempts = attempts.max(1);
        self
    }

    /// Checks the configuration and builds the runner.
    ///
    /// # Errors
    /// [`BuildError`] naming what is missing or wrong.
    pub fn build(mut self) -> Result<Runner, BuildError> {
        if self.worker_groups.is_empty() {
            return Err(BuildError::NoWorkerGroup);
        }
        if self.router.is_empty() {
            return Err(BuildError::NoActivity);
        }
        let hostname = self
            .hostname
            .clone()
            .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
        let mut groups: Vec<PollerConfig> = Vec::with_capacity(self.worker_groups.len());
        for group in &self.worker_groups {
            let mut config = match group {
                WorkerGroup::Named(name) => PollerConfig {
                    concurrency: self.concurrency,
                    pollers: self.pollers,
                    precondition_slots: self.precondition_slots,
                    ..PollerConfig::new(name.clone())
                },
                WorkerGroup::Configured(config) => config.clone(),
            };
            if groups
                .iter()
                .any(|other| other.worker_group == config.worker_group)
            {
                return Err(BuildError::DuplicateWorkerGroup(config.worker_group));
            }
            config.hostname.get_or_insert_with(|| hostname.clone());
            groups.push(config);
        }
        let router = std::mem::take(&mut self.router).build();
        Runner::new(self, router, groups, hostname)
    }
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
