//! The life of one task, from the poll to the accepted SetTaskStatus.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use taskrunner_activity::{Outcome, Router, TaskContext, ATTEMPT_TIMEOUT_ERROR_ID};
use taskrunner_api::{
    parse_period, CancelReason, Cancellation, ProgressSink, StatusReport, Task, TaskStatus,
};
use taskrunner_lease::{LeaseHandle, LeaseManager};
use taskrunner_poller::{Dispatch, Slot};
use tokio::time::Instant;
use tracing::Instrument;

use crate::precondition;
use crate::status::{Delivery, StatusSender};
use crate::summary::Counters;
use crate::workers::Workers;

/// What every task of a runner shares.
pub(crate) struct Executor {
    pub(crate) leases: LeaseManager,
    pub(crate) router: Router,
    pub(crate) status: StatusSender,
    pub(crate) counters: Arc<Counters>,
    /// How long a handler may take to stop after its token trips before it
    /// is abandoned.
    pub(crate) cancel_grace: Duration,
    /// The attempt timeout of tasks whose attempt object sets none.
    pub(crate) attempt_timeout: Option<Duration>,
    /// Divides preconditions' `retryDelay` and `preconditionTimeout`.
    pub(crate) precondition_time_scale: f64,
    /// Shared with every task's context, which names its scratch directory
    /// under it.
    pub(crate) scratch_root: Arc<Path>,
    /// The cancellations of the tasks in flight, so shutdown can trip them
    /// after the drain timeout.
    pub(crate) in_flight: Mutex<HashMap<u64, Cancellation>>,
    pub(crate) next_key: AtomicU64,
    /// Runs the tasks; shutdown waits for them.
    pub(crate) workers: Arc<Workers<(Box<Task>, Slot)>>,
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
        let executor = Arc::clone(&self.0);
        self.0
            .workers
            .run((Box::new(task), slot), move |(task, slot)| {
                Arc::clone(&executor).execute(task, slot)
            });
    }
}

/// How [`Executor::run_task`] ended, for the rest of the task's life.
enum TaskEnd {
    /// The task never ran: it could not be acknowledged. There is no lease
    /// to release and nothing to report; the service reassigns it.
    NotAcknowledged,
    /// The task ended without a status to send (canceled, lease gone, shut
    /// down): its lease is released and nothing is reported.
    Silent {
        /// Released by the caller.
        lease: LeaseHandle,
    },
    /// The task ended with `report`, to be sent if `lease` is still held
    /// when released.
    Report {
        /// The task's context, which holds the task: what SetTaskStatus
        /// and its log lines need is read from it, not copied.
        context: TaskContext,
        /// The status.
        report: StatusReport,
        /// Released by the caller, whose verdict decides whether `report`
        /// may be sent.
        lease: LeaseHandle,
    },
}

/// A task in flight: registered for shutdown's cancel-all, counted in the
/// in-flight gauge, holding its slot. Dropping it undoes all three.
///
/// It owns the executor's handle, so the task's future carries the slot
/// once: made inside that future, from a slot captured by it, the slot
/// would take its place twice (a future keeps what it captured for its
/// whole life, even once moved out).
struct InFlight {
    executor: Arc<Executor>,
    key: u64,
    slot: Slot,
}

impl InFlight {
    fn enter(executor: Arc<Executor>, cancellation: &Cancellation, slot: Slot) -> Self {
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

impl Drop for InFlight {
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
            task = %task.task_id.lazy_digest(),
            activity = tracing::field::Empty,
        );
        let cancellation = Cancellation::new();
        let mut in_flight = InFlight::enter(self, &cancellation, slot);
        async move {
            let this = &in_flight.executor;
            let (context, report, lease) = match this
                .run_task(task, &cancellation, &mut in_flight.slot)
                .await
            {
                TaskEnd::NotAcknowledged => return,
                TaskEnd::Silent { lease } => {
                    lease.release();
                    this.count_silent_end(cancellation.reason());
                    return;
                }
                TaskEnd::Report {
                    context,
                    report,
                    lease,
                } => (context, report, lease),
            };
            let verdict = lease.release();
            if !verdict.may_set_status() {
                tracing::info!(?verdict, "the lease is gone: no SetTaskStatus");
                this.count_silent_end(verdict.cancel_reason());
                return;
            }
            let status = report.status;
            Counters::add(match this.status.send(context.task(), report).await {
                Delivery::Accepted => match status {
                    TaskStatus::Finished => &this.counters.finished,
                    TaskStatus::Failed => &this.counters.failed,
                    TaskStatus::False => &this.counters.precondition_false,
                },
                Delivery::Unconfirmed => &this.counters.statuses_unconfirmed,
                Delivery::Failed => &this.counters.status_failures,
            });
        }
        .instrument(span)
    }

