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
    /// Woken when the last free slot is taken: what [`Occupancy::full`]
    /// waits for. Not on other changes, which would wake the waiters only
    /// for them to wait again (twice a task, on a busy runner).
    filled: Notify,
}

impl Occupancy {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            running: AtomicUsize::new(0),
            capacity,
            filled: Notify::new(),
        }
    }

    /// A task took an activity slot.
    pub(crate) fn enter(&self) {
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        if running >= self.capacity {
            self.filled.notify_waiters();
        }
    }

    /// A task gave its activity slot back.
    pub(crate) fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
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
            let filled = self.filled.notified();
            tokio::pin!(filled);
            filled.as_mut().enable();
            if self.is_full() {
                return;
            }
            filled.await;
        }
    }
}
