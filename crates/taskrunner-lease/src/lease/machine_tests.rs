//! Unit tests of the lease state machine: no runtime, no I/O, synthetic time.

use std::sync::Arc;
use std::time::Duration;

use taskrunner_api::{CancelReason, ErrorClass, LeaseGone};
use tokio::time::Instant;

use super::*;
use crate::LeaseConfig;

const SECOND: Duration = Duration::from_secs(1);

fn fifteen_minute_lease(now: Instant) -> Lease {
    let timing = LeaseTiming::new(&LeaseConfig::default(), Duration::from_secs(15 * 60));
    Lease::new(Arc::new(timing), now)
}

/// Moves a lease whose report is due at `now` through timer and send.
fn send(lease: &mut Lease, now: Instant) {
    assert!(lease.on_timer(now).is_empty());
    assert!(matches!(lease.phase(), Phase::Ready { .. }), "{lease:?}");
    lease.on_sent(now);
}

#[test]
fn a_new_lease_asks_for_its_acknowledgement_at_once() {
    let now = Instant::now();
    let timing = LeaseTiming::new(&LeaseConfig::default(), Duration::from_secs(900));
    let lease = Lease::new(Arc::new(timing), now);
    assert_eq!(lease.state(), LeaseState::Acknowledging);
    // Two minutes minus the 30 s margin.
    assert_eq!(lease.deadline(), now + 90 * SECOND);
    assert_eq!(
        lease.phase(),
        Phase::Scheduled {
            priority: Priority::Acknowledgement,
            due: now
        }
    );
    assert_eq!(lease.wakeup(), Some(now));
}

#[test]
fn accepted_acknowledgement_holds_the_lease_and_schedules_a_routine_report() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    send(&mut lease, start);
    let answered = start + 2 * SECOND;
    let actions = lease.on_report_accepted(false, answered, 0.5);
    assert_eq!(lease.state(), LeaseState::Held);
    // The deadline counts from the send time, not the answer.
    let deadline = start + 870 * SECOND;
    assert_eq!(
        actions,
        vec![
            Action::DeadlineMoved(deadline),
            Action::Acknowledged {
                latency: 2 * SECOND
            },
            Action::SendReport {
                priority: Priority::Routine,
                due: answered + 60 * SECOND
            },
        ]
    );
    assert_eq!(lease.deadline(), deadline);
}

#[test]
fn canceled_answer_ends_the_lease() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    send(&mut lease, start);
    let actions = lease.on_report_accepted(true, start, 0.5);
    assert_eq!(
        actions,
        vec![Action::End {
            state: LeaseState::Canceled,
            reason: CancelReason::CanceledByService
        }]
    );
    assert_eq!(lease.wakeup(), None);
    // Nothing more happens to an ended lease.
    assert!(lease.on_timer(start + 3600 * SECOND).is_empty());
}

#[test]
fn lease_gone_ends_the_lease_as_lost() {
    for kind in [
        LeaseGone::TaskNotFound,
        LeaseGone::PipelineNotFound,
        LeaseGone::PipelineDeleted,
    ] {
        let start = Instant::now();
        let mut lease = fifteen_minute_lease(start);
        send(&mut lease, start);
        let actions = lease.on_report_failed(ErrorClass::LeaseGone(kind), start, 0.5);
        assert_eq!(
            actions,
            vec![Action::End {
                state: LeaseState::Lost(kind),
                reason: CancelReason::LeaseLost(kind)
            }]
        );
    }
}

#[test]
fn failures_back_off_and_keep_the_priority_they_were_sent_with() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    send(&mut lease, start);
    let actions = lease.on_report_failed(ErrorClass::Transient, start, 1.0);
    assert_eq!(
        actions,
        vec![Action::SendReport {
            priority: Priority::Acknowledgement,
            due: start + SECOND
        }]
    );
    send(&mut lease, start + SECOND);
    let actions = lease.on_report_failed(ErrorClass::Throttled, start + SECOND, 1.0);
    assert_eq!(
        actions,
        vec![Action::SendReport {
            priority: Priority::Acknowledgement,
            due: start + 3 * SECOND
        }]
    );
    // Success resets the backoff.
    send(&mut lease, start + 3 * SECOND);
    lease.on_report_accepted(false, start + 3 * SECOND, 0.5);
    assert_eq!(lease.failures, 0);
}

