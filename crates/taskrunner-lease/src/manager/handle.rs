//! [`LeaseHandle`]: the holder's view of one lease.

use std::sync::Arc;

use parking_lot::Mutex;
use taskrunner_api::{CancelReason, DeadlineSource, LeaseDeadline, TaskId};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use super::inbox::Inbox;
use super::Command;
use crate::queue::LeaseKey;
use crate::{LeaseState, LeaseVerdict};

/// The state of one lease that the driver and the holder share.
#[derive(Debug)]
pub(crate) struct LeaseShared {
    /// The lease state. The driver moves it forward, the holder's release
    /// moves it to `Released`; both take this lock, so a release and an
    /// ending are ordered and only the first one counts. A lock and a
    /// `Notify` rather than a `watch` channel: only the acknowledgement
    /// waits for a change, and a channel cost ~340 bytes a lease.
    state: Mutex<LeaseState>,
    /// Woken on every change of `state`.
    changed: Notify,
    /// The lease deadline, for the handler's `TaskContext`. The driver
    /// publishes a new deadline *before* the state change it belongs to, so
    /// whoever sees `Held` sees its deadline too. Nobody waits for it to
    /// move, so a lock is enough.
    deadline: Mutex<Instant>,
}

impl LeaseShared {
    /// A lease in `state` (acknowledging, or held when its holder sent the
    /// acknowledgement) with its current deadline.
    pub(crate) fn new(state: LeaseState, deadline: Instant) -> Self {
        Self {
            state: Mutex::new(state),
            changed: Notify::new(),
            deadline: Mutex::new(deadline),
        }
    }

    /// The current state.
    fn state(&self) -> LeaseState {
        *self.state.lock()
    }

    /// Completes with the first state that `settled` accepts: the current
    /// one, or a later one.
    async fn wait_for(&self, settled: impl Fn(LeaseState) -> bool) -> LeaseState {
        loop {
            // Registered before the check, so a change in between is not
            // missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let state = self.state();
            if settled(state) {
                return state;
            }
            changed.await;
        }
    }

    /// Publishes a new deadline.
    pub(crate) fn set_deadline(&self, deadline: Instant) {
        *self.deadline.lock() = deadline;
    }

    /// Moves a live lease to `to`. Returns `false`, changing nothing, when
    /// the lease is already terminal (ended, or released by its holder).
    pub(crate) fn advance(&self, to: LeaseState) -> bool {
        {
            let mut state = self.state.lock();
            if state.is_terminal() {
                return false;
            }
            *state = to;
        }
        self.changed.notify_waiters();
        true
    }

    /// Marks the lease released at `now` and says what its holder may do,
    /// and whether the release is what ended it (rather than the driver).
    fn release(&self, now: Instant) -> (LeaseVerdict, bool) {
        let deadline = Some(*self.deadline.lock());
        let (verdict, was_live) = {
            let mut state = self.state.lock();
            let verdict = LeaseVerdict::decide(*state, deadline, now);
            let was_live = !state.is_terminal();
            *state = LeaseState::Released;
            (verdict, was_live)
        };
        self.changed.notify_waiters();
        (verdict, was_live)
    }
}

impl DeadlineSource for LeaseShared {
    fn current_deadline(&self) -> Option<Instant> {
        Some(*self.deadline.lock())
    }
}

/// One lease, as its holder (the runner dispatching the task) sees it.
///
/// Returned by [`LeaseManager::acquire`](crate::LeaseManager::acquire). The
/// manager keeps reporting the lease until it ends or the handle is released
/// (or dropped, which releases it). About 100 bytes; it holds no task of its
/// own.
#[derive(Debug)]
pub struct LeaseHandle {
    /// The lease's key in the manager's queue.
    pub(super) key: LeaseKey,
    /// The task the lease is for.
    pub(super) task_id: TaskId,
    /// State and deadline, shared with the driver.
    pub(super) shared: Arc<LeaseShared>,
    /// Where the release goes.
    pub(super) inbox: Arc<Inbox>,
    /// Keeps the driver running while the lease is held, even if every
    /// manager clone is dropped.
    pub(super) _commands: mpsc::UnboundedSender<Command>,
    /// Set once released, so that `Drop` does not release twice.
    pub(super) released: bool,
}

impl LeaseHandle {
    /// The task this lease is for.
    pub fn task_id(&self) -> &TaskId {
        &self.task_id
    }

    /// Completes when the acknowledgement has been accepted, or the lease
    /// ended before it was.
    ///
    /// Await this before dispatching the task: a task whose acknowledgement
    /// was answered with TaskNotFound, `canceled: true`, or not at all within
    /// the acknowledgement window must never run.
    ///
    /// # Errors
    ///
    /// The reason the lease ended before it was held: do not run the task,
    /// and send no SetTaskStatus.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: it only observes the lease.
    pub async fn acknowledged(&self) -> Result<(), CancelReason> {
        let settled = self
            .shared
            .wait_for(|state| state != LeaseState::Acknowledging)
            .await;
        match settled {
            LeaseState::Held => Ok(()),
            other => Err(other.cancel_reason().unwrap_or(CancelReason::LeaseExpired)),
        }
    }

    /// The lease's current state.
    pub fn state(&self) -> LeaseState {
        self.shared.state()
    }

    /// The lease deadline: past it the task may belong to someone else.
    ///
    /// The view follows every move of the deadline (each accepted report
    /// pushes it out). It is set from the start: before the acknowledgement
    /// is accepted it is the end of the acknowledgement window.
    pub fn deadline(&self) -> LeaseDeadline {
        LeaseDeadline::new(self.shared.clone())
    }

    /// Stops reporting the lease and says whether the caller may still send
    /// SetTaskStatus for the task.
    ///
    /// Only [`LeaseVerdict::Held`] permits it: the lease was live and inside
    /// its deadline at this moment (fencing), so the outcome reaches the
    /// service while the task is still ours.
    pub fn release(mut self) -> LeaseVerdict {
        self.release_once()
    }

    /// Releases the lease unless that was done already.
    fn release_once(&mut self) -> LeaseVerdict {
        let (verdict, was_live) = self.shared.release(Instant::now());
        if !self.released {
            self.released = true;
            self.inbox.depart(self.key, was_live);
        }
        verdict
    }
}

impl Drop for LeaseHandle {
    /// Dropping a handle releases the lease (the verdict is lost).
    fn drop(&mut self) {
        if !self.released {
            self.release_once();
        }
    }
}
