//! Behaviour of the lease manager against a scripted in-process service,
//! with paused tokio time.

use crate::support;

use taskrunner_api::{
    CallBudget, CancelReason, Cancellation, ErrorClass, Field, LeaseGone, ProgressSink,
};
use taskrunner_lease::{AcquireError, LeaseConfig, LeaseState, LeaseVerdict};
use tokio::time::{sleep, timeout, Instant};

use support::{config, gaps, manager, task, Reply, ScriptedService, MINUTE, SECOND};

#[tokio::test(start_paused = true)]
async fn acknowledgement_is_sent_before_acknowledged_resolves() {
    let service = ScriptedService::new();
    service.set_latency(2 * SECOND);
    let manager = manager(&service, config());
    let task = task("Ack", None);
    let start = Instant::now();
    let lease = manager
        .acquire(&task, Cancellation::new(), ProgressSink::new())
        .unwrap();
    assert_eq!(lease.state(), LeaseState::Acknowledging);

    // The call is out at once, but not answered yet: the handler must wait.
    assert!(timeout(SECOND, lease.acknowledged()).await.is_err());
    assert_eq!(service.call_times(&task.task_id), vec![start]);
    assert_eq!(lease.state(), LeaseState::Acknowledging);

    lease.acknowledged().await.unwrap();
    assert_eq!(Instant::now(), start + 2 * SECOND);
    assert_eq!(lease.state(), LeaseState::Held);
    // The deadline counts from the acknowledgement's send time.
    assert_eq!(
        lease.deadline().current(),
        Some(start + 15 * MINUTE - 30 * SECOND)
    );
    assert_eq!(lease.release(), LeaseVerdict::Held);
}

#[tokio::test(start_paused = true)]
async fn task_not_found_on_acknowledgement_never_dispatches_and_forbids_status() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Gone", None);
    service.script(
        &task.task_id,
        [Reply::Fail(ErrorClass::LeaseGone(LeaseGone::TaskNotFound))],
    );
    let cancellation = Cancellation::new();
    let lease = manager
        .acquire(&task, cancellation.clone(), ProgressSink::new())
        .unwrap();

    let lost = CancelReason::LeaseLost(LeaseGone::TaskNotFound);
    assert_eq!(lease.acknowledged().await, Err(lost));
    assert_eq!(cancellation.reason(), Some(lost));
    assert_eq!(lease.state(), LeaseState::Lost(LeaseGone::TaskNotFound));

    sleep(10 * MINUTE).await;
    assert_eq!(
        service.call_times(&task.task_id).len(),
        1,
        "no more reports"
    );
    let verdict = lease.release();
    assert_eq!(verdict, LeaseVerdict::Lost(LeaseGone::TaskNotFound));
    assert!(!verdict.may_set_status());
}

#[tokio::test(start_paused = true)]
async fn routine_reports_follow_the_sixty_second_cadence_within_jitter() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Cadence", None);
    let lease = manager
        .acquire(&task, Cancellation::new(), ProgressSink::new())
        .unwrap();
    lease.acknowledged().await.unwrap();
    sleep(30 * MINUTE).await;

    let gaps = gaps(&service.call_times(&task.task_id));
    assert!(gaps.len() >= 27, "{}", gaps.len());
    for gap in &gaps {
        assert!((54 * SECOND..=66 * SECOND).contains(gap), "{gap:?}");
    }
    assert!(
        gaps.iter().any(|gap| *gap != gaps[0]),
        "jitter varies the gaps"
    );
}

#[tokio::test(start_paused = true)]
async fn short_report_progress_timeout_shortens_the_interval() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Short", Some("2 minutes"));
    let lease = manager
        .acquire(&task, Cancellation::new(), ProgressSink::new())
        .unwrap();
    lease.acknowledged().await.unwrap();
    sleep(10 * MINUTE).await;

    let times = service.call_times(&task.task_id);
    for gap in gaps(&times) {
        assert!((36 * SECOND..=40 * SECOND).contains(&gap), "{gap:?}");
    }
    // Two minutes less the margin, capped at a quarter of the timeout.
    let last = *times.last().unwrap();
    assert_eq!(lease.deadline().current(), Some(last + 90 * SECOND));
    assert_eq!(lease.state(), LeaseState::Held);
}

