//! The sans-IO state machine of one lease.
//!
//! [`Lease`] holds no task id, no channel and no clock: every method takes
//! `now` (and, where jitter is involved, a uniform random sample) and returns
//! the [`Action`]s the caller must carry out. The report queue drives it; the
//! async manager performs the I/O the actions ask for.

use std::sync::Arc;
use std::time::Duration;

use taskrunner_api::{CancelReason, ErrorClass};
use tokio::time::Instant;

use super::{LeaseState, LeaseTiming};

/// How urgent a report is when several wait for the same call-budget token.
///
/// The derived order is the dispatch order: acknowledgements first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Priority {
    /// The first report of a lease. It must land within two minutes of the
    /// poll or the task is handed to another runner, and the handler cannot
    /// start before it, so it goes ahead of everything else.
    Acknowledgement,
    /// A keep-alive report of a held lease (or its retry).
    Routine,
}

/// Something the owner of a [`Lease`] must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Send a report of this priority once `due` has come (and a budget token
    /// is available). The lease is now in the `Scheduled` phase.
    SendReport {
        /// Acknowledgement or routine.
        priority: Priority,
        /// The earliest moment to send it.
        due: Instant,
    },
    /// The lease deadline moved: publish it to the handler.
    DeadlineMoved(Instant),
    /// The acknowledgement was accepted: the handler may start.
    Acknowledged {
        /// Time from registration to the accepted acknowledgement.
        latency: Duration,
    },
    /// The lease ended: trip the handler's cancellation with `reason`, and
    /// forget the lease.
    End {
        /// The terminal state the lease ended in.
        state: LeaseState,
        /// Why the handler must stop.
        reason: CancelReason,
    },
}

/// Where the next report of a lease stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for `due`; then the report becomes ready.
    Scheduled {
        /// When the report becomes ready.
        due: Instant,
        /// Its priority once ready.
        priority: Priority,
    },
    /// Due, waiting for a call-budget token.
    Ready {
        /// Its priority in the ready queue.
        priority: Priority,
    },
    /// Sent; waiting for the service's answer.
    InFlight {
        /// When the request left: the lease deadline of a success is measured
        /// from here, the earliest moment the service can have recorded it.
        sent_at: Instant,
        /// The priority it was sent with (reused if it has to be retried).
        priority: Priority,
    },
    /// The lease ended; nothing more is sent.
    Done,
}

/// The state machine of one lease.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    /// What the service has said about the lease so far.
    state: LeaseState,
    /// Where the next report stands.
    phase: Phase,
    /// Past this instant the lease is no longer ours: the last accepted
    /// report's send time + the report timeout − the margin (before the
    /// acknowledgement: registration + the acknowledgement window).
    deadline: Instant,
    /// When the lease was registered, i.e. right after the poll.
    registered_at: Instant,
    /// When the last accepted report was sent (registration before the
    /// acknowledgement); early reports are spaced from it.
    reported_at: Instant,
    /// Reports failed in a row; drives the retry backoff.
    failures: u32,
    /// The durations this lease is scheduled by.
    timing: Arc<LeaseTiming>,
}

impl Lease {
    /// A lease registered at `now`: its acknowledgement is due at once, and
    /// its deadline is the end of the acknowledgement window.
    pub(crate) fn new(timing: Arc<LeaseTiming>, now: Instant) -> Self {
        Self {
            state: LeaseState::Acknowledging,
            phase: Phase::Scheduled {
                due: now,
                priority: Priority::Acknowledgement,
            },
            deadline: now + timing.acknowledgement_window(),
            registered_at: now,
            reported_at: now,
            failures: 0,
            timing,
        }
    }

    /// The lease's state.
    pub(crate) fn state(&self) -> LeaseState {
        self.state
    }

    /// The lease deadline.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Where the next report stands.
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// The next instant at which [`Lease::on_timer`] has something to do:
    /// the report's due time or the deadline, whichever is first.
    pub(crate) fn wakeup(&self) -> Option<Instant> {
        match self.phase {
            Phase::Scheduled { due, .. } => Some(due.min(self.deadline)),
            Phase::Ready { .. } | Phase::InFlight { .. } => Some(self.deadline),
            Phase::Done => None,
        }
    }

