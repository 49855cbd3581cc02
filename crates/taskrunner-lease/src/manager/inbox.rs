//! [`Inbox`]: how leases reach the driver and leave it, waking it only when
//! it has something to do sooner than it planned.
//!
//! A registration or a release sent through a channel wakes the driver
//! every time: two cross-thread wake-ups per task, each a context switch
//! (and, on a VM, an inter-processor interrupt) that costs more than the
//! driver's own work for the lease. Yet most of them change nothing the
//! driver must act on now: a lease acknowledged by its holder needs its
//! first routine report a minute later, and a released lease only needs to
//! be forgotten before the driver would report it.
//!
//! So holders leave arrivals and departures here, under one lock, and the
//! driver collects them every time it wakes, before it acts on anything. A
//! holder wakes the driver only when the driver is asleep and
//!
//! - an arrival needs attention before the instant the driver sleeps until
//!   (an acknowledgement still to send, a retry, or a driver with no timer
//!   at all), or
//! - the driver is draining, when every departure may be the last lease it
//!   waits for.
//!
//! The driver declares its sleep under the same lock after finding the inbox
//! empty, so an arrival is either collected or compared with a sleep the
//! driver really takes; a wake-up sent between the declaration and the wait
//! is kept by [`Notify`] as a permit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::driver::Binding;
use crate::lease::Lease;
use crate::queue::LeaseKey;

/// A registered lease the driver has not collected yet.
#[derive(Debug)]
pub(super) struct Arrival {
    /// Its state machine.
    pub(super) lease: Lease,
    /// Its I/O bindings.
    pub(super) binding: Binding,
}

/// The driver is gone: the inbox takes no more leases.
#[derive(Debug)]
pub(super) struct Closed;

/// What the driver collects when it wakes.
#[derive(Debug, Default)]
pub(super) struct Mail {
    /// Leases to add to the queue.
    pub(super) arrivals: Vec<(LeaseKey, Arrival)>,
    /// Leases to forget (released by their holders after the driver had
    /// collected them).
    pub(super) departures: Vec<LeaseKey>,
}

/// Where the driver stands, as holders must know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DriverState {
    /// Running: it collects the inbox before it sleeps again.
    Awake,
    /// Waiting until this instant (`None`: until told) unless woken.
    Asleep(Option<Instant>),
    /// Gone: nothing will collect arrivals any more.
    Stopped,
}

/// The inbox's contents, behind one lock.
#[derive(Debug)]
struct Contents {
    arrivals: HashMap<LeaseKey, Arrival>,
    departures: Vec<LeaseKey>,
    driver: DriverState,
    /// Set once the manager drains: departures then wake the driver.
    draining: bool,
}

/// Arrivals and departures on their way to the driver; see the module docs.
#[derive(Debug)]
pub(super) struct Inbox {
    contents: Mutex<Contents>,
    /// Wakes the driver.
    wake: Notify,
    /// Leases acknowledging or held: incremented on arrival, decremented by
    /// whoever moves a lease to a terminal state first.
    live: AtomicUsize,
}

impl Inbox {
    /// An empty inbox, the driver awake.
    pub(super) fn new() -> Self {
        Self {
            contents: Mutex::new(Contents {
                arrivals: HashMap::new(),
                departures: Vec::new(),
                driver: DriverState::Awake,
                draining: false,
            }),
            wake: Notify::new(),
            live: AtomicUsize::new(0),
        }
    }

    /// Hands a new lease to the driver, waking it if the lease needs
    /// attention before the driver would look. Refuses it when the driver is
    /// gone.
    pub(super) fn arrive(&self, key: LeaseKey, arrival: Arrival) -> Result<(), Closed> {
        let needed_at = arrival.lease.wakeup();
        let mut contents = self.contents.lock();
        if contents.driver == DriverState::Stopped {
            return Err(Closed);
        }
        contents.arrivals.insert(key, arrival);
        self.live.fetch_add(1, Ordering::Relaxed);
        let wake = match contents.driver {
            DriverState::Asleep(None) => true,
            DriverState::Asleep(Some(until)) => needed_at.is_some_and(|needed| needed < until),
            DriverState::Awake | DriverState::Stopped => false,
        };
        self.wake_if(wake, contents);
        Ok(())
    }

    /// The holder released lease `key`; `was_live` says whether the release
    /// ended it (rather than the driver, earlier).
    pub(super) fn depart(&self, key: LeaseKey, was_live: bool) {
        if was_live {
            self.lease_ended();
        }
        let mut contents = self.contents.lock();
        if contents.driver == DriverState::Stopped {
            return;
        }
        // A lease the driver never collected leaves no trace behind.
        if contents.arrivals.remove(&key).is_none() {
            contents.departures.push(key);
        }
        let wake = contents.draining && matches!(contents.driver, DriverState::Asleep(_));
        self.wake_if(wake, contents);
    }

    /// Marks the driver awake (so that holders need not wake it) and
    /// returns what arrived and departed since it last looked.
    pub(super) fn collect(&self) -> Mail {
        let mut contents = self.contents.lock();
        if contents.driver != DriverState::Stopped {
            contents.driver = DriverState::Awake;
        }
        Mail {
            arrivals: contents.arrivals.drain().collect(),
            departures: std::mem::take(&mut contents.departures),
        }
    }

    /// The driver means to sleep until `until` (`None`: until told). Returns
    /// `false`, declaring nothing, when mail arrived since it collected;
    /// then it must collect again first.
    pub(super) fn try_sleep(&self, until: Option<Instant>) -> bool {
        let mut contents = self.contents.lock();
        if !contents.arrivals.is_empty() || !contents.departures.is_empty() {
            return false;
        }
        contents.driver = DriverState::Asleep(until);
        true
    }

    /// Completes when a holder wakes the driver. Create it after
    /// [`Inbox::try_sleep`]; a wake-up sent in between is not lost.
    pub(super) fn woken(&self) -> Notified<'_> {
        self.wake.notified()
    }

    /// The manager is draining: from now on every departure wakes the
    /// driver.
    pub(super) fn start_draining(&self) {
        self.contents.lock().draining = true;
    }

    /// True once the driver is gone.
    pub(super) fn is_stopped(&self) -> bool {
        self.contents.lock().driver == DriverState::Stopped
    }

    /// True when leases wait to be collected.
    pub(super) fn has_arrivals(&self) -> bool {
        !self.contents.lock().arrivals.is_empty()
    }

    /// The driver stops: later arrivals are refused, and the leases that
    /// arrived but were never collected are returned to be ended.
    pub(super) fn close(&self) -> Vec<Arrival> {
        let mut contents = self.contents.lock();
        contents.driver = DriverState::Stopped;
        contents.departures.clear();
        contents
            .arrivals
            .drain()
            .map(|(_, arrival)| arrival)
            .collect()
    }

    /// A live lease ended (released, canceled, lost or expired).
    pub(super) fn lease_ended(&self) {
        // Saturating: a lease is counted down once, but a miscount must
        // never wrap to a huge number a poller would stop at.
        let _ = self
            .live
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |live| {
                Some(live.saturating_sub(1))
            });
    }

    /// Leases acknowledging or held.
    pub(super) fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Wakes the driver if `wake`, after letting go of the lock, and marks
    /// it awake so that the next holder does not wake it again.
    fn wake_if(&self, wake: bool, mut contents: parking_lot::MutexGuard<'_, Contents>) {
        if wake {
            contents.driver = DriverState::Awake;
        }
        drop(contents);
        if wake {
            self.wake.notify_one();
        }
    }
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
