//! [`Runner`]: polls worker groups, runs their tasks, and shuts down
//! gracefully.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use taskrunner_activity::Router;
use taskrunner_api::{CallBudget, CancelReason, HeartbeatRequest, SdkTaskService, TaskService};
use taskrunner_lease::{LeaseConfig, LeaseManager};
use taskrunner_poller::{Heartbeat, Poller, PollerConfig};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::builder::RunnerBuilder;
use crate::error::BuildError;
use crate::execute::{Executor, ExecutorDispatch};
use crate::status::StatusSender;
use crate::summary::{Counters, RunSummary};
use crate::workers::Workers;

/// A task runner: polls its worker groups, acknowledges and keeps alive
/// every task it receives, runs the activity the task routes to, and reports
/// the outcome. Build one with [`Runner::builder`] (or
/// [`RunnerBuilder::new`]), run it with
/// [`Runner::run_until`].
pub struct Runner {
    service: Arc<dyn TaskService>,
    pollers: Vec<Arc<Poller>>,
    router: Router,
    budget: CallBudget,
    lease_config: LeaseConfig,
    heartbeat: HeartbeatRequest,
    heartbeat_interval: Duration,
    drain_timeout: Duration,
    cancel_grace: Duration,
    attempt_timeout: Option<Duration>,
    precondition_time_scale: f64,
    scratch_root: std::path::PathBuf,
    status: StatusSender,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Runner")
            .field("pollers", &self.pollers)
            .field("taskrunner_id", &self.heartbeat.taskrunner_id)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// Starts building a runner that calls AWS Data Pipeline through
    /// `client`, wrapped in [`SdkTaskService`] exactly as the `taskrunner`
    /// binary wraps it: PollForTask with timeouts longer than the service's
    /// long poll, SetTaskStatus without the SDK's own retries (see
    /// [`SdkTaskService`] for why).
    ///
    /// For any other [`TaskService`] — an `SdkTaskService` with other poll
    /// timeouts, a wrapper that counts calls, a test double — use
    /// [`RunnerBuilder::new`].
    pub fn builder(client: aws_sdk_datapipeline::Client) -> RunnerBuilder {
        RunnerBuilder::new(SdkTaskService::new(client))
    }

    pub(crate) fn new(
        builder: RunnerBuilder,
        router: Router,
        groups: Vec<PollerConfig>,
        hostname: String,
    ) -> Result<Self, BuildError> {
        let pollers = groups
            .iter()
            .map(|config| {
                Poller::new(
                    builder.service.clone(),
                    builder.budget.clone(),
                    config.clone(),
                )
                .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let taskrunner_id = builder
            .taskrunner_id
            .clone()
            .unwrap_or_else(|| format!("taskrunner-{}", uuid::Uuid::new_v4()));
        let heartbeat = HeartbeatRequest {
            taskrunner_id,
            // One heartbeat per runner: it names the first worker group.
            worker_group: groups.first().map(|group| group.worker_group.clone()),
            hostname: Some(hostname),
        };
        let status = StatusSender {
            service: builder.service.clone(),
            budget: builder.budget.clone(),
            backoff: builder.backoff,
            attempts: builder.status_attempts,
        };
        Ok(Self {
            pollers,
            router,
            service: builder.service,
            budget: builder.budget,
            lease_config: builder.lease_config,
            heartbeat,
            heartbeat_interval: builder.heartbeat_interval,
            drain_timeout: builder.drain_timeout,
            cancel_grace: builder.cancel_grace,
            attempt_timeout: builder.attempt_timeout,
            precondition_time_scale: builder.precondition_time_scale,
            scratch_root: builder.scratch_root,
            status,
        })
    }

    /// The id this runner sends in its heartbeats.
    pub fn taskrunner_id(&self) -> &str {
        &self.heartbeat.taskrunner_id
    }

    /// Runs until `shutdown` resolves or the service answers a heartbeat
    /// with `terminate: true`, then shuts down gracefully:
    ///
    /// 1. polling stops; polls in flight return and what they deliver runs;
    /// 2. tasks in flight run on, their leases still reported, for up to the
    ///    drain timeout;
    /// 3. tasks still running then are canceled (reason `Shutdown`), get the
    ///    cancel grace to stop, and send no status: their leases lapse and
    ///    the service hands them to another runner.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> RunSummary {
        let counters = Arc::new(Counters::default());
        let leases = LeaseManager::new(
            self.service.clone(),
            self.budget.clone(),
            self.lease_config.clone(),
        );
        let executor = Arc::new(Executor {
            leases,
            router: self.router,
            status: self.status,
            counters: counters.clone(),
            cancel_grace: self.cancel_grace,
            attempt_timeout: self.attempt_timeout,
            precondition_time_scale: self.precondition_time_scale,
            scratch_root: self.scratch_root.into(),
            in_flight: Mutex::new(HashMap::new()),
            next_key: AtomicU64::new(0),
            workers: Arc::new(Workers::new()),
        });
        // If this future is dropped before its end, idle workers, which
        // hold the executor, must still end.
        let _close_workers = executor.workers.close_on_drop();
        let stop_polling = CancellationToken::new();
        let terminate = CancellationToken::new();
        let stop_heartbeat = CancellationToken::new();
        let heartbeat = Heartbeat::new(
            self.service.clone(),
            self.budget.clone(),
            self.heartbeat.clone(),
            self.heartbeat_interval,
        );
        let heartbeat = tokio::spawn({
            let (stop, terminate) = (stop_heartbeat.clone(), terminate.clone());
            async move { heartbeat.run(stop, terminate).await }
        });
        let mut polling = JoinSet::new();
        for poller in &self.pollers {
            let (poller, dispatch, stop) = (
                poller.clone(),
                ExecutorDispatch(executor.clone()),
                stop_polling.clone(),
            );
            polling.spawn(async move { poller.run(Arc::new(dispatch), stop).await });
        }
        tracing::info!(taskrunner_id = %self.heartbeat.taskrunner_id, worker_groups = self.pollers.len(), "runner started");
        tokio::select! {
            () = shutdown => tracing::info!("shutdown requested; draining"),
            () = terminate.cancelled() => tracing::info!("the service asked this runner to terminate; draining"),
        }
        stop_polling.cancel();
        let drain = async {
            while polling.join_next().await.is_some() {}
            executor.workers.close();
            executor.workers.wait().await;
        };
        if tokio::time::timeout(self.drain_timeout, drain)
            .await
            .is_err()
        {
            let in_flight = executor.in_flight.lock().len();
            tracing::warn!(in_flight, drain_timeout = ?self.drain_timeout, "drain timeout: stopping the tasks still running");
            polling.abort_all();
            executor.cancel_all(CancelReason::Shutdown);
            executor.workers.close();
            // Each task gives its handler the cancel grace; this bound only
            // guards against a task stuck outside its handler.
            let _ = tokio::time::timeout(
                self.cancel_grace + Duration::from_secs(1),
                executor.workers.wait(),
            )
            .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), executor.leases.shutdown()).await;
        stop_heartbeat.cancel();
        let _ = heartbeat.await;
        let summary = counters.summary();
        tracing::info!(?summary, "runner stopped");
        summary
    }
}
