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

#[derive(Debug)]
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

/// A min-heap of timers.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    sequence: u64,
}

impl Timers {
    /// Arms a timer.
    pub(crate) fn arm(&mut self, at: Instant, event: TimerEvent) {
        self.sequence += 1;
        self.heap.push(Reverse(Entry {
            at,
            sequence: self.sequence,
            event,
        }));
    }

    /// Takes the earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerEvent> {
        if self
            .heap
            .peek()
            .is_some_and(|Reverse(entry)| entry.at <= now)
        {
            self.heap.pop().map(|Reverse(entry)| entry.event)
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
