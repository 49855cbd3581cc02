//! The driver: the one tokio task that owns every lease of a manager.
//!
//! It performs the I/O the sans-IO [`ReportQueue`] asks for and feeds the
//! answers back; leases reach it through the [`Inbox`]. One task for all leases (rather than one per lease) keeps a
//! lease at a few hundred bytes and lets a single ordered queue decide which
//! report gets the next budget token.

use std::sync::Arc;

use futures::future::{BoxFuture, OptionFuture};
use futures::stream::{FuturesUnordered, StreamExt};
use taskrunner_api::{
    ApiError, CallBudget, CancelReason, Cancellation, ErrorClass, Operation, ProgressResponse,
    ProgressSink, TaskId, TaskService,
};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::task::AbortOnDropHandle;

use super::handle::LeaseShared;
use super::inbox::Inbox;
use super::Command;
use crate::fields::sanitize;
use crate::lease::Action;
use crate::queue::{LeaseKey, ReportQueue};
use crate::{telemetry, LeaseState};

/// What the driver needs to perform I/O for one lease.
#[derive(Debug)]
pub(crate) struct Binding {
    /// The task reported on.
    pub(crate) task_id: TaskId,
    /// Tripped when the lease ends.
    pub(crate) cancellation: Cancellation,
    /// Fields for each report, and the handler's early-report requests.
    pub(crate) progress: ProgressSink,
    /// State and deadline, shared with the holder's handle.
    pub(crate) shared: Arc<LeaseShared>,
}

/// A report call that returned.
struct Completion {
    /// Whose report it was.
    key: LeaseKey,
    /// The service's answer.
    result: Result<ProgressResponse, ApiError>,
}

/// The driver's state. Runs until every lease is gone and either the manager
/// asked it to drain or every sender (manager and handles) is dropped.
pub(super) struct Driver {
    /// Where reports go.
    service: Arc<dyn TaskService>,
    /// The process-wide budget every report takes a token from.
    budget: CallBudget,
    /// Every lease, and which report goes next.
    queue: ReportQueue<Binding>,
    /// Leases registered and released by their holders.
    inbox: Arc<Inbox>,
    /// Drain requests and early-report requests, in the order they were made.
    commands: mpsc::UnboundedReceiver<Command>,
    /// Report calls awaiting the service's answer. Each call runs on a task
    /// of its own: building, signing and parsing a request is most of a
    /// call's CPU, and polled inside the driver it would all run on the one
    /// worker thread the driver is on, while the tasks it acknowledges wait.
    /// Spawned, the calls spread over the runtime's workers as a bare loop's
    /// do. Dropping the driver aborts the calls still out.
    in_flight: FuturesUnordered<BoxFuture<'static, Completion>>,
    /// Upper bound on `in_flight`.
    max_in_flight: usize,
    /// Set by a drain request: stop once no lease is left.
    draining: bool,
    /// Told when the driver stops.
    drain_waiters: Vec<oneshot::Sender<()>>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Driver")
            .field("leases", &self.queue.len())
            .field("in_flight", &self.in_flight.len())
            .field("draining", &self.draining)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver for a new manager, collecting leases from `inbox` and
    /// receiving `commands`.
    pub(super) fn new(
        service: Arc<dyn TaskService>,
        budget: CallBudget,
        config: &crate::LeaseConfig,
        inbox: Arc<Inbox>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        Self {
            service,
            budget,
            queue: ReportQueue::new(config.jitter_seed),
            inbox,
            commands,
            in_flight: FuturesUnordered::new(),
            max_in_flight: config.max_concurrent_reports.max(1),
            draining: false,
            drain_waiters: Vec::new(),
        }
    }

    /// The driver loop.
    ///
    /// Budget tokens are bound late: the driver waits for a token while
    /// reports are ready, and only once it is granted takes the most urgent
    /// ready report. A granted token that finds no ready report (all released
    /// meanwhile) is kept as `permit` for the next one.
    pub(super) async fn run(mut self) {
        let mut token: Option<BoxFuture<'static, ()>> = None;
        let mut permit = false;
        loop {
            // Before anything else: a released lease must not be reported,
            // and a new one may be the most urgent.
            self.collect();
            if self.draining && self.queue.is_empty() {
                // A registration sent just before the drain finished still
                // gets its lease rather than an immediate expiry.
                if self.inbox.has_arrivals() {
                    continue;
                }
                match self.commands.try_recv() {
                    Ok(command) => {
                        self.handle(command);
                        continue;
                    }
                    Err(_) => break,
                }
            }
            let room = self.in_flight.len() < self.max_in_flight;
            if permit && room && self.queue.has_ready() {
                permit = false;
                self.dispatch();
                continue;
            }
            if token.is_none() && !permit && room && self.queue.has_ready() {
                let budget = self.budget.clone();
                token = Some(Box::pin(async move {
                    budget.acquire(Operation::ReportTaskProgress).await;
                }));
            }
            let wakeup = self.queue.next_wakeup();
            if !self.inbox.try_sleep(wakeup) {
                continue;
            }
            let inbox = Arc::clone(&self.inbox);
            let woken = inbox.woken();
            // Biased: commands first (drain requests and early-report
            // requests), then answers, which move deadlines; then timers;
            // then tokens. A holder's wake-up only makes the loop collect.
            tokio::select! {
                biased;
                () = woken => {}
                command = self.commands.recv() => match command {
                    Some(command) => self.handle(command),
                    None => break,
                },
                Some(completion) = self.in_flight.next() => self.finish(completion),
                () = tokio::time::sleep_until(wakeup.unwrap_or_else(Instant::now)),
                    if wakeup.is_some() =>
                {
                    // Never before the wakeup, even if the timer rounded.
                    let now = wakeup.map_or_else(Instant::now, |at| Instant::now().max(at));
                    let actions = self.queue.advance(now);
                    self.apply(actions);
                }
                Some(()) = OptionFuture::from(token.as_mut()) => {
                    token = None;
                    permit = true;
                }
            }
        }
    }

