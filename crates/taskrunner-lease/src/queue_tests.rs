//! Unit tests of the report queue, and a runtime-free simulation of the
//! earliest-deadline-first schedule under a saturated budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use taskrunner_api::{CancelReason, ErrorClass};
use tokio::time::Instant;

use super::*;
use crate::lease::{LeaseState, LeaseTiming};
use crate::LeaseConfig;
use taskrunner_api::{CallBudget, Operation, Quota};

const SECOND: Duration = Duration::from_secs(1);

fn lease(report_timeout: Duration, now: Instant) -> Lease {
    let config = LeaseConfig::default();
    Lease::new(Arc::new(LeaseTiming::new(&config, report_timeout)), now)
}

fn queue() -> ReportQueue<&'static str> {
    ReportQueue::new(Some(7))
}

#[test]
fn acknowledgements_go_before_routine_reports_with_nearer_deadlines() {
    let start = Instant::now();
    let mut queue = queue();
    // Lease 1 is held and its routine report is due at 60 s.
    queue.insert(1, lease(900 * SECOND, start), "held", start);
    let (key, priority, _) = queue.pop_ready(start).unwrap();
    assert_eq!((key, priority), (1, Priority::Acknowledgement));
    queue.complete(1, Ok(false), start);
    let later = start + 70 * SECOND;
    queue.advance(later);
    // Lease 2 arrives later, with a later deadline, but it is unacknowledged.
    queue.insert(2, lease(900 * SECOND, later), "new", later);
    let order: Vec<_> =
        std::iter::from_fn(|| queue.pop_ready(later).map(|(key, ..)| key)).collect();
    assert_eq!(order, vec![2, 1]);
}

#[test]
fn routine_reports_go_earliest_deadline_first_not_earliest_due_first() {
    let start = Instant::now();
    let mut queue = queue();
    // Lease 1: 15-minute timeout, acknowledged first.
    // Lease 2: 2-minute timeout, acknowledged 30 s later. Its routine report
    // falls due later (66–70 s against 54–66 s), but its deadline (120 s)
    // is far nearer than lease 1's (870 s).
    queue.insert(1, lease(900 * SECOND, start), "long", start);
    queue.pop_ready(start).unwrap();
    queue.complete(1, Ok(false), start);
    let second = start + 30 * SECOND;
    queue.insert(2, lease(120 * SECOND, second), "short", second);
    queue.pop_ready(second).unwrap();
    queue.complete(2, Ok(false), second);
    // At 80 s both are due; the budget has been exhausted, so both wait.
    let both_due = start + 80 * SECOND;
    queue.advance(both_due);
    let order: Vec<_> =
        std::iter::from_fn(|| queue.pop_ready(both_due).map(|(key, ..)| key)).collect();
    assert_eq!(order, vec![2, 1]);
}

#[test]
fn released_leases_leave_every_index() {
    let start = Instant::now();
    let mut queue = queue();
    queue.insert(1, lease(900 * SECOND, start), "one", start);
    assert!(queue.has_ready());
    assert_eq!(queue.remove(1), Some("one"));
    assert!(!queue.has_ready());
    assert_eq!(queue.next_wakeup(), None);
    assert!(queue.is_empty());
    // An answer for a released lease is ignored.
    assert!(queue.complete(1, Ok(false), start).is_empty());
}

#[test]
fn a_lease_waiting_for_a_token_expires_at_its_deadline() {
    let start = Instant::now();
    let mut queue = queue();
    queue.insert(1, lease(900 * SECOND, start), "starved", start);
    assert_eq!(queue.next_wakeup(), Some(start + 90 * SECOND));
    let actions = queue.advance(start + 90 * SECOND);
    assert_eq!(
        actions,
        vec![(
            1,
            Action::End {
                state: LeaseState::Expired,
                reason: CancelReason::LeaseExpired
            }
        )]
    );
    assert!(!queue.has_ready());
}

