//! When a holder wakes the driver, and when it leaves it asleep.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use taskrunner_api::{Cancellation, ProgressSink, TaskId};
use tokio::time::Instant;

use super::*;
use crate::lease::LeaseTiming;
use crate::manager::handle::LeaseShared;
use crate::{LeaseConfig, LeaseState};

const SECOND: Duration = Duration::from_secs(1);

/// A lease registered at `now`, its acknowledgement due at once.
fn acknowledging(now: Instant) -> Arrival {
    let timing = LeaseTiming::new(&LeaseConfig::default(), Duration::from_secs(900));
    let lease = Lease::new(Arc::new(timing), now);
    let binding = Binding {
        task_id: TaskId::new("task"),
        cancellation: Cancellation::new(),
        progress: ProgressSink::new(),
        shared: Arc::new(LeaseShared::new(
            LeaseState::Acknowledging,
            lease.deadline(),
        )),
    };
    Arrival { lease, binding }
}

/// A lease its holder acknowledged at `now`: next needed about a minute on.
fn held(now: Instant) -> Arrival {
    let mut arrival = acknowledging(now);
    arrival.lease.on_timer(now);
    arrival.lease.on_sent(now);
    arrival.lease.on_report_accepted(false, now, 0.5);
    arrival
}

fn woken(inbox: &Inbox) -> bool {
    inbox.woken().now_or_never().is_some()
}

#[test]
fn an_awake_driver_is_never_woken() {
    let now = Instant::now();
    let inbox = Inbox::new();
    inbox.arrive(1, acknowledging(now)).unwrap();
    inbox.depart(1, true);
    assert!(!woken(&inbox));
    assert!(
        inbox.collect().arrivals.is_empty(),
        "released before collected"
    );
    assert_eq!(inbox.live(), 0);
}

#[test]
fn an_acknowledgement_to_send_wakes_a_sleeping_driver() {
    let now = Instant::now();
    let inbox = Inbox::new();
    assert!(inbox.try_sleep(Some(now + 30 * SECOND)));
    inbox.arrive(1, acknowledging(now)).unwrap();
    assert!(woken(&inbox));
    // Marked awake: the next holder does not wake it again.
    inbox.arrive(2, acknowledging(now)).unwrap();
    assert!(!woken(&inbox));
    assert_eq!(inbox.collect().arrivals.len(), 2);
    assert_eq!(inbox.live(), 2);
}

#[test]
fn a_held_lease_wakes_the_driver_only_if_needed_before_its_own_timer() {
    let now = Instant::now();
    let inbox = Inbox::new();
    // The driver will look again in 10 s, well before the held lease's
    // first routine report: no wake-up.
    assert!(inbox.try_sleep(Some(now + 10 * SECOND)));
    inbox.arrive(1, held(now)).unwrap();
    assert!(!woken(&inbox));
    // Not before the driver collects what it has.
    assert!(!inbox.try_sleep(Some(now + 10 * SECOND)));
    assert_eq!(inbox.collect().arrivals.len(), 1);

    // A driver sleeping beyond it, or with no timer at all, is woken.
    assert!(inbox.try_sleep(Some(now + 3_600 * SECOND)));
    inbox.arrive(2, held(now)).unwrap();
    assert!(woken(&inbox));
    inbox.collect();
    assert!(inbox.try_sleep(None));
    inbox.arrive(3, held(now)).unwrap();
    assert!(woken(&inbox));
}

#[test]
fn departures_wake_the_driver_only_while_it_drains() {
    let now = Instant::now();
    let inbox = Inbox::new();
    inbox.arrive(1, held(now)).unwrap();
    inbox.arrive(2, held(now)).unwrap();
    inbox.collect();
    assert!(inbox.try_sleep(Some(now + 10 * SECOND)));
    inbox.depart(1, true);
    assert!(!woken(&inbox));
    assert_eq!(inbox.collect().departures, vec![1]);

    inbox.start_draining();
    assert!(inbox.try_sleep(Some(now + 10 * SECOND)));
    inbox.depart(2, true);
    assert!(woken(&inbox));
    assert_eq!(inbox.live(), 0);
}

#[test]
fn a_closed_inbox_refuses_arrivals_and_hands_back_the_uncollected() {
    let now = Instant::now();
    let inbox = Inbox::new();
    inbox.arrive(1, held(now)).unwrap();
    assert_eq!(inbox.close().len(), 1);
    assert!(inbox.is_stopped());
    assert!(inbox.arrive(2, held(now)).is_err());
    // A release after the driver stopped is harmless.
    inbox.depart(1, false);
}
