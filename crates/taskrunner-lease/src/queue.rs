//! The report queue: every lease of a process, and which report goes next.
//!
//! Sans-IO like the lease machine it drives. Two ordered indexes decide what
//! happens next:
//!
//! * `timers`, ordered by instant: when each lease next needs attention (its
//!   report falls due, or its deadline passes). The driver sleeps until the
//!   first entry.
//! * `ready`, ordered by *(priority, lease deadline)*: reports that are due
//!   and wait for a call-budget token. Whenever a token is granted the driver
//!   takes the first entry — acknowledgements first, then the routine report
//!   whose lease deadline is nearest (earliest-deadline-first).
//!
//! # Why earliest-deadline-first
//!
//! A report's *due time* is a wish (the 60 s cadence); its lease *deadline* is
//! a hard limit. When the budget has room, every report goes out when it is
//! due and the ready set stays near-empty, so the order does not matter and
//! the cadence is 60 s. When the budget is the constraint, due reports pile
//! up in `ready`, and the budget is spent on the lease closest to losing its
//! task: each lease is then reported just often enough to stay inside its
//! deadline. A fixed 60 s cadence caps a 10/s budget at 600 leases; EDF keeps
//! about `rate × (timeout − margin)` alive (8,700 with 15-minute timeouts),
//! and serves leases with short timeouts ahead of long ones, which ordering
//! by due time would not. Tokens are bound to a lease only when granted
//! (late binding), so a lease that became urgent while the driver waited
//! still goes first.
//!
//! Beyond that capacity some leases must expire. Expired leases leave the
//! queue at once, so the survivors keep their budget; acknowledgements of new
//! tasks still go first, which is why the poller must not take on more tasks
//! than the budget can keep (see `LeaseManager::lease_count`).

use std::collections::{BTreeSet, HashMap};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use taskrunner_api::ErrorClass;
use tokio::time::Instant;

use crate::lease::{Action, Lease, Phase, Priority};

/// Identifies a lease inside one manager; allocated in registration order.
pub(crate) type LeaseKey = u64;

/// One lease, its caller-defined payload, and where it is indexed.
#[derive(Debug)]
struct Entry<T> {
    /// The state machine.
    lease: Lease,
    /// Whatever the driver needs to perform I/O for the lease.
    payload: T,
    /// The key under which the lease sits in `timers`, if any.
    timer: Option<Instant>,
    /// The key under which the lease sits in `ready`, if any.
    ready: Option<(Priority, Instant)>,
}

/// All leases of a manager, indexed for the driver. See the module docs.
#[derive(Debug)]
pub(crate) struct ReportQueue<T> {
    /// Every registered lease that has not been removed.
    entries: HashMap<LeaseKey, Entry<T>>,
    /// `(wakeup, key)`: when each live lease next needs `on_timer`.
    timers: BTreeSet<(Instant, LeaseKey)>,
    /// `(priority, deadline, key)`: reports due and waiting for a token. The
    /// key breaks ties in registration order.
    ready: BTreeSet<(Priority, Instant, LeaseKey)>,
    /// Source of the jitter samples handed to the lease machines.
    random: SmallRng,
}

