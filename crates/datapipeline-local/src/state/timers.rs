//! The service's timers: one heap of deadlines, fired by a single driver
//! task.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use tokio::time::Instant;

/// What happens when a timer fires. Every handler re-checks the state it
/// acts on, so a timer whose reason went away (a lease that was reported,
/// an instance that was canceled) fires harmlessly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TimerEvent {
    /// A lease may have lapsed; re-armed if it was extended meanwhile.
    LeaseDeadline { task_id: Arc<str> },
    /// An attempt may have run past its `attemptTimeout`.
    AttemptTimeout {
        pipeline: Arc<str>,
        attempt: String,
        task_id: Arc<str>,
    },
    /// An instance's `retryDelay` is over.
    Retry {
        pipeline: Arc<str>,
        instance: String,
    },
    /// A scheduled component's next period may be due.
    Schedule {
        pipeline: Arc<str>,
        component: String,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    at: Instant,
    /// Breaks ties in insertion order, so equal deadlines fire first-in
    /// first-out.
    sequence: u64,
    event: TimerEvent,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.sequence) == (other.at, other.sequence)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.sequence).cmp(&(other.at, other.sequence))
    }
}

/// A change to the set of armed timers, kept for `--state` (see
/// [`crate::persist`]): the state file holds one row per armed timer.
#[derive(Debug, Clone)]
pub(crate) enum TimerChange {
    /// Timer `sequence` was armed for `at`.
    Armed {
        sequence: u64,
        at: Instant,
        event: TimerEvent,
    },
    /// Timer `sequence` fired (was taken from the heap).
    Fired { sequence: u64 },
}

/// A min-heap of timers.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    sequence: u64,
    /// Changes since the last [`Timers::take_changes`], oldest first.
    changes: Vec<TimerChange>,
}

impl Timers {
    /// Arms a timer.
    pub(crate) fn arm(&mut self, at: Instant, event: TimerEvent) {
        self.sequence += 1;
        self.changes.push(TimerChange::Armed {
            sequence: self.sequence,
            at,
            event: event.clone(),
        });
        self.heap.push(Reverse(Entry {
            at,
            sequence: self.sequence,
            event,
        }));
    }

    /// Timers as a load from the state file found them: (sequence, due,
    /// event). Later timers are numbered after the highest.
    pub(crate) fn restored(entries: Vec<(u64, Instant, TimerEvent)>) -> Self {
        let sequence = entries
            .iter()
            .map(|(sequence, ..)| *sequence)
            .max()
            .unwrap_or(0);
        let heap = entries
            .into_iter()
            .map(|(sequence, at, event)| {
                Reverse(Entry {
                    at,
                    sequence,
                    event,
                })
            })
            .collect();
        Self {
            heap,
            sequence,
            changes: Vec::new(),
        }
    }

    /// The changes since the last call, oldest first; clears the record.
    pub(crate) fn take_changes(&mut self) -> Vec<TimerChange> {
        std::mem::take(&mut self.changes)
    }

    /// Puts back changes whose write failed, ahead of any newer ones.
    pub(crate) fn restore_changes(&mut self, mut changes: Vec<TimerChange>) {
        changes.append(&mut self.changes);
        self.changes = changes;
    }

    /// Takes the earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerEvent> {
        if self
            .heap
            .peek()
            .is_some_and(|Reverse(entry)| entry.at <= now)
        {
            let Reverse(entry) = self.heap.pop()?;
            self.changes.push(TimerChange::Fired {
                sequence: entry.sequence,
            });
            Some(entry.event)
        } else {
            None
        }
    }

    /// When the next timer is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(entry)| entry.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn timers_fire_in_deadline_order_and_not_before() {
        let now = Instant::now();
        let mut timers = Timers::default();
        let event = |id: &str| TimerEvent::LeaseDeadline { task_id: id.into() };
        timers.arm(now + Duration::from_secs(2), event("b"));
        timers.arm(now + Duration::from_secs(1), event("a"));
        timers.arm(now + Duration::from_secs(2), event("c"));
        assert_eq!(timers.pop_due(now), None);
        assert_eq!(timers.next_due(), Some(now + Duration::from_secs(1)));
        let later = now + Duration::from_secs(5);
        let order: Vec<_> = std::iter::from_fn(|| timers.pop_due(later)).collect();
        assert_eq!(order, vec![event("a"), event("b"), event("c")]);
    }
}
