//! `LeaseManager::acknowledge`: the acknowledgement sent by the task that
//! holds the lease, and the driver's path when no budget token is at hand.

use crate::support;

use taskrunner_api::{
    CallBudget, CancelReason, Cancellation, ErrorClass, LeaseGone, Operation, ProgressSink, Quota,
};
use taskrunner_lease::{AcknowledgeError, AcquireError, LeaseState, LeaseVerdict};
use tokio::time::{sleep, Instant};

use support::{
    config, gaps, manager, manager_with_budget, task, Reply, ScriptedService, MINUTE, SECOND,
};

#[tokio::test(start_paused = true)]
async fn the_holder_sends_the_acknowledgement_and_the_driver_keeps_the_lease() {
    let service = ScriptedService::new();
    service.set_latency(2 * SECOND);
    let manager = manager(&service, config());
    let task = task("Inline", None);
    let start = Instant::now();

    let lease = manager
        .acknowledge(&task, Cancellation::new(), ProgressSink::new())
        .await
        .unwrap();
    assert_eq!(Instant::now(), start + 2 * SECOND);
    assert_eq!(lease.state(), LeaseState::Held);
    assert_eq!(manager.lease_count(), 1);
    // As on the driver's path, the deadline counts from the send time.
    assert_eq!(
        lease.deadline().current(),
        Some(start + 15 * MINUTE - 30 * SECOND)
    );

    // The driver, asleep with no lease before, takes over the cadence.
    sleep(30 * MINUTE).await;
    let times = service.call_times(&task.task_id);
    assert_eq!(times[0], start);
    let gaps = gaps(&times);
    assert!(gaps.len() >= 27, "{}", gaps.len());
    // 60 s ± 10 % from each answer, which comes 2 s after its call.
    for gap in &gaps {
        assert!((56 * SECOND..=68 * SECOND).contains(gap), "{gap:?}");
    }
    assert_eq!(lease.state(), LeaseState::Held);
    assert_eq!(lease.release(), LeaseVerdict::Held);
    assert_eq!(manager.lease_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_acknowledgement_ends_the_lease_and_registers_nothing() {
    for (reply, reason) in [
        (Reply::Cancel, CancelReason::CanceledByService),
        (
            Reply::Fail(ErrorClass::LeaseGone(LeaseGone::PipelineDeleted)),
            CancelReason::LeaseLost(LeaseGone::PipelineDeleted),
        ),
    ] {
        let service = ScriptedService::new();
        let manager = manager(&service, config());
        let task = task("Refused", None);
        service.script(&task.task_id, [reply]);
        let cancellation = Cancellation::new();

        let error = manager
            .acknowledge(&task, cancellation.clone(), ProgressSink::new())
            .await
            .unwrap_err();
        assert!(
            matches!(&error, AcknowledgeError::Ended { task_id, reason: got } if *task_id == task.task_id && *got == reason),
            "{error:?}"
        );
        assert_eq!(error.cancel_reason(), Some(reason));
        assert!(
            error.to_string().contains(&task.task_id.to_string()),
            "{error}"
        );
        assert_eq!(cancellation.reason(), Some(reason));
        assert_eq!(manager.lease_count(), 0);

        sleep(10 * MINUTE).await;
        assert_eq!(service.call_times(&task.task_id).len(), 1, "{reply:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_acknowledgement_is_retried_by_the_driver() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let task = task("Retried", None);
    service.script(
        &task.task_id,
        [
            Reply::Fail(ErrorClass::Transient),
            Reply::Fail(ErrorClass::Throttled),
        ],
    );
    let start = Instant::now();

    let lease = manager
        .acknowledge(&task, Cancellation::new(), ProgressSink::new())
        .await
        .unwrap();
    assert_eq!(lease.state(), LeaseState::Held);
    let times = service.call_times(&task.task_id);
    assert_eq!(times.len(), 3, "two retries by the driver, then accepted");
    assert_eq!(times[0], start);
    assert!(times[1] > times[0] && times[2] > times[1], "{times:?}");
    assert!(*times.last().unwrap() < start + MINUTE, "{times:?}");
}

#[tokio::test(start_paused = true)]
async fn without_a_token_at_hand_the_driver_sends_the_acknowledgement() {
    let service = ScriptedService::new();
    // One report every 10 s, no burst beyond it.
    let quota = Quota::new(0.1, 1).unwrap();
    let budget = CallBudget::new([(Operation::ReportTaskProgress, quota)]);
    let manager = manager_with_budget(&service, config(), budget);
    let first = task("First", None);
    let second = task("Second", None);
    let start = Instant::now();

    let first_lease = manager
        .acknowledge(&first, Cancellation::new(), ProgressSink::new())
        .await
        .unwrap();
    let second_lease = manager
        .acknowledge(&second, Cancellation::new(), ProgressSink::new())
        .await
        .unwrap();
    assert_eq!(service.call_times(&first.task_id), vec![start]);
    // The second waited for the budget's next token, in the driver.
    assert_eq!(
        service.call_times(&second.task_id),
        vec![start + 10 * SECOND]
    );
    assert_eq!(second_lease.state(), LeaseState::Held);
    assert_eq!(manager.lease_count(), 2);
    drop((first_lease, second_lease));
    assert_eq!(manager.lease_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn leases_released_before_their_first_routine_report_are_never_reported_again() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let tasks: Vec<_> = (0..50)
        .map(|index| task(&format!("Short{index}"), None))
        .collect();
    for task in &tasks {
        let lease = manager
            .acknowledge(task, Cancellation::new(), ProgressSink::new())
            .await
            .unwrap();
        sleep(SECOND).await;
        assert_eq!(lease.release(), LeaseVerdict::Held);
    }
    assert_eq!(manager.lease_count(), 0);
    sleep(30 * MINUTE).await;
    for task in &tasks {
        assert_eq!(service.call_times(&task.task_id).len(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_a_lease_acknowledged_by_its_holder() {
    let service = ScriptedService::new();
    let manager = manager(&service, config());
    let draining_task = task("Draining", None);
    let lease = manager
        .acknowledge(&draining_task, Cancellation::new(), ProgressSink::new())
        .await
        .unwrap();

    let draining = tokio::spawn({
        let manager = manager.clone();
        async move { manager.shutdown().await }
    });
    sleep(5 * MINUTE).await;
    assert!(!draining.is_finished());
    assert!(
        service.call_times(&draining_task.task_id).len() >= 5,
        "still reported"
    );

    assert_eq!(lease.release(), LeaseVerdict::Held);
    // The release wakes the draining driver at once.
    tokio::time::timeout(SECOND, draining)
        .await
        .unwrap()
        .unwrap();

    let after = task("Late", None);
    let refused = manager
        .acknowledge(&after, Cancellation::new(), ProgressSink::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            AcknowledgeError::Stopped(AcquireError::Stopped { .. })
        ),
        "{refused:?}"
    );
    assert_eq!(refused.cancel_reason(), None);
    assert!(service.call_times(&after.task_id).is_empty(), "never sent");
}
