//! The life of one task, from the poll to the accepted SetTaskStatus.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use taskrunner_activity::{Outcome, Router, TaskContext};
use taskrunner_api::{CancelReason, Cancellation, ProgressSink, StatusReport, Task, TaskStatus};
use taskrunner_lease::{parse_period, LeaseHandle, LeaseManager};
use taskrunner_poller::{Dispatch, Slot};
use tokio::time::Instant;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::precondition;
use crate::status::{Delivery, StatusSender, TaskIds};
use crate::summary::Counters;

/// The errorId of an attempt stopped by its `attemptTimeout`.
pub const ATTEMPT_TIMEOUT_ERROR_ID: &str = "AttemptTimeout";

/// What every task of a runner shares.
pub(crate) struct Executor {
    pub(crate) leases: LeaseManager,
    pub(crate) router: Router,
    pub(crate) status: StatusSender,
    pub(crate) counters: Arc<Counters>,
    /// How long a handler may take to stop after its token trips before it
    /// is abandoned.
    pub(crate) cancel_grace: Duration,
    /// Divides preconditions' `retryDelay` and `preconditionTimeout`.
    pub(crate) precondition_time_scale: f64,
    /// Shared with every task's context, which names its scratch directory
    /// under it.
    pub(crate) scratch_root: Arc<Path>,
    /// The cancellations of the tasks in flight, so shutdown can trip them
    /// after the drain timeout.
    pub(crate) in_flight: Mutex<HashMap<u64, Cancellation>>,
    pub(crate) next_key: AtomicU64,
    /// Tracks the task futures, so shutdown can wait for them.
    pub(crate) tracker: TaskTracker,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Executor")
            .field("in_flight", &self.in_flight.lock().len())
            .field("cancel_grace", &self.cancel_grace)
            .finish_non_exhaustive()
    }
}

/// Hands polled tasks to an [`Executor`].
#[derive(Debug, Clone)]
pub(crate) struct ExecutorDispatch(pub(crate) Arc<Executor>);

impl Dispatch for ExecutorDispatch {
    fn dispatch(&self, task: Task, slot: Slot) {
        Counters::add(&self.0.counters.polled);
        // Boxed, the task costs the future that carries it through its
        // life 8 bytes per await point instead of its ~90 (a held lease
        // keeps that future for as long as its handler runs).
        let run = Arc::clone(&self.0).execute(Box::new(task), slot);
        self.0.tracker.spawn(run);
    }
}

/// A task in flight: registered for shutdown's cancel-all, counted in the
/// in-flight gauge, holding its slot. Dropping it undoes all three.
struct InFlight<'a> {
    executor: &'a Executor,
    key: u64,
    slot: Slot,
}

impl<'a> InFlight<'a> {
    fn enter(executor: &'a Executor, cancellation: &Cancellation, slot: Slot) -> Self {
        let key = executor.next_key.fetch_add(1, Ordering::Relaxed);
        executor.in_flight.lock().insert(key, cancellation.clone());
        metrics::gauge!("taskrunner_tasks_in_flight").increment(1.0);
        Self {
            executor,
            key,
            slot,
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.executor.in_flight.lock().remove(&self.key);
        metrics::gauge!("taskrunner_tasks_in_flight").decrement(1.0);
    }
}

impl Executor {
    /// Runs one task: acknowledge, route, run, report.
    ///
    /// One flat future per task, deliberately: each nested `async fn` that
    /// takes the task or the lease by value keeps its own copy of them in
    /// the state machine for as long as the handler runs, and thousands of
    /// held leases each keep one of these futures.
    fn execute(self: Arc<Self>, task: Box<Task>, slot: Slot) -> impl Future<Output = ()> {
        let span = tracing::info_span!(
            "task",
            pipeline_id = %task.pipeline_id,
            attempt_id = %task.attempt_id,
            task = %task.task_id.digest(),
            activity = tracing::field::Empty,
        );
        let instrument = span.clone();
        async move {
            let cancellation = Cancellation::new();
            let mut in_flight = InFlight::enter(&self, &cancellation, slot);
            let Some((ids, report, lease)) = self
                .run_task(task, &cancellation, &span, &mut in_flight.slot)
                .await
            else {
                return;
            };
            let verdict = lease.release();
            let Some(report) = report else {
                self.count_silent_end(cancellation.reason());
                return;
            };
            if !verdict.may_set_status() {
                tracing::info!(?verdict, "the lease is gone: no SetTaskStatus");
                self.count_silent_end(verdict.cancel_reason());
                return;
            }
            let status = report.status;
            Counters::add(match self.status.send(&ids, report).await {
                Delivery::Accepted => match status {
                    TaskStatus::Finished => &self.counters.finished,
                    TaskStatus::Failed => &self.counters.failed,
                    TaskStatus::False => &self.counters.precondition_false,
                },
                Delivery::Unconfirmed => &self.counters.statuses_unconfirmed,
                Delivery::Failed => &self.counters.status_failures,
            });
        }
        .instrument(instrument)
    }