#[tokio::test(start_paused = true)]
async fn unreadable_report_progress_timeout_falls_back_to_the_default() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Unreadable", Some("soon"));
    let lease = manager
        .acquire(&task, Cancellation::new(), ProgressSink::new())
        .unwrap();
    let start = Instant::now();
    lease.acknowledged().await.unwrap();
    assert_eq!(
        lease.deadline().current(),
        Some(start + 15 * MINUTE - 30 * SECOND)
    );
}

#[tokio::test(start_paused = true)]
async fn jitter_spreads_leases_acquired_together() {
    let service = ScriptedService::new();
    // Unlimited: this is about the spread, not the budget.
    let manager = support::manager_with_budget(&service, config(), CallBudget::unlimited());
    let tasks: Vec<_> = (0..1_000)
        .map(|index| task(&format!("Spread{index}"), None))
        .collect();
    let start = Instant::now();
    let leases: Vec<_> = tasks
        .iter()
        .map(|task| {
            manager
                .acquire(task, Cancellation::new(), ProgressSink::new())
                .unwrap()
        })
        .collect();
    sleep(5 * MINUTE).await;

    let mut second_reports = Vec::new();
    for task in &tasks {
        let times = service.call_times(&task.task_id);
        assert_eq!(times[0], start);
        for gap in gaps(&times) {
            assert!((54 * SECOND..=66 * SECOND).contains(&gap), "{gap:?}");
        }
        second_reports.push(times[1] - times[0]);
    }
    second_reports.sort();
    second_reports.dedup();
    assert!(second_reports.len() > 500, "{}", second_reports.len());
    assert!(leases.iter().all(|lease| lease.state() == LeaseState::Held));
}

#[tokio::test(start_paused = true)]
async fn service_cancel_trips_the_token_within_one_interval() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Canceled", None);
    service.script(&task.task_id, [Reply::Accept, Reply::Cancel]);
    let cancellation = Cancellation::new();
    let lease = manager
        .acquire(&task, cancellation.clone(), ProgressSink::new())
        .unwrap();
    lease.acknowledged().await.unwrap();
    let acknowledged_at = Instant::now();

    cancellation.cancelled().await;
    assert!(Instant::now() - acknowledged_at <= 66 * SECOND);
    assert_eq!(cancellation.reason(), Some(CancelReason::CanceledByService));
    assert_eq!(lease.state(), LeaseState::Canceled);
    sleep(5 * MINUTE).await;
    assert_eq!(service.call_times(&task.task_id).len(), 2);
    assert_eq!(lease.release(), LeaseVerdict::Canceled);
}

#[tokio::test(start_paused = true)]
async fn transient_errors_until_the_deadline_expire_the_lease() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Flaky", None);
    service.script(&task.task_id, [Reply::Accept]);
    service.always(&task.task_id, Reply::Fail(ErrorClass::Transient));
    let cancellation = Cancellation::new();
    let lease = manager
        .acquire(&task, cancellation.clone(), ProgressSink::new())
        .unwrap();
    let start = Instant::now();
    lease.acknowledged().await.unwrap();
    let deadline = lease.deadline().current().unwrap();
    assert_eq!(deadline, start + 870 * SECOND);

    cancellation.cancelled().await;
    assert_eq!(Instant::now(), deadline, "expired exactly at the deadline");
    assert_eq!(cancellation.reason(), Some(CancelReason::LeaseExpired));
    assert_eq!(lease.state(), LeaseState::Expired);
    let times = service.call_times(&task.task_id);
    assert!(times.len() > 5, "retried: {}", times.len());
    assert!(times.iter().all(|at| *at < deadline));
    sleep(10 * MINUTE).await;
    assert_eq!(service.call_times(&task.task_id).len(), times.len());
    let verdict = lease.release();
    assert_eq!(verdict, LeaseVerdict::Expired);
    assert!(!verdict.may_set_status());
}

#[tokio::test(start_paused = true)]
async fn throttled_acknowledgements_are_retried_within_the_window() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Throttled", None);
    let throttled = Reply::Fail(ErrorClass::Throttled);
    service.script(
        &task.task_id,
        [throttled, throttled, throttled, Reply::Accept],
    );
    let lease = manager
        .acquire(&task, Cancellation::new(), ProgressSink::new())
        .unwrap();
    let start = Instant::now();
    lease.acknowledged().await.unwrap();
    assert!(Instant::now() - start < 10 * SECOND);
    assert_eq!(service.call_times(&task.task_id).len(), 4);
}

