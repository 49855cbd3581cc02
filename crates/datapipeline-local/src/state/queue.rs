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
    ready: VecDeque<AttemptKey>,
    /// Wakes one long-poll of this group when an attempt is pushed.
    notify: Arc<Notify>,
}

/// The queues of every worker group.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    groups: HashMap<String, WorkerQueue>,
}

impl Queues {
    /// Queues `key` for `worker_group` and wakes one waiting poll.
    pub(crate) fn push(&mut self, worker_group: &str, key: AttemptKey) {
        let queue = self.groups.entry(worker_group.to_owned()).or_default();
        queue.ready.push_back(key);
        queue.notify.notify_one();
    }

    /// Takes the oldest attempt of `worker_group`.
    pub(crate) fn pop(&mut self, worker_group: &str) -> Option<AttemptKey> {
        let queue = self.groups.get_mut(worker_group)?;
        let key = queue.ready.pop_front();
        if key.is_some() && !queue.ready.is_empty() {
            // Pass the wake-up on: a push wakes one poller, and other
            // pollers may be waiting for the rest of the queue.
            queue.notify.notify_one();
        }
        key
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
