//! Where polled tasks go: a [`Dispatch`] receives each task with its
//! [`Slot`].

use std::fmt;
use std::sync::Arc;

use taskrunner_api::Task;
use tokio::sync::OwnedSemaphorePermit;

/// One of a worker group's concurrency slots, held by a task from before its
/// poll until it is done. Dropping the slot frees it, and the poller polls
/// again.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    worker_group: Arc<str>,
}

impl Slot {
    pub(crate) fn new(permit: OwnedSemaphorePermit, worker_group: &str) -> Self {
        Self {
            _permit: permit,
            worker_group: worker_group.into(),
        }
    }

    /// The worker group whose slot this is.
    pub fn worker_group(&self) -> &str {
        &self.worker_group
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Slot")
            .field("worker_group", &self.worker_group)
            .finish()
    }
}

/// Receives polled tasks. It must not block: start the work (spawn it) and
/// return; drop the slot when the task is done.
pub trait Dispatch: Send + Sync + 'static {
    /// Starts `task`, which holds `slot` until it is done.
    fn dispatch(&self, task: Task, slot: Slot);
}

impl<F> Dispatch for F
where
    F: Fn(Task, Slot) + Send + Sync + 'static,
{
    fn dispatch(&self, task: Task, slot: Slot) {
        self(task, slot);
    }
}
