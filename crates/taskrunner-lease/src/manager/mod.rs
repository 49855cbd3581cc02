//! [`LeaseManager`]: acknowledges and keeps alive every task a process holds.

mod acknowledge;
mod driver;
mod handle;
mod inbox;
mod timings;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taskrunner_api::{
    parse_period, CallBudget, Cancellation, ProgressSink, Task, TaskId, TaskService,
};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use parking_lot::Mutex;
use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::lease::{Lease, LeaseTiming};
use crate::queue::LeaseKey;
use crate::LeaseConfig;
pub use acknowledge::AcknowledgeError;
use driver::{Binding, Driver};
pub use handle::LeaseHandle;
use handle::LeaseShared;
use inbox::{Arrival, Inbox};
use timings::TimingCache;

/// The name of the attempt-object field holding the report-progress timeout.
const REPORT_TIMEOUT_FIELD: &str = "reportProgressTimeout";

/// What handles and the manager tell the driver at once (registrations and
/// releases go through the [`Inbox`], which wakes the driver only when
/// needed).
#[derive(Debug)]
enum Command {
    /// The lease's handler asked for an early report.
    RequestReport(LeaseKey),
    /// Stop once no lease is left, and say so on the sender.
    Drain(oneshot::Sender<()>),
}

/// Acknowledges every task a process holds and keeps its lease alive.
///
/// One background task (the *driver*) owns all leases: it sends each
/// acknowledgement at once, then a ReportTaskProgress per lease every
/// interval, taking a token from the shared [`CallBudget`] for every call and
/// giving tokens to acknowledgements first, then to the lease whose deadline
/// is nearest (see the crate docs). It trips a task's [`Cancellation`] when
/// the service cancels it, when the service says it is gone, and when the
/// lease deadline passes without an accepted report.
///
/// Cloning is cheap; clones drive the same leases.
#[derive(Clone)]
pub struct LeaseManager {
    /// Commands for the driver.
    commands: mpsc::UnboundedSender<Command>,
    /// Registrations and releases for the driver.
    inbox: Arc<Inbox>,
    /// Where acknowledgements sent by their holders go
    /// ([`LeaseManager::acknowledge`]).
    service: Arc<dyn TaskService>,
    /// The budget those acknowledgements take a token from, when one is at
    /// hand.
    budget: CallBudget,
    /// Jitter samples for leases acknowledged by their holders.
    jitter: Arc<Mutex<SmallRng>>,
    /// The timing rules, used to build each lease.
    config: Arc<LeaseConfig>,
    /// Allocates lease keys; keys only need to be unique per manager.
    next_key: Arc<AtomicU64>,
    /// The timings of the leases, shared between leases with one timeout.
    timings: Arc<TimingCache>,
}

