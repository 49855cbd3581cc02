//! The PollForTask loops of one worker group.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use taskrunner_api::{CallBudget, InstanceIdentity, Operation, PollRequest, TaskService};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::activity_slots::ActivitySlots;
use crate::backoff::Backoff;
use crate::dispatch::{is_precondition, Dispatch, Slot};

/// How long every activity slot must hold the same tasks before the
/// precondition loops poll: long enough that slots full only between short
/// tasks do not count (see [`Occupancy::settled_full`]), short beside the
/// minutes a precondition's `retryDelay` is measured in.
///
/// [`Occupancy::settled_full`]: crate::occupancy::Occupancy::settled_full
pub(crate) const PRECONDITION_SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// How one worker group is polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerConfig {
    /// The worker group: must match the activities' `workerGroup` exactly.
    pub worker_group: String,
    /// How many tasks of this group run at once: the slots.
    pub concurrency: usize,
    /// Slots of their own for preconditions, beside `concurrency`, each
    /// with its poll loop (the Java runner's two precondition threads,
    /// dp-taskrunner-threading.md). They poll only while every activity
    /// slot has held the same task for a second, so a precondition is
    /// checked even when long activities fill the runner. 0 turns them off.
    pub precondition_slots: usize,
    /// How many PollForTask calls may be in flight at once (the Java
    /// runner's `--tasks`, default 2); never more than the free slots,
    /// since each poll holds a slot.
    pub pollers: usize,
    /// The host name sent with each poll.
    pub hostname: Option<String>,
    /// The EC2 instance identity sent with each poll, when on EC2.
    pub instance_identity: Option<InstanceIdentity>,
    /// The delays after failed polls.
    pub backoff: Backoff,
}

impl PollerConfig {
    /// A configuration for `worker_group` with the Java runner's defaults:
    /// two pollers and two slots, and two precondition slots.
    pub fn new(worker_group: impl Into<String>) -> Self {
        Self {
            worker_group: worker_group.into(),
            concurrency: 2,
            precondition_slots: 2,
            pollers: 2,
            hostname: None,
            instance_identity: None,
            backoff: Backoff::default(),
        }
    }
}

/// Why a poller configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PollerConfigError {
    /// The worker group is empty: name the one the pipeline's activities use.
    #[error("the worker group is empty: give the workerGroup your activities name")]
    EmptyWorkerGroup,
    /// Concurrency 0 would never run a task: use 1 or more.
    #[error("worker group '{0}': concurrency must be at least 1")]
    NoSlots(String),
    /// No pollers would never poll: use 1 or more.
    #[error("worker group '{0}': the number of pollers must be at least 1")]
    NoPollers(String),
}

/// Counts of what a poller did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// PollForTask calls made.
    pub polls: u64,
    /// Polls that delivered a task.
    pub tasks: u64,
    /// Polls that ended empty.
    pub empty: u64,
    /// Polls that failed.
    pub errors: u64,
}

#[derive(Debug, Default)]
struct Counters {
    polls: AtomicU64,
    tasks: AtomicU64,
    empty: AtomicU64,
    errors: AtomicU64,
}

/// Polls one worker group: each poll holds a free slot, so a task is never
/// polled that cannot start at once, and the slot travels with the task to
/// the dispatcher, which frees it when the task is done.
pub struct Poller {
    service: Arc<dyn TaskService>,
    budget: CallBudget,
    config: PollerConfig,
    /// The activity slots: `concurrency` of them.
    slots: ActivitySlots,
    precondition_slots: Arc<Semaphore>,
    counters: Arc<Counters>,
}

