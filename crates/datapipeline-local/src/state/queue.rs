//! Per-worker-group queues of attempts waiting for a runner, and the
//! long-polls waiting for them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::Notify;

/// Where an attempt lives: its pipeline and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AttemptKey {
    pub(crate) pipeline: Arc<str>,
    pub(crate) attempt: Arc<str>,
}

/// One worker group's queue.
#[derive(Debug, Default)]
struct WorkerQueue {
    /// Attempts in the order they became ready. Entries whose attempt left
    /// WAITING_FOR_RUNNER (canceled, deleted) are skipped when popped rather
    /// than searched for and removed.
    ready: VecDeque<(u64, AttemptKey)>,
    /// Wakes one long-poll of this group when an attempt is pushed.
    notify: Arc<Notify>,
}

/// A change to the queues, kept for `--state` (see [`crate::persist`]):
/// the state file holds one row per queued entry.
#[derive(Debug, Clone)]
pub(crate) enum QueueChange {
    /// Entry `sequence` was queued.
    Pushed {
        sequence: u64,
        worker_group: String,
        key: AttemptKey,
    },
    /// Entry `sequence` left its queue.
    Popped { sequence: u64 },
}

/// The queues of every worker group.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    groups: HashMap<String, WorkerQueue>,
    /// The number of the last entry pushed; entries are numbered across
    /// groups so that a load restores each queue's order.
    sequence: u64,
    /// Changes since the last [`Queues::take_changes`], oldest first.
    changes: Vec<QueueChange>,
}

impl Queues {
    /// Queues `key` for `worker_group` and wakes one waiting poll.
    pub(crate) fn push(&mut self, worker_group: &str, key: AttemptKey) {
        self.sequence += 1;
        self.changes.push(QueueChange::Pushed {
            sequence: self.sequence,
            worker_group: worker_group.to_owned(),
            key: key.clone(),
        });
        let queue = self.groups.entry(worker_group.to_owned()).or_default();
        queue.ready.push_back((self.sequence, key));
        queue.notify.notify_one();
    }

    /// Queues as a load from the state file found them: (sequence, worker
    /// group, attempt), in any order.
    pub(crate) fn restored(mut entries: Vec<(u64, String, AttemptKey)>) -> Self {
        entries.sort_by_key(|(sequence, ..)| *sequence);
        let mut queues = Self::default();
        for (sequence, worker_group, key) in entries {
            queues.sequence = queues.sequence.max(sequence);
            let queue = queues.groups.entry(worker_group).or_default();
            queue.ready.push_back((sequence, key));
        }
        queues
    }

    /// The changes since the last call, oldest first; clears the record.
    pub(crate) fn take_changes(&mut self) -> Vec<QueueChange> {
        std::mem::take(&mut self.changes)
    }

    /// Puts back changes whose write failed, ahead of any newer ones.
    pub(crate) fn restore_changes(&mut self, mut changes: Vec<QueueChange>) {
        changes.append(&mut self.changes);
        self.changes = changes;
    }

    /// Takes the oldest attempt of `worker_group`.
    pub(crate) fn pop(&mut self, worker_group: &str) -> Option<AttemptKey> {
        let queue = self.groups.get_mut(worker_group)?;
        let (sequence, key) = queue.ready.pop_front()?;
        self.changes.push(QueueChange::Popped { sequence });
        if !queue.ready.is_empty() {
            // Pass the wake-up on: a push wakes one poller, and other
            // pollers may be waiting for the rest of the queue.
            queue.notify.notify_one();
        }
        Some(key)
    }

    /// The notifier a poll of `worker_group` waits on.
    pub(crate) fn notifier(&mut self, worker_group: &str) -> Arc<Notify> {
        self.groups
            .entry(worker_group.to_owned())
            .or_default()
            .notify
            .clone()
    }
}