#[tokio::test(start_paused = true)]
async fn pipeline_deleted_mid_lease_loses_it() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Deleted", None);
    let deleted = ErrorClass::LeaseGone(LeaseGone::PipelineDeleted);
    service.script(
        &task.task_id,
        [Reply::Accept, Reply::Accept, Reply::Fail(deleted)],
    );
    let cancellation = Cancellation::new();
    let lease = manager
        .acquire(&task, cancellation.clone(), ProgressSink::new())
        .unwrap();
    lease.acknowledged().await.unwrap();
    cancellation.cancelled().await;
    assert_eq!(
        cancellation.reason(),
        Some(CancelReason::LeaseLost(LeaseGone::PipelineDeleted))
    );
    assert_eq!(
        lease.release(),
        LeaseVerdict::Lost(LeaseGone::PipelineDeleted)
    );
}

#[tokio::test(start_paused = true)]
async fn progress_fields_ride_on_reports_and_early_requests_are_spaced() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Progress", None);
    let progress = ProgressSink::new();
    let lease = manager
        .acquire(&task, Cancellation::new(), progress.clone())
        .unwrap();
    lease.acknowledged().await.unwrap();
    let acknowledged_at = Instant::now();

    progress.set("myRowsCopied", "1000");
    progress.request_report();
    sleep(10 * SECOND).await;
    let calls = service.calls();
    assert_eq!(calls.len(), 2);
    // Early, but no sooner than the minimum spacing after the last report.
    assert_eq!(calls[1].at, acknowledged_at + 5 * SECOND);
    assert_eq!(calls[1].fields, vec![Field::string("myRowsCopied", "1000")]);
    drop(lease);
}

#[tokio::test(start_paused = true)]
async fn release_and_drop_stop_reporting() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let released = task("Released", None);
    let dropped = task("Dropped", None);
    let first = manager
        .acquire(&released, Cancellation::new(), ProgressSink::new())
        .unwrap();
    let second = manager
        .acquire(&dropped, Cancellation::new(), ProgressSink::new())
        .unwrap();
    first.acknowledged().await.unwrap();
    second.acknowledged().await.unwrap();
    assert_eq!(manager.lease_count(), 2);

    assert_eq!(first.release(), LeaseVerdict::Held);
    drop(second);
    sleep(10 * MINUTE).await;
    assert_eq!(service.call_times(&released.task_id).len(), 1);
    assert_eq!(service.call_times(&dropped.task_id).len(), 1);
    assert_eq!(manager.lease_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_keeps_reporting_until_every_lease_is_released() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Draining", None);
    let lease = manager
        .acquire(&task, Cancellation::new(), ProgressSink::new())
        .unwrap();
    lease.acknowledged().await.unwrap();

    let draining = tokio::spawn({
        let manager = manager.clone();
        async move { manager.shutdown().await }
    });
    sleep(5 * MINUTE).await;
    assert!(!draining.is_finished());
    assert!(
        service.call_times(&task.task_id).len() >= 5,
        "still reported"
    );

    // A poll that was in flight when shutdown began still gets its lease.
    let late = support::task("Late", None);
    let late_lease = manager
        .acquire(&late, Cancellation::new(), ProgressSink::new())
        .unwrap();
    late_lease.acknowledged().await.unwrap();

    assert_eq!(lease.release(), LeaseVerdict::Held);
    assert_eq!(late_lease.release(), LeaseVerdict::Held);
    draining.await.unwrap();
    let refused = manager.acquire(
        &support::task("TooLate", None),
        Cancellation::new(),
        ProgressSink::new(),
    );
    assert!(matches!(refused, Err(AcquireError::Stopped { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_service_that_never_answers_expires_the_acknowledgement() {
    let service = ScriptedService::new();
    service.set_latency(3600 * SECOND);
    let config = LeaseConfig {
        jitter_seed: Some(1),
        ..LeaseConfig::default()
    };
    let manager = manager(&service, config);
    let task = task("Hung", None);
    let lease = manager
        .acquire(&task, Cancellation::new(), ProgressSink::new())
        .unwrap();
    let start = Instant::now();
    assert_eq!(lease.acknowledged().await, Err(CancelReason::LeaseExpired));
    assert_eq!(Instant::now() - start, 90 * SECOND);
}