impl Poller {
    /// A poller for `config.worker_group`.
    ///
    /// # Errors
    /// [`PollerConfigError`] for an empty worker group, no slots or no
    /// pollers.
    pub fn new(
        service: Arc<dyn TaskService>,
        budget: CallBudget,
        config: PollerConfig,
    ) -> Result<Self, PollerConfigError> {
        if config.worker_group.is_empty() {
            return Err(PollerConfigError::EmptyWorkerGroup);
        }
        if config.concurrency == 0 {
            return Err(PollerConfigError::NoSlots(config.worker_group));
        }
        if config.pollers == 0 {
            return Err(PollerConfigError::NoPollers(config.worker_group));
        }
        let slots = ActivitySlots::new(config.concurrency);
        let precondition_slots = Arc::new(Semaphore::new(config.precondition_slots));
        Ok(Self {
            service,
            budget,
            config,
            slots,
            precondition_slots,
            counters: Arc::default(),
        })
    }

    /// The worker group polled.
    pub fn worker_group(&self) -> &str {
        &self.config.worker_group
    }

    /// How many slots are free now.
    pub fn free_slots(&self) -> usize {
        self.slots.free()
    }

    /// Polls until `stop` trips, handing each task with its slot to
    /// `dispatch`. A poll in flight when `stop` trips is not abandoned: it
    /// returns, and what it delivers is dispatched, since the service
    /// already leased it to this runner.
    pub async fn run(&self, dispatch: Arc<dyn Dispatch>, stop: CancellationToken) -> PollSummary {
        let loops = self.config.pollers.min(self.config.concurrency);
        let kinds = std::iter::repeat_n(LoopKind::Activity, loops).chain(std::iter::repeat_n(
            LoopKind::Precondition,
            self.config.precondition_slots,
        ));
        let mut set = JoinSet::new();
        let group: Arc<str> = self.config.worker_group.as_str().into();
        for kind in kinds {
            let worker = PollLoop {
                kind,
                group: Arc::clone(&group),
                service: self.service.clone(),
                budget: self.budget.clone(),
                request: PollRequest {
                    worker_group: self.config.worker_group.clone(),
                    hostname: self.config.hostname.clone(),
                    instance_identity: self.config.instance_identity.clone(),
                },
                backoff: self.config.backoff,
                slots: self.slots.clone(),
                precondition_slots: self.precondition_slots.clone(),
                counters: self.counters.clone(),
                dispatch: dispatch.clone(),
                stop: stop.clone(),
            };
            set.spawn(worker.run());
        }
        while set.join_next().await.is_some() {}
        self.summary()
    }

    /// What the poller did so far.
    pub fn summary(&self) -> PollSummary {
        PollSummary {
            polls: self.counters.polls.load(Ordering::Relaxed),
            tasks: self.counters.tasks.load(Ordering::Relaxed),
            empty: self.counters.empty.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
        }
    }
}

/// Which slots a poll loop polls with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoopKind {
    /// An activity slot: polls whenever one is free.
    Activity,
    /// A precondition slot: polls only once every activity slot has held
    /// the same task for [`PRECONDITION_SETTLE`], since otherwise the
    /// activity loops are polling already.
    Precondition,
}

/// One of a poller's loops.
struct PollLoop {
    kind: LoopKind,
    /// The worker group, shared with every slot this loop hands out.
    group: Arc<str>,
    service: Arc<dyn TaskService>,
    budget: CallBudget,
    request: PollRequest,
    backoff: Backoff,
    slots: ActivitySlots,
    precondition_slots: Arc<Semaphore>,
    counters: Arc<Counters>,
    dispatch: Arc<dyn Dispatch>,
    stop: CancellationToken,
}

