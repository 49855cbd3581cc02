//! Shutdown with tasks in flight: within the drain timeout they finish and
//! are reported; past it they are canceled with Shutdown, send no status,
//! and the service hands them to another runner once their leases lapse.

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use datapipeline_local::{Config, Timing};
use support::*;
use taskrunner::{CancelReason, Cancelled, Outcome, TaskContext};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_in_flight_finish_and_are_reported_within_the_drain_timeout() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "drain",
        vec![
            on_demand_default("drain"),
            activity("A", vec![string("myActivity", "slow")]),
            activity("B", vec![string("myActivity", "slow")]),
        ],
    )
    .await;
    let started = Arc::new(AtomicUsize::new(0));
    let slow = {
        let started = started.clone();
        move |_ctx: TaskContext| {
            started.fetch_add(1, Ordering::SeqCst);
            // Ignores shutdown: the drain lets it finish.
            tokio::time::sleep(Duration::from_millis(700))
        }
    };
    let running = Running::start(
        runner_for(&client, "drain")
            .drain_timeout(Duration::from_secs(5))
            .activity_for_field("myActivity", "slow", slow)
            .build()
            .unwrap(),
    );
    wait_until("both tasks run", Duration::from_secs(10), || async {
        started.load(Ordering::SeqCst) == 2
    })
    .await;

    let summary = running.stop().await;
    assert_eq!((summary.finished, summary.shut_down), (2, 0), "{summary:?}");
    for component in ["A", "B"] {
        assert_eq!(
            wait_for_status(
                &client,
                &pipeline,
                component,
                &["FINISHED"],
                Duration::from_secs(1)
            )
            .await,
            "FINISHED"
        );
    }
    assert_eq!(service.audit().statuses_accepted, 2);
    service.shutdown().await;
}

/// The service's acknowledgement and report-progress timeouts in the
/// drain-timeout test: short, so leases lapse quickly once reports stop.
const LEASE_TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_still_running_at_the_drain_timeout_are_canceled_and_reassigned() {
    // Leases lapse 2 s after the last report, so reassignment is quick.
    let timing = Timing {
        ack_timeout: LEASE_TIMEOUT,
        default_report_progress_timeout: LEASE_TIMEOUT,
        ..fast_timing()
    };
    let Bench { service, client } = bench_with(Config {
        timing,
        ..Config::default()
    })
    .await;
    let pipeline = submit(
        &client,
        "drain-timeout",
        vec![
            on_demand_default("drain-timeout"),
            activity("A", vec![string("myActivity", "endless")]),
            activity("B", vec![string("myActivity", "endless")]),
        ],
    )
    .await;
    let (reasons_tx, mut reasons_rx) = mpsc::unbounded_channel();
    let started = Arc::new(AtomicUsize::new(0));
    let endless = {
        let started = started.clone();
        move |ctx: TaskContext| {
            started.fetch_add(1, Ordering::SeqCst);
            let reasons_tx = reasons_tx.clone();
            async move {
                let reason = ctx.cancelled().await;
                let _ = reasons_tx.send(Some(reason));
                Err::<(), _>(Cancelled::new(reason))
            }
        }
    };
    let lease = taskrunner::lease::LeaseConfig {
        acknowledgement_timeout: LEASE_TIMEOUT,
        ..lease_for(LEASE_TIMEOUT)
    };
    let first = Running::start(
        runner_for(&client, "drain-timeout")
            .lease_config(lease.clone())
            .drain_timeout(Duration::from_millis(300))
            .activity_for_field("myActivity", "endless", endless)
            .build()
            .unwrap(),
    );
    wait_until("both tasks run", Duration::from_secs(10), || async {
        started.load(Ordering::SeqCst) == 2
    })
    .await;

    let summary = first.stop().await;
    assert_eq!(
        (summary.shut_down, summary.finished, summary.failed),
        (2, 0, 0),
        "{summary:?}"
    );
    for _ in 0..2 {
        assert_eq!(reasons_rx.recv().await, Some(Some(CancelReason::Shutdown)));
    }
    let audit = service.audit();
    assert_eq!(
        (
            audit.statuses_accepted,
            audit.stale_statuses,
            audit.statuses_after_cancel
        ),
        (0, 0, 0),
        "no status sent: {audit:?}"
    );

    // Another runner gets the same attempts once the leases lapse.
    let second = Running::start(
        runner_for(&client, "drain-timeout")
            .lease_config(lease)
            .activity_for_field("myActivity", "endless", |_ctx: TaskContext| async {
                Outcome::Finished
            })
            .build()
            .unwrap(),
    );
    for component in ["A", "B"] {
        assert_eq!(
            wait_for_status(
                &client,
                &pipeline,
                component,
                &["FINISHED", "FAILED"],
                Duration::from_secs(10)
            )
            .await,
            "FINISHED"
        );
        let instance = instance_of(&client, &pipeline, component).await;
        assert_eq!(
            head_attempt(&client, &pipeline, component).await,
            format!("{instance}_Attempt=1"),
            "reassigned, not retried"
        );
    }
    assert_eq!(second.stop().await.finished, 2);
    let audit = service.audit();
    assert_eq!(
        (
            audit.leases_expired,
            audit.statuses_accepted,
            audit.stale_statuses
        ),
        (2, 2, 0),
        "{audit:?}"
    );
    service.shutdown().await;
}