    /// Acknowledges the task and runs its handler. Answers what SetTaskStatus
    /// needs, the status to send (`None`: none may be sent) and the lease, or
    /// `None` when the task never ran (not acknowledged).
    async fn run_task(
        &self,
        task: Box<Task>,
        cancellation: &Cancellation,
        span: &tracing::Span,
        slot: &mut Slot,
    ) -> Option<(TaskIds, Option<StatusReport>, LeaseHandle)> {
        let progress = ProgressSink::new();
        // The acknowledgement goes out before anything else: the 2-minute
        // window must never depend on how busy the handler side is.
        let lease = match self
            .leases
            .acquire(&task, cancellation.clone(), progress.clone())
        {
            Ok(lease) => lease,
            Err(error) => {
                tracing::warn!(%error, "task not acknowledged; the service will reassign it");
                Counters::add(&self.counters.lost);
                return None;
            }
        };
        if let Err(reason) = lease.acknowledged().await {
            tracing::warn!(%reason, "acknowledgement refused; the task does not run");
            lease.release();
            Counters::add(&self.counters.lost);
            return None;
        }
        // What SetTaskStatus needs is kept; the task itself moves into the
        // handler's context, so a lease holds one copy of it.
        let ids = TaskIds::of(&task);
        // An activity a precondition poll brought in waits here, its lease
        // kept alive, for an activity slot: `concurrency` bounds activities.
        if slot.is_waiting() {
            tracing::info!(
                "an activity polled in a precondition slot; waiting for an activity slot"
            );
            tokio::select! {
                () = slot.ready() => {}
                () = cancellation.cancelled() => return Some((ids, None, lease)),
            }
        }
        let route = match self.router.route(&task) {
            Err(unroutable) => {
                tracing::warn!(%unroutable, "no activity for this task");
                return Some((ids, Some(unroutable.into_status_report()), lease));
            }
            Ok(route) => route,
        };
        span.record("activity", route.name());
        let timeout = attempt_timeout(&task).map(|(timeout, text)| (timeout, text.to_owned()));
        let context = TaskContext::builder(*task)
            .cancellation(cancellation.clone())
            .progress(progress)
            .deadline(lease.deadline())
            .scratch_root(Arc::clone(&self.scratch_root))
            .span(span.clone())
            .build();
        let timeout = timeout
            .as_ref()
            .map(|(timeout, text)| (*timeout, text.as_str()));
        // Every route goes through the precondition retry: an activity that
        // answers FALSE is a precondition, whatever its type.
        let checks = precondition::check_until_holds(&route, context, self.precondition_time_scale);
        let report = self.run_handler(checks, cancellation, timeout).await;
        Some((ids, report, lease))
    }

    /// Runs the handler with its attempt timeout and cancellation. Answers
    /// the status to send, or `None` when none may be sent (canceled, lease
    /// gone, shut down).
    async fn run_handler(
        &self,
        call: impl std::future::Future<Output = Outcome>,
        cancellation: &Cancellation,
        timeout: Option<(Duration, &str)>,
    ) -> Option<StatusReport> {
        tokio::pin!(call);
        let deadline = timeout.map(|(timeout, _)| Instant::now() + timeout);
        // Boxed: most tasks have no attemptTimeout, and an unboxed `Sleep`
        // would take its ~100 bytes in every task's future anyway.
        let timed_out = async {
            match deadline {
                Some(deadline) => Box::pin(tokio::time::sleep_until(deadline)).await,
                None => std::future::pending().await,
            }
        };
        let early = tokio::select! {
            result = &mut call => Some(result),
            () = cancellation.cancelled() => None,
            () = timed_out => {
                cancellation.trip(CancelReason::Timeout);
                None
            }
        };
        let result = match early {
            Some(result) => Some(result),
            // Cooperative first: the handler saw its token trip and gets the
            // grace period to stop; past it, it is abandoned (dropped).
            None => match tokio::time::timeout(self.cancel_grace, &mut call).await {
                Ok(result) => Some(result),
                Err(_) => {
                    tracing::warn!(grace = ?self.cancel_grace, "the handler ignored cancellation; abandoned");
                    Counters::add(&self.counters.abandoned);
                    None
                }
            },
        };
        match cancellation.reason() {
            Some(CancelReason::Timeout) => Some(StatusReport::failed(
                ATTEMPT_TIMEOUT_ERROR_ID,
                format!(
                    "the attempt ran past its attemptTimeout of {}",
                    timeout.map_or("?", |(_, text)| text)
                ),
            )),
            Some(_) => None,
            None => result.map(Outcome::into_status_report),
        }
    }

    fn count_silent_end(&self, reason: Option<CancelReason>) {
        let counter = match reason {
            Some(CancelReason::CanceledByService) => &self.counters.canceled,
            Some(CancelReason::Shutdown) => &self.counters.shut_down,
            _ => &self.counters.lost,
        };
        Counters::add(counter);
    }

    /// Trips every in-flight task's token with `reason`.
    pub(crate) fn cancel_all(&self, reason: CancelReason) {
        for cancellation in self.in_flight.lock().values() {
            cancellation.trip(reason);
        }
    }
}

/// The task's `attemptTimeout`, read from its attempt object, with its text.
fn attempt_timeout(task: &Task) -> Option<(Duration, &str)> {
    let text = task.attempt()?.field("attemptTimeout")?;
    match parse_period(text) {
        Ok(timeout) => Some((timeout, text)),
        Err(error) => {
            tracing::warn!(%error, "unreadable attemptTimeout; running without one");
            None
        }
    }
}