impl PollLoop {
    async fn run(self) {
        let group = self.request.worker_group.as_str();
        // Registered once: the macro builds and looks up its labelled key
        // (an allocation for the owned label) on every call.
        let polls_total =
            metrics::counter!("taskrunner_polls_total", "worker_group" => group.to_owned());
        let empty_polls_total =
            metrics::counter!("taskrunner_empty_polls_total", "worker_group" => group.to_owned());
        let mut failures = 0_u32;
        loop {
            let Some(permit) = self.free_slot().await else {
                return;
            };
            tokio::select! {
                () = self.budget.acquire(Operation::PollForTask) => {}
                () = self.stop.cancelled() => return,
            }
            self.counters.polls.fetch_add(1, Ordering::Relaxed);
            polls_total.increment(1);
            // Until its answer is dispatched, activity loops with a free
            // slot wait for it: it may bring an activity that needs one.
            let in_flight =
                (self.kind == LoopKind::Precondition).then(|| self.slots.precondition_poll());
            match self.service.poll_for_task(&self.request).await {
                Ok(Some(task)) => {
                    failures = 0;
                    self.counters.tasks.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(worker_group = group, task_id = %task.task_id, attempt_id = %task.attempt_id, "polled a task");
                    // A precondition takes a precondition slot when one
                    // is free, so one that retries for hours never holds an
                    // activity slot.
                    let spare = (self.kind == LoopKind::Activity && is_precondition(&task))
                        .then(|| self.precondition_slots.clone().try_acquire_owned().ok())
                        .flatten();
                    let (kind, permit) = match spare {
                        Some(spare) => (LoopKind::Precondition, spare),
                        None => (self.kind, permit),
                    };
                    let slot = match kind {
                        LoopKind::Activity => {
                            Slot::activity(permit, &self.group, self.slots.occupancy().clone())
                        }
                        LoopKind::Precondition => {
                            Slot::precondition(permit, &self.group, &task, &self.slots)
                        }
                    };
                    self.dispatch.dispatch(task, slot);
                }
                Ok(None) => {
                    failures = 0;
                    self.counters.empty.fetch_add(1, Ordering::Relaxed);
                    empty_polls_total.increment(1);
                }
                Err(error) => {
                    drop((permit, in_flight));
                    failures = failures.saturating_add(1);
                    self.counters.errors.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("taskrunner_api_errors_total", "operation" => "PollForTask", "class" => format!("{:?}", error.class())).increment(1);
                    let delay = self.backoff.delay(failures, error.class());
                    tracing::warn!(worker_group = group, %error, failures, delay_ms = delay.as_millis() as u64, "PollForTask failed; backing off");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = self.stop.cancelled() => return,
                    }
                }
            }
        }
    }

    /// Waits for a free slot of this loop's kind (for a precondition loop,
    /// also for every activity slot to hold a task), or `None` once stopped.
    ///
    /// A precondition loop waits for the activity slots to fill *before* it
    /// takes its slot: one that held its slot while it waited would leave
    /// none free for a precondition that an activity poll brings in, which
    /// would then hold the activity slot while it retries, and an activity
    /// the precondition loops poll next would wait behind it.
    async fn free_slot(&self) -> Option<OwnedSemaphorePermit> {
        loop {
            if self.stop.is_cancelled() {
                return None;
            }
            if self.kind == LoopKind::Precondition {
                tokio::select! {
                    () = self.slots.occupancy().settled_full(PRECONDITION_SETTLE) => {}
                    () = self.stop.cancelled() => return None,
                }
            }
            // An activity loop gets a slot only once no task waits for one.
            let permit = tokio::select! {
                permit = self.acquire() => permit?,
                () = self.stop.cancelled() => return None,
            };
            // The activity slots may have emptied while this loop waited
            // for its slot: then the activity loops poll, not this one.
            if self.kind == LoopKind::Activity || self.slots.occupancy().is_full() {
                return Some(permit);
            }
        }
    }

    /// A free slot of this loop's kind. Cancel-safe.
    async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        match self.kind {
            LoopKind::Activity => self.slots.acquire_for_poll().await,
            LoopKind::Precondition => self.precondition_slots.clone().acquire_owned().await.ok(),
        }
    }
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Poller")
            .field("config", &self.config)
            .field("free_slots", &self.free_slots())
            .finish_non_exhaustive()
    }
}
