//! What a run did, counted.

use std::sync::atomic::{AtomicU64, Ordering};

/// The counts a [`Runner`](crate::Runner) returns when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunSummary {
    /// Tasks PollForTask delivered.
    pub polled: u64,
    /// Tasks reported FINISHED.
    pub finished: u64,
    /// Tasks reported FAILED (handler errors, panics, timeouts, unroutable).
    pub failed: u64,
    /// Preconditions reported FALSE.
    pub precondition_false: u64,
    /// Tasks the service canceled (`canceled: true`): no status sent.
    pub canceled: u64,
    /// Tasks whose lease was lost or expired: no status sent.
    pub lost: u64,
    /// Tasks still running at the drain timeout, stopped so that their
    /// leases lapse and the service reassigns them: no status sent.
    pub shut_down: u64,
    /// Handlers that ignored cancellation past the grace period and were
    /// abandoned.
    pub abandoned: u64,
    /// SetTaskStatus calls that failed for good after their retries.
    pub status_failures: u64,
    /// Statuses whose answer was lost (a dropped connection, a 500) and
    /// whose retry found the task gone: most likely accepted, not confirmed.
    /// Not counted in `finished`, `failed` or `precondition_false`.
    pub statuses_unconfirmed: u64,
}

/// The live counters behind a [`RunSummary`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) polled: AtomicU64,
    pub(crate) finished: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) precondition_false: AtomicU64,
    pub(crate) canceled: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) shut_down: AtomicU64,
    pub(crate) abandoned: AtomicU64,
    pub(crate) status_failures: AtomicU64,
    pub(crate) statuses_unconfirmed: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn summary(&self) -> RunSummary {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RunSummary {
            polled: read(&self.polled),
            finished: read(&self.finished),
            failed: read(&self.failed),
            precondition_false: read(&self.precondition_false),
            canceled: read(&self.canceled),
            lost: read(&self.lost),
            shut_down: read(&self.shut_down),
            abandoned: read(&self.abandoned),
            status_failures: read(&self.status_failures),
            statuses_unconfirmed: read(&self.statuses_unconfirmed),
        }
    }
}
