//! [`Occupancy`]: how many of a worker group's activity slots hold a task,
//! so the precondition loops know when the runner is saturated.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counts the tasks holding activity slots (not the polls: a poll in flight
/// holds a slot too, but leaves the runner free to take what comes).
#[derive(Debug)]
pub(crate) struct Occupancy {
    /// Tasks that hold an activity slot now.
    running: AtomicUsize,
    /// How many activity slots there are.
    capacity: usize,
    /// Woken on every change of `running`.
    changed: Notify,
}

impl Occupancy {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            running: AtomicUsize::new(0),
            capacity,
            changed: Notify::new(),
        }
    }

    /// A task took an activity slot.
    pub(crate) fn enter(&self) {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// A task gave its activity slot back.
    pub(crate) fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Whether every activity slot holds a task.
    pub(crate) fn is_full(&self) -> bool {
        self.running.load(Ordering::SeqCst) >= self.capacity
    }

    /// Completes once every activity slot holds a task.
    pub(crate) async fn full(&self) {
        loop {
            // Registered before the check, so a change between the check
            // and the wait is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_full() {
                return;
            }
            changed.await;
        }
    }
}