    /// Takes in what holders left in the inbox.
    fn collect(&mut self) {
        let mail = self.inbox.collect();
        let now = Instant::now();
        for (key, arrival) in mail.arrivals {
            tracing::debug!(task = %arrival.binding.task_id, deadline = ?arrival.lease.deadline(), "lease registered");
            self.queue.insert(key, arrival.lease, arrival.binding, now);
        }
        for key in mail.departures {
            if let Some(binding) = self.queue.remove(key) {
                tracing::debug!(task = %binding.task_id, "lease released");
            }
        }
    }

    /// Carries out one command.
    fn handle(&mut self, command: Command) {
        match command {
            Command::RequestReport(key) => self.report_requested(key),
            Command::Drain(waiter) => {
                self.draining = true;
                self.inbox.start_draining();
                self.drain_waiters.push(waiter);
            }
        }
    }

    /// Sends the most urgent ready report (a budget token is in hand).
    fn dispatch(&mut self) {
        let Some((key, priority, binding)) = self.queue.pop_ready(Instant::now()) else {
            return;
        };
        tracing::trace!(task = %binding.task_id, ?priority, "sending progress report");
        let service = Arc::clone(&self.service);
        let task_id = binding.task_id.clone();
        let fields = sanitize(binding.progress.snapshot());
        let call = AbortOnDropHandle::new(tokio::spawn(async move {
            service.report_task_progress(&task_id, &fields).await
        }));
        self.in_flight.push(Box::pin(async move {
            let result = call.await.unwrap_or_else(|failed| {
                // A panic inside the service implementation: the lease sees
                // a failed report and retries, as after a dropped connection.
                Err(ApiError::new(
                    Operation::ReportTaskProgress,
                    ErrorClass::Transient,
                    format!("the report call did not complete: {failed}"),
                ))
            });
            Completion { key, result }
        }));
    }

    /// Feeds a report's answer to its lease.
    fn finish(&mut self, completion: Completion) {
        let Completion { key, result } = completion;
        telemetry::report_answered(result.is_ok());
        let answer = match result {
            Ok(response) => Ok(response.canceled),
            Err(error) => {
                if let Some(binding) = self.queue.payload(key) {
                    tracing::warn!(task = %binding.task_id, class = %error.class(), %error, "progress report failed");
                }
                Err(error.class())
            }
        };
        let actions = self.queue.complete(key, answer, Instant::now());
        self.apply(actions);
    }

    /// A handler asked for an early report (ignored once its lease is gone).
    fn report_requested(&mut self, key: LeaseKey) {
        let actions = self.queue.request_report(key, Instant::now());
        self.apply(actions);
    }

    /// Performs the actions the queue returned.
    fn apply(&mut self, actions: Vec<(LeaseKey, Action)>) {
        for (key, action) in actions {
            let Some(binding) = self.queue.payload(key) else {
                continue;
            };
            match action {
                // The queue has already indexed the report.
                Action::SendReport { .. } => {}
                Action::DeadlineMoved(deadline) => binding.shared.set_deadline(deadline),
                Action::Acknowledged { latency } => {
                    if binding.shared.advance(LeaseState::Held) {
                        telemetry::acknowledged(latency);
                        tracing::debug!(task = %binding.task_id, ?latency, "task acknowledged");
                    }
                }
                Action::End { state, reason } => {
                    // A lease its holder released already is not tripped:
                    // the handler is done and nobody is listening.
                    if binding.shared.advance(state) {
                        self.inbox.lease_ended();
                        binding.cancellation.trip(reason);
                        telemetry::lease_ended(state);
                        tracing::warn!(task = %binding.task_id, %reason, "lease ended; the task must stop and send no status");
                    }
                    self.queue.remove(key);
                }
            }
        }
    }
}

impl Drop for Driver {
    /// However the driver stops (drained, abandoned, or panicking), no lease
    /// is left looking alive: nobody will report it any more, so it is
    /// expired and its handler tripped, and drain waiters are told.
    fn drop(&mut self) {
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Drain(waiter) => self.drain_waiters.push(waiter),
                // Nobody reports any more: the request has nothing to speed up.
                Command::RequestReport(_) => {}
            }
        }
        let uncollected = self
            .inbox
            .close()
            .into_iter()
            .map(|arrival| arrival.binding);
        for binding in self.queue.take_all().into_iter().chain(uncollected) {
            if binding.shared.advance(LeaseState::Expired) {
                self.inbox.lease_ended();
                binding.cancellation.trip(CancelReason::LeaseExpired);
                tracing::warn!(task = %binding.task_id, "lease manager stopped while the lease was live");
            }
        }
        for waiter in self.drain_waiters.drain(..) {
            // The waiter may have given up; nothing to do then.
            let _told = waiter.send(());
        }
    }
}
