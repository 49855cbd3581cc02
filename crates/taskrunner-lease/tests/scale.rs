//! Thousands of leases on the documented call budget (ReportTaskProgress
//! 10/s, burst 100), with paused tokio time.
//!
//! A fixed 60 s cadence fits at most 600 leases in 10 calls a second. The
//! earliest-deadline-first schedule stretches each lease's interval towards
//! its deadline instead, so thousands of 15-minute leases stay alive.

use crate::support;

use std::collections::VecDeque;
use std::time::Duration;

use taskrunner_api::{Cancellation, ProgressSink};
use taskrunner_lease::{LeaseHandle, LeaseState, LeaseVerdict};
use tokio::time::{sleep, Instant};

use support::{
    busiest_second, config, gaps, manager, task, times_by_task, ScriptedService, MINUTE, SECOND,
};

/// ReportTaskProgress rate + burst: no one-second window may see more calls.
const MOST_CALLS_PER_SECOND: usize = 10 + 100;
/// Tasks arrive no faster than the PollForTask quota hands them out.
const ARRIVAL_GAP: Duration = Duration::from_millis(500);

#[tokio::test(start_paused = true)]
async fn ten_thousand_leases_at_once_never_exceed_the_budget() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let start = Instant::now();
    let leases: Vec<_> = (0..10_000)
        .map(|index| {
            let cancellation = Cancellation::new();
            let lease = manager
                .acquire(
                    &task(&format!("Flood{index}"), None),
                    cancellation.clone(),
                    ProgressSink::new(),
                )
                .unwrap();
            (lease, cancellation)
        })
        .collect();
    sleep(60 * MINUTE).await;

    let calls = service.calls();
    assert!(busiest_second(&calls) <= MOST_CALLS_PER_SECOND);
    assert!(calls.len() <= 100 + 10 * 3600, "{}", calls.len());

    // Far more acknowledgements than the budget can send in the 90 s window:
    // the first ~1,000 are held, the rest expire unacknowledged (and never
    // run), and the held ones stay alive for the whole hour because expired
    // leases stop competing for the budget.
    let held = leases
        .iter()
        .filter(|(lease, _)| lease.state() == LeaseState::Held)
        .count();
    let expired = leases
        .iter()
        .filter(|(lease, _)| lease.state() == LeaseState::Expired)
        .count();
    assert_eq!(held + expired, 10_000);
    assert!((950..=1_001).contains(&held), "{held}");
    for (lease, cancellation) in &leases {
        assert_eq!(
            cancellation.is_cancelled(),
            lease.state() == LeaseState::Expired
        );
    }
    assert!(Instant::now() - start >= 60 * MINUTE);
}

#[tokio::test(start_paused = true)]
async fn three_thousand_leases_survive_where_a_sixty_second_cadence_would_not_fit() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let start = Instant::now();
    let mut leases = Vec::new();
    for index in 0..3_000 {
        let cancellation = Cancellation::new();
        let task = task(&format!("Held{index}"), None);
        let lease = manager
            .acquire(&task, cancellation.clone(), ProgressSink::new())
            .unwrap();
        leases.push((task, lease, cancellation));
        sleep(ARRIVAL_GAP).await;
    }
    // 25 minutes of arrivals, then an hour with all 3,000 held.
    sleep(60 * MINUTE).await;

    let calls = service.calls();
    assert!(busiest_second(&calls) <= MOST_CALLS_PER_SECOND);
    let elapsed = (Instant::now() - start).as_secs() as usize;
    assert!(calls.len() <= 100 + 10 * elapsed, "{}", calls.len());
    // In the last hour a 60 s cadence would have needed 3,000 × 60 reports
    // (50 a second); the budget allowed at most a fifth of that.
    let hour_ago = Instant::now() - 60 * MINUTE;
    let last_hour = calls.iter().filter(|call| call.at >= hour_ago).count();
    assert!(last_hour * 5 <= 3_000 * 60, "{last_hour}");

    let by_task = times_by_task(&calls);
    let mut longest_gap = Duration::ZERO;
    for (task, lease, cancellation) in &leases {
        assert!(!cancellation.is_cancelled(), "{:?}", cancellation.reason());
        let times = &by_task[&task.task_id];
        let last = *times.last().unwrap();
        // Still alive now: the last report keeps the lease past this moment.
        assert!(Instant::now() - last < 870 * SECOND);
        longest_gap = gaps(times).into_iter().fold(longest_gap, Duration::max);
        assert_eq!(lease.state(), LeaseState::Held);
    }
    // Stretched well beyond 60 s, yet inside the 870 s lease window.
    assert!(longest_gap > 240 * SECOND, "{longest_gap:?}");
    assert!(longest_gap < 870 * SECOND, "{longest_gap:?}");
    for (_, lease, _) in leases {
        assert_eq!(lease.release(), LeaseVerdict::Held);
    }
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_leases_churning_through_a_busy_runner_never_expire() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    // Each task runs 25 minutes: with arrivals at 2/s about 3,000 leases are
    // live at once, for well over an hour.
    let run_time = 25 * MINUTE;
    let mut running: VecDeque<(Instant, LeaseHandle)> = VecDeque::new();
    let mut cancellations = Vec::new();
    let mut registered = Vec::new();
    let mut most_live = 0;
    for index in 0..10_000 {
        let now = Instant::now();
        while running
            .front()
            .is_some_and(|(finish_at, _)| *finish_at <= now)
        {
            let (_, lease) = running.pop_front().unwrap();
            assert_eq!(lease.release(), LeaseVerdict::Held);
        }
        let cancellation = Cancellation::new();
        let task = task(&format!("Churn{index}"), None);
        let lease = manager
            .acquire(&task, cancellation.clone(), ProgressSink::new())
            .unwrap();
        cancellations.push(cancellation);
        registered.push((task.task_id, now));
        running.push_back((now + run_time, lease));
        most_live = most_live.max(manager.lease_count());
        sleep(ARRIVAL_GAP).await;
    }
    sleep(run_time).await;
    for (_, lease) in running {
        assert_eq!(lease.release(), LeaseVerdict::Held);
    }

    assert!(most_live >= 2_900, "{most_live}");
    assert!(cancellations.iter().all(|cancel| !cancel.is_cancelled()));
    let calls = service.calls();
    assert!(busiest_second(&calls) <= MOST_CALLS_PER_SECOND);
    // Acknowledgements go first, so they are never held up by the backlog
    // of routine reports.
    let by_task = times_by_task(&calls);
    let slowest_acknowledgement = registered
        .iter()
        .map(|(task_id, at)| by_task[task_id][0] - *at)
        .max()
        .unwrap();
    assert!(
        slowest_acknowledgement <= SECOND,
        "{slowest_acknowledgement:?}"
    );
}