#[test]
fn a_failed_report_is_retried_after_its_backoff() {
    let start = Instant::now();
    let mut queue = queue();
    queue.insert(1, lease(900 * SECOND, start), "flaky", start);
    queue.pop_ready(start).unwrap();
    let actions = queue.complete(1, Err(ErrorClass::Transient), start);
    let [(1, Action::SendReport { due, .. })] = actions.as_slice() else {
        panic!("{actions:?}");
    };
    assert!(!queue.has_ready());
    assert_eq!(queue.next_wakeup(), Some(*due));
    queue.advance(*due);
    assert!(queue.has_ready());
}

/// A runtime-free model of the driver: an instant-answering service, a token
/// bucket, tasks arriving at the PollForTask rate. Returns (expired leases,
/// largest gap between accepted reports of one lease, reports sent).
fn simulate(
    timeouts: &[Duration],
    arrivals_per_second: f64,
    horizon: Duration,
) -> (usize, Duration, usize) {
    let start = Instant::now();
    let mut queue: ReportQueue<()> = ReportQueue::new(Some(11));
    let quota = Quota::new(10.0, 100).unwrap();
    let budget = CallBudget::new([(Operation::ReportTaskProgress, quota)]);
    let mut last_accepted: HashMap<LeaseKey, Instant> = HashMap::new();
    let (mut expired, mut largest_gap, mut sent) = (0, Duration::ZERO, 0);
    let arrival_gap = Duration::from_secs_f64(1.0 / arrivals_per_second);
    let mut next_arrival = (0usize, start);
    let mut now = start;
    while now < start + horizon {
        if next_arrival.0 < timeouts.len() && next_arrival.1 <= now {
            let key = next_arrival.0 as LeaseKey;
            queue.insert(key, lease(timeouts[next_arrival.0], now), (), now);
            last_accepted.insert(key, now);
            next_arrival = (next_arrival.0 + 1, next_arrival.1 + arrival_gap);
        }
        for (key, action) in queue.advance(now) {
            if let Action::End { .. } = action {
                expired += 1;
                queue.remove(key);
            }
        }
        while queue.has_ready() && budget.try_acquire_at(Operation::ReportTaskProgress, now) {
            let (key, ..) = queue.pop_ready(now).unwrap();
            sent += 1;
            let previous = last_accepted.insert(key, now).unwrap();
            largest_gap = largest_gap.max(now - previous);
            queue.complete(key, Ok(false), now);
        }
        let mut next = now + Duration::from_millis(100);
        if !queue.has_ready() {
            next = queue.next_wakeup().unwrap_or(next).max(now);
            if next_arrival.0 < timeouts.len() {
                next = next.min(next_arrival.1);
            }
            next = next.max(now + Duration::from_millis(1));
        }
        now = next;
    }
    (expired, largest_gap, sent)
}

#[test]
fn edf_keeps_five_thousand_fifteen_minute_leases_alive_on_ten_calls_a_second() {
    let timeouts = vec![900 * SECOND; 5_000];
    let (expired, largest_gap, sent) = simulate(&timeouts, 2.0, 2 * 3600 * SECOND);
    assert_eq!(expired, 0);
    // Far beyond the 60 s cadence (which would need 83 calls a second), yet
    // inside the 870 s lease window.
    assert!(largest_gap > 300 * SECOND, "{largest_gap:?}");
    assert!(largest_gap < 870 * SECOND, "{largest_gap:?}");
    assert!(sent <= 100 + 10 * 2 * 3600, "{sent}");
}

#[test]
fn edf_serves_short_timeouts_ahead_of_long_ones_under_pressure() {
    // Every tenth lease has a 5-minute timeout (a 270 s window, reports
    // every 60 s ± jitter below its 100 s ceiling); the rest 15 minutes.
    let timeouts: Vec<_> = (0..4_000)
        .map(|index| {
            if index % 10 == 0 {
                300 * SECOND
            } else {
                900 * SECOND
            }
        })
        .collect();
    let (expired, _, _) = simulate(&timeouts, 2.0, 3600 * SECOND);
    assert_eq!(expired, 0);
}
