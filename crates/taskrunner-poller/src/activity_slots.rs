//! [`ActivitySlots`]: a worker group's activity slots, and the tasks that
//! wait for one ahead of the poll loops.
//!
//! Who waits for an activity slot: the activity poll loops, before each
//! poll, and activity tasks that a precondition poll brought in (see
//! [`Slot::ready`](crate::Slot::ready)). The tasks go first: they are
//! acknowledged and hold leases, while a poll only looks for more work.
//! With the semaphore's own order (first come, first served) a slot freed
//! while a poll loop waited went to the poll loop, which then held it
//! through a long poll of an empty queue (20 s on AWS) while the
//! acknowledged task waited: at the end of a busy spell, such a task
//! started a whole long poll late. So a poll loop that gets a slot hands
//! it to the longest-waiting task, if any, and waits again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::occupancy::Occupancy;

/// The hand-offs of the tasks waiting for a slot, oldest first.
type Waiting = VecDeque<oneshot::Sender<OwnedSemaphorePermit>>;

/// A worker group's activity slots: `concurrency` permits, how many hold a
/// task, and the tasks waiting for one. Clones share them.
#[derive(Debug, Clone)]
pub(crate) struct ActivitySlots {
    permits: Arc<Semaphore>,
    occupancy: Arc<Occupancy>,
    waiting: Arc<Mutex<Waiting>>,
}

impl ActivitySlots {
    /// `concurrency` free slots.
    pub(crate) fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            occupancy: Arc::new(Occupancy::new(concurrency)),
            waiting: Arc::default(),
        }
    }

    /// How many slots are free now.
    pub(crate) fn free(&self) -> usize {
        self.permits.available_permits()
    }

    /// Which slots hold tasks.
    pub(crate) fn occupancy(&self) -> &Arc<Occupancy> {
        &self.occupancy
    }

    /// A free slot for a poll, once no task waits for it; `None` if the
    /// slots are closed (never, in practice). Cancel-safe.
    pub(crate) async fn acquire_for_poll(&self) -> Option<OwnedSemaphorePermit> {
        loop {
            let permit = Arc::clone(&self.permits).acquire_owned().await.ok()?;
            if let Some(permit) = self.hand_over(permit) {
                return Some(permit);
            }
        }
    }

    /// Queues a task for a slot: the receiver gets one a poll loop hands
    /// over. Dropping the receiver leaves the queue; a slot handed to it
    /// meanwhile is freed with it.
    pub(crate) fn wait_in_line(&self) -> oneshot::Receiver<OwnedSemaphorePermit> {
        let (hand_off, handed) = oneshot::channel();
        let mut waiting = self.waiting();
        // Tasks that got a slot another way, or ended, left a closed sender.
        waiting.retain(|waiting| !waiting.is_closed());
        waiting.push_back(hand_off);
        handed
    }

    /// A slot for a task queued by [`wait_in_line`](Self::wait_in_line):
    /// handed over by a poll loop, or freed where no poll loop waits for it
    /// (fewer pollers than slots). Cancel-safe; `None` only if the slots
    /// are closed.
    pub(crate) async fn acquire_for_task(
        &self,
        handed: &mut oneshot::Receiver<OwnedSemaphorePermit>,
    ) -> Option<OwnedSemaphorePermit> {
        tokio::select! {
            biased;
            permit = handed => match permit {
                Ok(permit) => Some(permit),
                // The queue is gone with its poller: take a slot directly.
                Err(_) => Arc::clone(&self.permits).acquire_owned().await.ok(),
            },
            permit = Arc::clone(&self.permits).acquire_owned() => permit.ok(),
        }
    }

    /// Gives `permit` to the task that has waited longest; gives it back
    /// when no task waits.
    fn hand_over(&self, mut permit: OwnedSemaphorePermit) -> Option<OwnedSemaphorePermit> {
        loop {
            let Some(task) = self.waiting().pop_front() else {
                return Some(permit);
            };
            match task.send(permit) {
                Ok(()) => return None,
                // That task no longer waits: the next one.
                Err(unsent) => permit = unsent,
            }
        }
    }

    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        // Every change to the queue is one call on it: a panic elsewhere
        // cannot leave it half-changed.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