    /// Acknowledges the task and runs its handler; see [`TaskEnd`] for how
    /// it may end.
    async fn run_task(
        &self,
        task: Box<Task>,
        cancellation: &Cancellation,
        slot: &mut Slot,
    ) -> TaskEnd {
        let progress = ProgressSink::new();
        // The acknowledgement goes out before anything else: the 2-minute
        // window must never depend on how busy the handler side is.
        let lease = match self
            .leases
            .acknowledge(&task, cancellation.clone(), progress.clone())
            .await
        {
            Ok(lease) => lease,
            Err(error) => {
                tracing::warn!(%error, "task not acknowledged; it does not run");
                Counters::add(&self.counters.lost);
                return TaskEnd::NotAcknowledged;
            }
        };
        // An activity a precondition poll brought in waits here, its lease
        // kept alive, for an activity slot: `concurrency` bounds activities.
        if slot.is_waiting() {
            tracing::info!(
                "an activity polled in a precondition slot; waiting for an activity slot"
            );
            tokio::select! {
                () = slot.ready() => {}
                () = cancellation.cancelled() => return TaskEnd::Silent { lease },
            }
        }
        // The task moves into the handler's context, so a lease holds one
        // copy of it; the context is also what the status is sent from.
        let context = TaskContext::builder(*task)
            .cancellation(cancellation.clone())
            .progress(progress)
            .deadline(lease.deadline())
            .scratch_root(Arc::clone(&self.scratch_root))
            // The task's span is the current one (see `execute`): read
            // where it is needed, not kept across the awaits.
            .span(tracing::Span::current())
            .build();
        let route = match self.router.route(context.task()) {
            Err(unroutable) => {
                tracing::warn!(%unroutable, "no activity for this task");
                let report = unroutable.into_status_report();
                return TaskEnd::Report {
                    context,
                    report,
                    lease,
                };
            }
            Ok(route) => route,
        };
        tracing::Span::current().record("activity", route.name());
        let timeout = AttemptTimeout::of(context.task(), self.attempt_timeout);
        let handle = context.clone();
        // Every route goes through the precondition retry: an activity that
        // answers FALSE is a precondition, whatever its type.
        let checks = precondition::check_until_holds(&route, context, self.precondition_time_scale);
        // Pinned here, not by `run_handler`: a future keeps its arguments
        // for its whole life, so pinning there stored the checks twice.
        tokio::pin!(checks);
        match self
            .run_handler(checks, cancellation, timeout.as_ref())
            .await
        {
            Some(report) => TaskEnd::Report {
                context: handle,
                report,
                lease,
            },
            None => TaskEnd::Silent { lease },
        }
    }

    /// Runs the handler with its attempt timeout and cancellation. Answers
    /// the status to send, or `None` when none may be sent (canceled, lease
    /// gone, shut down).
    async fn run_handler(
        &self,
        mut call: Pin<&mut impl Future<Output = Outcome>>,
        cancellation: &Cancellation,
        timeout: Option<&AttemptTimeout>,
    ) -> Option<StatusReport> {
        let deadline = timeout.map(|timeout| Instant::now() + timeout.duration);
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
            // Boxed: only a cancelled task waits out a grace period, and an
            // unboxed timer would take its ~100 bytes in every task's future.
            None => match Box::pin(tokio::time::timeout(self.cancel_grace, &mut call)).await {
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
                timeout.map_or_else(
                    || "the attempt ran past its attempt timeout".to_owned(),
                    AttemptTimeout::describe,
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

/// How long an attempt may run, and where that limit came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AttemptTimeout {
    duration: Duration,
    /// The task's `attemptTimeout` as written; `None` for the runner's
    /// default.
    field: Option<String>,
}

impl AttemptTimeout {
    /// The task's `attemptTimeout` (read from its attempt object), else
    /// `default`. An unreadable field is logged and the default used: the
    /// service checked the definition, so this only happens with a
    /// service that did not.
    fn of(task: &Task, default: Option<Duration>) -> Option<Self> {
        let fallback = || {
            default.map(|duration| Self {
                duration,
                field: None,
            })
        };
        let Some(text) = task
            .attempt()
            .and_then(|attempt| attempt.field("attemptTimeout"))
        else {
            return fallback();
        };
        match parse_period(text) {
            Ok(duration) => Some(Self {
                duration,
                field: Some(text.to_owned()),
            }),
            Err(error) => {
                tracing::warn!(%error, "unreadable attemptTimeout; using the runner's default");
                fallback()
            }
        }
    }

    /// The FAILED status's message.
    fn describe(&self) -> String {
        match &self.field {
            Some(text) => format!("the attempt ran past its attemptTimeout of {text}"),
            None => format!(
                "the attempt ran past the runner's attempt timeout of {:?}",
                self.duration
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use taskrunner_api::{Field, TaskObject};

    use super::*;

    fn task(attempt_timeout: Option<&str>) -> Task {
        let mut attempt = TaskObject::new("@Work_Attempt=1", "Work");
        if let Some(text) = attempt_timeout {
            attempt = attempt.with_field(Field::string("attemptTimeout", text));
        }
        Task::new("t", "df-1", "@Work_Attempt=1").with_object(attempt)
    }

    #[test]
    fn the_task_s_attempt_timeout_wins_over_the_runner_s() {
        let default = Some(Duration::from_secs(5));
        let timeout = AttemptTimeout::of(&task(Some("2 minutes")), default).expect("a timeout");
        assert_eq!(timeout.duration, Duration::from_secs(120));
        assert_eq!(
            timeout.describe(),
            "the attempt ran past its attemptTimeout of 2 minutes"
        );
    }

    #[test]
    fn the_runner_s_default_applies_without_a_readable_field() {
        let default = Some(Duration::from_secs(5));
        for text in [None, Some("soon")] {
            let timeout = AttemptTimeout::of(&task(text), default).expect("the default");
            assert_eq!(timeout.duration, Duration::from_secs(5), "{text:?}");
            assert_eq!(
                timeout.describe(),
                "the attempt ran past the runner's attempt timeout of 5s"
            );
        }
        assert_eq!(AttemptTimeout::of(&task(None), None), None);
    }
}
