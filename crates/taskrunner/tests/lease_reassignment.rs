//! A holder whose lease reports cannot keep up with the service's
//! `reportProgressTimeout`: the service reassigns the attempt under a new
//! taskId to another runner, which finishes it, and the old holder — its
//! handler stalled past the lease — sends nothing.

use crate::support;

use std::time::Duration;

use datapipeline_local::{Audit, Config, Timing};
use support::*;
use taskrunner::lease::LeaseConfig;
use taskrunner::service::LeaseGone;
use taskrunner::{CancelReason, Outcome, TaskContext};
use tokio::sync::mpsc;

/// The service's `reportProgressTimeout` and acknowledgement deadline in
/// these tests. (They are equal on purpose: with a shorter
/// `reportProgressTimeout` than acknowledgement deadline the service keeps
/// leases too long; see `the_service_expires_a_lease_at_its_report_progress_timeout`.)
const REPORT_TIMEOUT: Duration = Duration::from_secs(1);

/// Lease timing that knows the service's timeouts, reporting every 200 ms.
fn healthy_lease() -> LeaseConfig {
    LeaseConfig {
        acknowledgement_timeout: REPORT_TIMEOUT,
        ..lease_for(REPORT_TIMEOUT)
    }
}

/// Runs the scenario with the stalled runner on `stalled_lease`; answers the
/// reason its handler's token tripped with, and the service's audit.
async fn reassigned(name: &str, stalled_lease: LeaseConfig) -> (Option<CancelReason>, Audit) {
    let timing = Timing {
        ack_timeout: REPORT_TIMEOUT,
        default_report_progress_timeout: REPORT_TIMEOUT,
        ..fast_timing()
    };
    let Bench { service, client } = bench_with(Config {
        timing,
        ..Config::default()
    })
    .await;
    let pipeline = submit(
        &client,
        name,
        vec![
            on_demand_default(name),
            activity("Work", vec![string("myActivity", "work")]),
        ],
    )
    .await;

    // The stalled holder: its handler ignores its token for 2.5 s.
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let stalled = move |ctx: TaskContext| {
        let events_tx = events_tx.clone();
        async move {
            let _ = events_tx.send(None);
            tokio::time::sleep(Duration::from_millis(2500)).await;
            let stopped = ctx.check_cancelled().err();
            let _ = events_tx.send(stopped.map(|cancelled| cancelled.reason()));
        }
    };
    let first = Running::start(
        runner_for(&client, name)
            .concurrency(1)
            // Saturated by the stalled handler, its precondition loops would
            // poll the reassigned attempt and hold it for an activity slot:
            // this test is about the lease, so they are off.
            .precondition_slots(0)
            .cancel_grace(Duration::from_secs(5))
            .lease_config(stalled_lease)
            .activity_for_field("myActivity", "work", stalled)
            .build()
            .expect("the runner builds"),
    );
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), events_rx.recv())
            .await
            .expect("the stalled handler starts"),
        Some(None)
    );

    // A healthy runner on the same worker group takes the reassigned attempt.
    let second = Running::start(
        runner_for(&client, name)
            .lease_config(healthy_lease())
            .activity_for_field("myActivity", "work", |_ctx: TaskContext| async {
                Outcome::Finished
            })
            .build()
            .expect("the runner builds"),
    );
    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Work",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FINISHED"
    );
    let instance = instance_of(&client, &pipeline, "Work").await;
    assert_eq!(
        head_attempt(&client, &pipeline, "Work").await,
        format!("{instance}_Attempt=1"),
        "the same attempt, reassigned"
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Work", "@status")
            .await
            .as_deref(),
        Some("FINISHED")
    );

    // The stalled handler returns "success" after losing its lease.
    let reason = tokio::time::timeout(Duration::from_secs(10), events_rx.recv())
        .await
        .expect("the stalled handler returns")
        .flatten();
    let first_summary = first.stop().await;
    let second_summary = second.stop().await;
    assert_eq!(
        (first_summary.lost, first_summary.finished),
        (1, 0),
        "the old holder reports nothing: {first_summary:?}"
    );
    assert_eq!(second_summary.finished, 1, "{second_summary:?}");
    let audit = service.audit();
    assert_eq!(audit.leases_expired, 1, "{audit:?}");
    assert_eq!(audit.tasks_polled, 2, "{audit:?}");
    assert_eq!(audit.statuses_accepted, 1, "{audit:?}");
    assert_eq!(
        audit.stale_statuses, 0,
        "the old holder sent no status: {audit:?}"
    );
    service.shutdown().await;
    (reason, audit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_cannot_report_in_time_fences_itself() {
    // Reports every 30 s at most every timeout: the next report would be due
    // as the lease runs out, so the runner's own deadline passes first.
    let lease = LeaseConfig {
        progress_interval: Duration::from_secs(30),
        timeout_fraction: 1.0,
        ..healthy_lease()
    };
    let (reason, audit) = reassigned("self-fenced", lease).await;
    assert_eq!(reason, Some(CancelReason::LeaseExpired));
    assert_eq!(audit.stale_reports, 0, "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_told_task_not_found_stops_reporting() {
    // Believes the timeout is 10 s and reports every 1.5 s: its second report
    // reaches a service that has already handed the attempt on.
    let lease = LeaseConfig {
        progress_interval: Duration::from_millis(1500),
        default_report_timeout: Duration::from_secs(10),
        ..healthy_lease()
    };
    let (reason, audit) = reassigned("told", lease).await;
    assert_eq!(
        reason,
        Some(CancelReason::LeaseLost(LeaseGone::TaskNotFound))
    );
    assert_eq!(audit.stale_reports, 1, "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_expires_a_lease_at_its_report_progress_timeout() {
    let timing = Timing {
        ack_timeout: Duration::from_secs(3),
        default_report_progress_timeout: Duration::from_millis(500),
        ..fast_timing()
    };
    let Bench { service, client } = bench_with(Config {
        timing,
        ..Config::default()
    })
    .await;
    submit(
        &client,
        "short-timeout",
        vec![on_demand_default("short-timeout"), activity("Work", vec![])],
    )
    .await;
    let task = client
        .poll_for_task()
        .worker_group("short-timeout")
        .send()
        .await
        .expect("poll")
        .task_object
        .expect("a task");
    let task_id = task.task_id.expect("a task id");
    client
        .report_task_progress()
        .task_id(&task_id)
        .send()
        .await
        .expect("the acknowledgement is accepted");
    // Well past ack + reportProgressTimeout, well before the ack deadline.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let late = client.report_task_progress().task_id(&task_id).send().await;
    assert!(late.is_err(), "a report 1.5 s after the last one, with a 500 ms reportProgressTimeout, is refused (TaskNotFound)");
    assert_eq!(service.audit().leases_expired, 1);
    service.shutdown().await;
}
