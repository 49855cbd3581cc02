//! [`Occupancy`]: how many of a worker group's activity slots hold a task,
//! so the precondition loops know when the runner is saturated.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Counts the tasks holding activity slots (not the polls: a poll in flight
/// holds a slot too, but leaves the runner free to take what comes).
#[derive(Debug)]
pub(crate) struct Occupancy {
    /// Tasks that hold an activity slot now.
    running: AtomicUsize,
    /// How many activity slots there are.
    capacity: usize,
    /// How many times a task gave its slot back: tells a slot freed (and
    /// maybe taken again) during a wait from slots that stayed full.
    freed: AtomicU64,
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
            freed: AtomicU64::new(0),
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
        self.freed.fetch_add(1, Ordering::SeqCst);
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

    /// Completes once every activity slot has held the same tasks for
    /// `settle`: no slot was freed meanwhile, so the tasks running are long
    /// ones, and a poll loop with a slot of its own should take what comes.
    ///
    /// Slots that are full only between short tasks do not count: each
    /// slot freed goes to an activity poll loop (or to a task waiting in
    /// line), which is polling anyway. Were the precondition loops to poll
    /// whenever the slots are momentarily full, on a runner saturated with
    /// short tasks they would poll all the time, and the activities they
    /// brought in, first in line for every slot freed, would keep the
    /// slots full and the activity loops idle: two loops doing the work
    /// of `capacity` (docs/PERFORMANCE.md, framework-overhead).
    pub(crate) async fn settled_full(&self, settle: Duration) {
        loop {
            self.full().await;
            let freed = self.freed.load(Ordering::SeqCst);
            tokio::time::sleep(settle).await;
            if self.is_full() && self.freed.load(Ordering::SeqCst) == freed {
                return;
            }
        }
    }
}
