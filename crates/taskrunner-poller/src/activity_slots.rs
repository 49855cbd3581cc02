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
//!
//! The same wait had a second way in: a precondition loop's poll still in
//! flight (its answer on the way) when the last running tasks end. The
//! activity loops took the freed slots into long polls of the emptied
//! queue, and the activity the precondition poll then brought found no
//! slot until one of those polls ran out. So an activity loop that gets a
//! slot while a precondition poll is in flight keeps it and waits for that
//! poll to be dispatched, then hands the slot over if the poll brought an
//! activity, and polls otherwise. Nothing is lost meanwhile: the
//! precondition poll is the one the service answers first.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{oneshot, Notify, OwnedSemaphorePermit, Semaphore};

use crate::occupancy::Occupancy;

/// The hand-offs of the tasks waiting for a slot, oldest first.
type Waiting = VecDeque<oneshot::Sender<OwnedSemaphorePermit>>;

/// A worker group's activity slots: `concurrency` permits, how many hold a
/// task, and the tasks waiting for one. Clones share them.
#[derive(Debug, Clone)]
pub(crate) struct ActivitySlots {
    permits: Arc<Semaphore>,
    occupancy: Arc<Occupancy>,
    line: Arc<Line>,
}

/// Who an activity loop holding a free slot lets go first.
#[derive(Debug, Default)]
struct Line {
    /// The tasks waiting for a slot.
    waiting: Mutex<Waiting>,
    /// How many entries `waiting` has (some may be tasks that left): read
    /// without the lock, so a poll loop sees an empty line cheaply.
    queued: AtomicUsize,
    /// Precondition polls in flight: each may bring an activity.
    precondition_polls: AtomicUsize,
    /// Woken when a task gets in line or a precondition poll ends.
    changed: Notify,
}

/// A precondition poll in flight, from before the call until its answer is
/// dispatched (so an activity it brought is in line by then); see the
/// module docs.
#[must_use = "the poll counts as in flight until this is dropped"]
pub(crate) struct PreconditionPoll {
    line: Arc<Line>,
}

impl Drop for PreconditionPoll {
    fn drop(&mut self) {
        self.line.precondition_polls.fetch_sub(1, Ordering::SeqCst);
        self.line.changed.notify_waiters();
    }
}

impl ActivitySlots {
    /// `concurrency` free slots.
    pub(crate) fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            occupancy: Arc::new(Occupancy::new(concurrency)),
            line: Arc::default(),
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

    /// A free slot for a poll, once no task waits for it and no
    /// precondition poll is in flight; `None` if the slots are closed
    /// (never, in practice). Cancel-safe.
    pub(crate) async fn acquire_for_poll(&self) -> Option<OwnedSemaphorePermit> {
        let mut permit = Arc::clone(&self.permits).acquire_owned().await.ok()?;
        // The usual case, without the line's lock or a registration for
        // its changes: nobody in line, no precondition poll in flight.
        if self.line.queued.load(Ordering::SeqCst) == 0
            && self.line.precondition_polls.load(Ordering::SeqCst) == 0
        {
            return Some(permit);
        }
        loop {
            // Registered before the checks, so a change between a check
            // and the wait is not missed.
            let changed = self.line.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.hand_over(permit) {
                // A task has it: queue for another.
                None => permit = Arc::clone(&self.permits).acquire_owned().await.ok()?,
                Some(kept) if self.line.precondition_polls.load(Ordering::SeqCst) == 0 => {
                    return Some(kept)
                }
                Some(kept) => {
                    permit = kept;
                    changed.await;
                }
            }
        }
    }

    /// Marks a precondition poll in flight until the returned guard drops.
    pub(crate) fn precondition_poll(&self) -> PreconditionPoll {
        self.line.precondition_polls.fetch_add(1, Ordering::SeqCst);
        PreconditionPoll {
            line: Arc::clone(&self.line),
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
        self.line.queued.store(waiting.len(), Ordering::SeqCst);
        drop(waiting);
        // An activity loop holding a free slot may be waiting for it.
        self.line.changed.notify_waiters();
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
            let task = {
                let mut waiting = self.waiting();
                let task = waiting.pop_front();
                self.line.queued.store(waiting.len(), Ordering::SeqCst);
                task
            };
            let Some(task) = task else {
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
        self.line
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