impl std::fmt::Debug for LeaseManager {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LeaseManager")
            .field("leases", &self.lease_count())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LeaseManager {
    /// Starts a lease manager reporting to `service` within `budget`.
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime: the driver is spawned onto it.
    pub fn new(service: Arc<dyn TaskService>, budget: CallBudget, config: LeaseConfig) -> Self {
        let (commands, receiver) = mpsc::unbounded_channel();
        let inbox = Arc::new(Inbox::new());
        let driver = Driver::new(
            Arc::clone(&service),
            budget.clone(),
            &config,
            Arc::clone(&inbox),
            receiver,
        );
        tokio::spawn(driver.run());
        // A different stream from the queue's: with a seed, both stay
        // repeatable.
        let jitter = match config.jitter_seed {
            Some(seed) => SmallRng::seed_from_u64(seed.wrapping_add(1)),
            None => SmallRng::from_os_rng(),
        };
        Self {
            commands,
            inbox,
            service,
            budget,
            jitter: Arc::new(Mutex::new(jitter)),
            config: Arc::new(config),
            next_key: Arc::new(AtomicU64::new(0)),
            timings: Arc::default(),
        }
    }

    /// Registers a task that PollForTask just returned, and sends its
    /// acknowledgement at once.
    ///
    /// Call it as soon as the poll returns: the acknowledgement window
    /// (two minutes) is counted from here. Then await
    /// [`LeaseHandle::acknowledged`] before running the task. The task's
    /// `reportProgressTimeout` (read from its attempt object) sets how often
    /// and how long the lease must be reported; a missing or unreadable value
    /// falls back to [`LeaseConfig::default_report_timeout`].
    ///
    /// `cancellation` is tripped when the lease ends early; `progress`
    /// supplies the fields of every report.
    ///
    /// # Errors
    ///
    /// [`AcquireError::Stopped`] once [`LeaseManager::shutdown`] has
    /// completed.
    pub fn acquire(
        &self,
        task: &Task,
        cancellation: Cancellation,
        progress: ProgressSink,
    ) -> Result<LeaseHandle, AcquireError> {
        let now = Instant::now();
        let lease = Lease::new(self.timing_of(task), now);
        self.register(task, lease, cancellation, progress)
    }

    /// The timing of `task`'s lease.
    fn timing_of(&self, task: &Task) -> Arc<LeaseTiming> {
        self.timings
            .timing(&self.config, report_timeout(task, &self.config))
    }

    /// Hands `lease` to the driver, which reports it from now on.
    fn register(
        &self,
        task: &Task,
        lease: Lease,
        cancellation: Cancellation,
        progress: ProgressSink,
    ) -> Result<LeaseHandle, AcquireError> {
        let shared = Arc::new(LeaseShared::new(lease.state(), lease.deadline()));
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        // Weak: a sink outliving its lease (a clone kept by the handler)
        // must not keep the driver alive.
        let commands = self.commands.downgrade();
        progress.route_requests(move || {
            if let Some(commands) = commands.upgrade() {
                // A stopped driver has no lease left to report.
                let _sent = commands.send(Command::RequestReport(key));
            }
        });
        let binding = Binding {
            task_id: task.task_id.clone(),
            cancellation,
            progress,
            shared: Arc::clone(&shared),
        };
        if self.inbox.arrive(key, Arrival { lease, binding }).is_err() {
            return Err(AcquireError::Stopped {
                task_id: task.task_id.clone(),
            });
        }
        Ok(LeaseHandle {
            key,
            task_id: task.task_id.clone(),
            shared,
            inbox: Arc::clone(&self.inbox),
            _commands: self.commands.clone(),
            released: false,
        })
    }

    /// The number of leases being acknowledged or kept alive.
    ///
    /// A poller can compare it with what its budget sustains (about
    /// `ReportTaskProgress rate × (timeout − margin)` leases) before taking
    /// on more tasks.
    pub fn lease_count(&self) -> usize {
        self.inbox.live()
    }

    /// Drains the manager: leases keep being reported until every one has
    /// been released or has ended, then the driver stops and this completes.
    ///
    /// New leases are still accepted while draining (polls in flight when
    /// shutdown began may still deliver tasks, and those must be
    /// acknowledged); once the drain completes, [`LeaseManager::acquire`]
    /// fails. Bound the wait with a timeout if needed: leases still live when
    /// the manager is finally dropped with its handles are expired.
    pub async fn shutdown(&self) {
        let (waiter, done) = oneshot::channel();
        if self.commands.send(Command::Drain(waiter)).is_ok() {
            // An error means the driver is gone: drained as well.
            let _drained = done.await;
        }
    }
}

/// The report-progress timeout of `task`: its attempt object's
/// `reportProgressTimeout`, else the configured default.
fn report_timeout(task: &Task, config: &LeaseConfig) -> Duration {
    let Some(text) = task
        .attempt()
        .and_then(|attempt| attempt.field(REPORT_TIMEOUT_FIELD))
    else {
        return config.default_report_timeout;
    };
    match parse_period(text) {
        Ok(timeout) => timeout,
        Err(error) => {
            tracing::warn!(
                task = %task.task_id,
                %error,
                default = ?config.default_report_timeout,
                "unreadable reportProgressTimeout; using the default",
            );
            config.default_report_timeout
        }
    }
}

/// Why [`LeaseManager::acquire`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcquireError {
    /// The manager has shut down, so nobody would acknowledge the task. Do
    /// not run it and send no SetTaskStatus: the service hands it to another
    /// runner once its acknowledgement window passes.
    #[error("lease manager has shut down; {task_id} cannot be acknowledged")]
    Stopped {
        /// The task that was not registered.
        task_id: TaskId,
    },
}