impl<T> ReportQueue<T> {
    /// An empty queue; `seed` makes the jitter repeatable.
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Self {
            entries: HashMap::new(),
            timers: BTreeSet::new(),
            ready: BTreeSet::new(),
            random: match seed {
                Some(seed) => SmallRng::seed_from_u64(seed),
                None => SmallRng::from_os_rng(),
            },
        }
    }

    /// Number of leases in the queue (live, or ended but not yet removed).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the queue holds no lease.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The payload of lease `key`.
    pub(crate) fn payload(&self, key: LeaseKey) -> Option<&T> {
        self.entries.get(&key).map(|entry| &entry.payload)
    }

    /// The first instant at which [`ReportQueue::advance`] has work.
    pub(crate) fn next_wakeup(&self) -> Option<Instant> {
        self.timers.first().map(|(instant, _)| *instant)
    }

    /// True when a report waits for a budget token.
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Adds a lease (as returned by `Lease::new` at `now`).
    pub(crate) fn insert(&mut self, key: LeaseKey, lease: Lease, payload: T, now: Instant) {
        let entry = Entry {
            lease,
            payload,
            timer: None,
            ready: None,
        };
        self.entries.insert(key, entry);
        // A new lease's acknowledgement is due at once: make it ready now
        // rather than on the next timer pass.
        self.touch(key, now);
    }

    /// Forgets lease `key` (released, or ended and applied by the driver).
    pub(crate) fn remove(&mut self, key: LeaseKey) -> Option<T> {
        let entry = self.entries.remove(&key)?;
        if let Some(instant) = entry.timer {
            self.timers.remove(&(instant, key));
        }
        if let Some((priority, deadline)) = entry.ready {
            self.ready.remove(&(priority, deadline, key));
        }
        Some(entry.payload)
    }

    /// Empties the queue, returning every payload (for a driver that stops).
    pub(crate) fn take_all(&mut self) -> Vec<T> {
        self.timers.clear();
        self.ready.clear();
        self.entries
            .drain()
            .map(|(_, entry)| entry.payload)
            .collect()
    }

    /// Processes every timer up to `now`: due reports become ready, leases
    /// past their deadline expire. Returns the actions for the driver.
    pub(crate) fn advance(&mut self, now: Instant) -> Vec<(LeaseKey, Action)> {
        let mut actions = Vec::new();
        while let Some(&(instant, key)) = self.timers.first() {
            if instant > now {
                break;
            }
            actions.extend(self.touch(key, now).into_iter().map(|action| (key, action)));
        }
        actions
    }

    /// Takes the most urgent ready report and marks it sent at `now`.
    pub(crate) fn pop_ready(&mut self, now: Instant) -> Option<(LeaseKey, Priority, &T)> {
        let (priority, _, key) = self.ready.pop_first()?;
        let entry = self.entries.get_mut(&key)?;
        entry.ready = None;
        entry.lease.on_sent(now);
        self.reindex(key);
        let entry = self.entries.get(&key)?;
        Some((key, priority, &entry.payload))
    }

    /// The service answered the report of lease `key`: `Ok(canceled)` or the
    /// class of the error. Unknown keys (released meanwhile) are ignored.
    pub(crate) fn complete(
        &mut self,
        key: LeaseKey,
        answer: Result<bool, ErrorClass>,
        now: Instant,
    ) -> Vec<(LeaseKey, Action)> {
        let unit = self.random.random::<f64>();
        let Some(entry) = self.entries.get_mut(&key) else {
            return Vec::new();
        };
        let mut actions = match answer {
            Ok(canceled) => entry.lease.on_report_accepted(canceled, now, unit),
            Err(class) => entry.lease.on_report_failed(class, now, unit),
        };
        // A retry or a routine report may already be due.
        actions.extend(self.touch(key, now));
        actions.into_iter().map(|action| (key, action)).collect()
    }

    /// The handler of lease `key` asked for an early report.
    pub(crate) fn request_report(
        &mut self,
        key: LeaseKey,
        now: Instant,
    ) -> Vec<(LeaseKey, Action)> {
        let Some(entry) = self.entries.get_mut(&key) else {
            return Vec::new();
        };
        let mut actions = entry.lease.on_report_requested(now);
        actions.extend(self.touch(key, now));
        actions.into_iter().map(|action| (key, action)).collect()
    }

    /// Runs the lease's timer at `now` and re-indexes it.
    fn touch(&mut self, key: LeaseKey, now: Instant) -> Vec<Action> {
        let actions = match self.entries.get_mut(&key) {
            Some(entry) => entry.lease.on_timer(now),
            None => return Vec::new(),
        };
        self.reindex(key);
        actions
    }

    /// Puts lease `key` in the indexes its machine's phase calls for.
    fn reindex(&mut self, key: LeaseKey) {
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        let timer = entry.lease.wakeup();
        if entry.timer != timer {
            if let Some(old) = entry.timer {
                self.timers.remove(&(old, key));
            }
            if let Some(new) = timer {
                self.timers.insert((new, key));
            }
            entry.timer = timer;
        }
        let ready = match entry.lease.phase() {
            Phase::Ready { priority } => Some((priority, entry.lease.deadline())),
            _ => None,
        };
        if entry.ready != ready {
            if let Some((priority, deadline)) = entry.ready {
                self.ready.remove(&(priority, deadline, key));
            }
            if let Some((priority, deadline)) = ready {
                self.ready.insert((priority, deadline, key));
            }
            entry.ready = ready;
        }
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