#[test]
fn retries_never_wait_past_half_the_remaining_window() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    let mut now = start;
    let mut attempts = 0;
    loop {
        let actions = lease.on_timer(now);
        if let [Action::End { state, reason }] = actions.as_slice() {
            assert_eq!(*state, LeaseState::Expired);
            assert_eq!(*reason, CancelReason::LeaseExpired);
            break;
        }
        lease.on_sent(now);
        attempts += 1;
        let actions = lease.on_report_failed(ErrorClass::Transient, now, 1.0);
        let [Action::SendReport { due, .. }] = actions.as_slice() else {
            panic!("expected a retry, got {actions:?}");
        };
        let remaining = lease.deadline() - now;
        assert!(*due - now <= (remaining / 2).max(SECOND / 2), "{due:?}");
        now = lease.wakeup().expect("a live lease has a wakeup");
    }
    // The acknowledgement window (90 s) sees many attempts, the last one close
    // to the deadline, and the lease expires exactly at the deadline.
    assert!(attempts >= 8, "{attempts}");
    assert_eq!(now, start + 90 * SECOND);
}

#[test]
fn invalid_request_is_retried_like_a_transient_error() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    send(&mut lease, start);
    let actions = lease.on_report_failed(ErrorClass::InvalidRequest, start, 0.0);
    assert!(matches!(actions.as_slice(), [Action::SendReport { .. }]));
    assert_eq!(lease.state(), LeaseState::Acknowledging);
}

#[test]
fn deadline_expires_a_report_in_flight_and_ignores_its_late_answer() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    send(&mut lease, start);
    assert_eq!(lease.wakeup(), Some(start + 90 * SECOND));
    let actions = lease.on_timer(start + 90 * SECOND);
    assert_eq!(
        actions,
        vec![Action::End {
            state: LeaseState::Expired,
            reason: CancelReason::LeaseExpired
        }]
    );
    assert!(lease
        .on_report_accepted(false, start + 91 * SECOND, 0.5)
        .is_empty());
    assert_eq!(lease.state(), LeaseState::Expired);
}

#[test]
fn a_due_report_waits_in_ready_until_sent() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    send(&mut lease, start);
    lease.on_report_accepted(false, start, 0.5);
    // Not due yet: nothing changes.
    assert!(lease.on_timer(start + 30 * SECOND).is_empty());
    assert!(matches!(lease.phase(), Phase::Scheduled { .. }));
    // Due: ready, and the next wakeup is the deadline.
    assert!(lease.on_timer(start + 60 * SECOND).is_empty());
    assert_eq!(
        lease.phase(),
        Phase::Ready {
            priority: Priority::Routine
        }
    );
    assert_eq!(lease.wakeup(), Some(start + 870 * SECOND));
}

#[test]
fn an_early_report_request_moves_a_routine_report_forward_but_not_too_close() {
    let start = Instant::now();
    let mut lease = fifteen_minute_lease(start);
    // Before the acknowledgement is accepted a request changes nothing.
    assert!(lease.on_report_requested(start).is_empty());
    send(&mut lease, start);
    lease.on_report_accepted(false, start, 0.5);
    // Asked 1 s after the report: spaced to 5 s after it.
    assert_eq!(
        lease.on_report_requested(start + SECOND),
        vec![Action::SendReport {
            priority: Priority::Routine,
            due: start + 5 * SECOND
        }]
    );
    // Asked again later: now.
    assert_eq!(
        lease.on_report_requested(start + 2 * SECOND),
        Vec::new(),
        "already due earlier"
    );
    lease.on_timer(start + 5 * SECOND);
    assert!(matches!(lease.phase(), Phase::Ready { .. }));
    assert!(lease.on_report_requested(start + 5 * SECOND).is_empty());
}