    /// Time has reached `now`: expire the lease past its deadline, or make a
    /// due report ready.
    pub(crate) fn on_timer(&mut self, now: Instant) -> Vec<Action> {
        if self.phase == Phase::Done {
            return Vec::new();
        }
        if now >= self.deadline {
            // Even a report in flight cannot save the lease now: if it is
            // accepted, it landed too close to the service's deadline to be
            // trusted (that is what the margin is for).
            return self.end(LeaseState::Expired);
        }
        if let Phase::Scheduled { due, priority } = self.phase {
            if now >= due {
                self.phase = Phase::Ready { priority };
            }
        }
        Vec::new()
    }

    /// A ready report was handed to the service at `now`.
    pub(crate) fn on_sent(&mut self, now: Instant) {
        if let Phase::Ready { priority } = self.phase {
            self.phase = Phase::InFlight {
                sent_at: now,
                priority,
            };
        }
    }

    /// The service accepted the report in flight; `canceled` is its answer.
    /// `unit` is a uniform random sample in `0.0..1.0` for the jitter.
    pub(crate) fn on_report_accepted(
        &mut self,
        canceled: bool,
        now: Instant,
        unit: f64,
    ) -> Vec<Action> {
        let Phase::InFlight { sent_at, .. } = self.phase else {
            // The lease ended (e.g. expired) while the report was in flight.
            return Vec::new();
        };
        if canceled {
            return self.end(LeaseState::Canceled);
        }
        self.failures = 0;
        self.reported_at = sent_at;
        self.deadline = sent_at + self.timing.lease_window();
        // Room for all three: growing from one would allocate twice.
        let mut actions = Vec::with_capacity(3);
        actions.push(Action::DeadlineMoved(self.deadline));
        if self.state == LeaseState::Acknowledging {
            self.state = LeaseState::Held;
            actions.push(Action::Acknowledged {
                latency: now.saturating_duration_since(self.registered_at),
            });
        }
        actions.push(self.schedule(Priority::Routine, now + self.timing.routine_interval(unit)));
        actions
    }

    /// The report in flight failed with an error of class `class`.
    /// `unit` is a uniform random sample in `0.0..1.0` for the backoff jitter.
    ///
    /// Only [`ErrorClass::LeaseGone`] ends the lease at once. Every other
    /// class — transient, throttled, but also invalid request, unauthorised
    /// and unknown — is retried until the deadline: the service documents
    /// InvalidRequest for exceeded limits (which pass), credentials can be
    /// refreshed, the fields we send are sanitised beforehand, and the
    /// deadline bounds the cost while fencing keeps it safe.
    pub(crate) fn on_report_failed(
        &mut self,
        class: ErrorClass,
        now: Instant,
        unit: f64,
    ) -> Vec<Action> {
        let Phase::InFlight { priority, .. } = self.phase else {
            return Vec::new();
        };
        if let ErrorClass::LeaseGone(kind) = class {
            return self.end(LeaseState::Lost(kind));
        }
        if now >= self.deadline {
            return self.end(LeaseState::Expired);
        }
        self.failures = self.failures.saturating_add(1);
        // Back off, but always leave room for another attempt before the
        // deadline: never wait more than half of the time that is left.
        let remaining = self.deadline.saturating_duration_since(now);
        let delay = self
            .timing
            .retry_delay(self.failures, unit)
            .min(remaining / 2)
            .max(self.timing.minimum_retry_delay());
        vec![self.schedule(priority, now + delay)]
    }

    /// The handler asked for an early report (its progress fields changed).
    ///
    /// Only a held lease waiting for its next routine report is moved: an
    /// acknowledgement is due at once anyway, a ready or in-flight report is
    /// about to go, and a retry keeps its backoff. The early report keeps
    /// the routine priority, so it is ordered by its deadline like any other
    /// and never overtakes an urgent one, and it is spaced at least
    /// `minimum_report_spacing` from the last accepted report.
    pub(crate) fn on_report_requested(&mut self, now: Instant) -> Vec<Action> {
        match self.phase {
            Phase::Scheduled {
                due,
                priority: Priority::Routine,
            } if self.failures == 0 => {
                let early = now.max(self.reported_at + self.timing.report_spacing());
                if early < due {
                    vec![self.schedule(Priority::Routine, early)]
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    /// Moves to the `Scheduled` phase and describes it as an action.
    fn schedule(&mut self, priority: Priority, due: Instant) -> Action {
        self.phase = Phase::Scheduled { due, priority };
        Action::SendReport { priority, due }
    }

    /// Ends the lease in the terminal `state`.
    fn end(&mut self, state: LeaseState) -> Vec<Action> {
        self.state = state;
        self.phase = Phase::Done;
        match state.cancel_reason() {
            Some(reason) => vec![Action::End { state, reason }],
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
