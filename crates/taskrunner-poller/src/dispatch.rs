//! Where polled tasks go: a [`Dispatch`] receives each task with its
//! [`Slot`].

use std::fmt;
use std::sync::Arc;

use taskrunner_api::Task;
use tokio::sync::{oneshot, OwnedSemaphorePermit};

use crate::activity_slots::ActivitySlots;
use crate::occupancy::Occupancy;

/// The object types of the Developer Guide's preconditions
/// (dp-concepts-preconditions.md): a task whose attempt object has one of
/// these types may run in a precondition slot.
pub const PRECONDITION_TYPES: &[&str] = &[
    "ShellCommandPrecondition",
    "Exists",
    "S3KeyExists",
    "S3PrefixNotEmpty",
    "DynamoDBDataExists",
    "DynamoDBTableExists",
];

/// Whether `task` checks a precondition, by its attempt object's `type`.
pub fn is_precondition(task: &Task) -> bool {
    task.attempt()
        .and_then(|attempt| attempt.object_type())
        .is_some_and(|object_type| PRECONDITION_TYPES.contains(&object_type))
}

/// One of a worker group's concurrency slots, held by a task from before its
/// poll until it is done. Dropping the slot frees it, and the poller polls
/// again.
///
/// A slot is either an activity slot (the group's `concurrency`, the Java
/// runner's `--tasks`) or a precondition slot. An activity task that a
/// precondition poll brought in holds a precondition slot until
/// [`ready`](Self::ready) trades it for an activity slot; a precondition
/// that an activity poll brought in moves to a free precondition slot.
pub struct Slot {
    permit: OwnedSemaphorePermit,
    worker_group: Arc<str>,
    /// Set while the slot is an activity slot: told when it is given back.
    occupancy: Option<Arc<Occupancy>>,
    /// Set while the task holds a precondition slot it may not run in: the
    /// activity slots, to trade for one, and its place in their line.
    pending: Option<(ActivitySlots, oneshot::Receiver<OwnedSemaphorePermit>)>,
}

impl Slot {
    /// An activity slot.
    pub(crate) fn activity(
        permit: OwnedSemaphorePermit,
        worker_group: &Arc<str>,
        occupancy: Arc<Occupancy>,
    ) -> Self {
        occupancy.enter();
        Self {
            permit,
            worker_group: Arc::clone(worker_group),
            occupancy: Some(occupancy),
            pending: None,
        }
    }

    /// A precondition slot; `activity_slots` is where a task that is not a
    /// precondition must wait for room. Such a task gets in line at once,
    /// ahead of the poll loops (see `activity_slots.rs`).
    pub(crate) fn precondition(
        permit: OwnedSemaphorePermit,
        worker_group: &Arc<str>,
        task: &Task,
        activity_slots: &ActivitySlots,
    ) -> Self {
        Self {
            permit,
            worker_group: Arc::clone(worker_group),
            occupancy: None,
            pending: (!is_precondition(task))
                .then(|| (activity_slots.clone(), activity_slots.wait_in_line())),
        }
    }

    /// The worker group whose slot this is.
    pub fn worker_group(&self) -> &str {
        &self.worker_group
    }

    /// Whether the task must still wait for [`ready`](Self::ready) before
    /// it runs.
    pub fn is_waiting(&self) -> bool {
        self.pending.is_some()
    }

    /// Completes when the task may run. At once, except for an activity
    /// task a precondition poll brought in: it waits for an activity slot
    /// (keeping its precondition slot meanwhile, so no more are polled in
    /// than there are precondition slots), then gives the precondition slot
    /// back. It gets the next activity slot freed, before any poll loop
    /// does. Acknowledge the task before waiting: the lease must be kept
    /// alive while it waits. Cancel-safe.
    pub async fn ready(&mut self) {
        let Some((slots, handed)) = &mut self.pending else {
            return;
        };
        // The slots are never closed; were they, run where we are.
        if let Some(permit) = slots.acquire_for_task(handed).await {
            let occupancy = Arc::clone(slots.occupancy());
            occupancy.enter();
            self.permit = permit;
            self.occupancy = Some(occupancy);
        }
        self.pending = None;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(occupancy) = &self.occupancy {
            occupancy.leave();
        }
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Slot")
            .field("worker_group", &self.worker_group)
            .field("activity", &self.occupancy.is_some())
            .field("waiting", &self.pending.is_some())
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
