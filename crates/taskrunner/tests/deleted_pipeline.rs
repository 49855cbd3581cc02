//! DeletePipeline while a task runs: the lease is gone (PipelineDeleted),
//! the handler's token trips, no status is sent, and the runner carries on.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::service::LeaseGone;
use taskrunner::{CancelReason, Cancelled, Outcome, TaskContext};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_pipeline_stops_the_task_and_the_runner_carries_on() {
    let Bench { service, client } = bench().await;
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let long = move |ctx: TaskContext| {
        let events_tx = events_tx.clone();
        async move {
            let _ = events_tx.send(None);
            let reason = ctx.cancelled().await;
            let _ = events_tx.send(Some(reason));
            Err::<(), _>(Cancelled::new(reason))
        }
    };
    let running = Running::start(
        runner_for(&client, "deleted")
            .concurrency(1)
            .activity_for_field("myActivity", "long", long)
            .activity_for_field("myActivity", "quick", |_ctx: TaskContext| async {
                Outcome::Finished
            })
            .build()
            .unwrap(),
    );

    let doomed = submit(
        &client,
        "doomed",
        vec![
            on_demand_default("deleted"),
            activity("Long", vec![string("myActivity", "long")]),
        ],
    )
    .await;
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), events_rx.recv())
            .await
            .expect("the handler starts"),
        Some(None)
    );
    client
        .delete_pipeline()
        .pipeline_id(&doomed)
        .send()
        .await
        .expect("delete");
    let reason = tokio::time::timeout(Duration::from_secs(5), events_rx.recv())
        .await
        .expect("the handler's token trips");
    assert_eq!(
        reason,
        Some(Some(CancelReason::LeaseLost(LeaseGone::PipelineDeleted)))
    );

    // The slot is free again: the next pipeline's task runs.
    let next = submit(
        &client,
        "next",
        vec![
            on_demand_default("deleted"),
            activity("Quick", vec![string("myActivity", "quick")]),
        ],
    )
    .await;
    assert_eq!(
        wait_for_status(
            &client,
            &next,
            "Quick",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FINISHED"
    );

    let summary = running.stop().await;
    assert_eq!(
        (summary.lost, summary.finished, summary.failed),
        (1, 1, 0),
        "{summary:?}"
    );
    let audit = service.audit();
    assert_eq!(
        (
            audit.statuses_accepted,
            audit.stale_statuses,
            audit.statuses_after_cancel
        ),
        (1, 0, 0),
        "{audit:?}"
    );
    service.shutdown().await;
}
