//! DeactivatePipeline with cancelActive: the service answers the holder's
//! next report with `canceled: true`, the handler's token trips with
//! CanceledByService, and the runner sends no SetTaskStatus.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::{CancelReason, Cancelled, Failure, TaskContext};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_with_cancel_active_stops_the_handler_and_sends_no_status() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "cancel",
        vec![
            on_demand_default("cancel"),
            activity("Long", vec![string("myActivity", "long")]),
        ],
    )
    .await;
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let long = move |ctx: TaskContext| {
        let events_tx = events_tx.clone();
        async move {
            let _ = events_tx.send(None);
            tokio::select! {
                reason = ctx.cancelled() => {
                    let _ = events_tx.send(Some(reason));
                    Err::<(), _>(Failure::from(Cancelled::new(reason)))
                }
                () = tokio::time::sleep(Duration::from_secs(30)) => Err(Failure::new("NotCanceled", "the service never canceled")),
            }
        }
    };
    let running = Running::start(
        runner_for(&client, "cancel")
            .activity_for_field("myActivity", "long", long)
            .build()
            .unwrap(),
    );

    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), events_rx.recv())
            .await
            .expect("the handler starts"),
        Some(None)
    );
    client
        .deactivate_pipeline()
        .pipeline_id(&pipeline)
        .cancel_active(true)
        .send()
        .await
        .expect("deactivate");
    let reason = tokio::time::timeout(Duration::from_secs(5), events_rx.recv())
        .await
        .expect("the handler's token trips");
    assert_eq!(reason, Some(Some(CancelReason::CanceledByService)));
    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Long",
            &["CANCELED"],
            Duration::from_secs(5)
        )
        .await,
        "CANCELED"
    );

    let summary = running.stop().await;
    assert_eq!(
        (summary.canceled, summary.finished, summary.failed),
        (1, 0, 0),
        "{summary:?}"
    );
    let audit = service.audit();
    assert_eq!(
        audit.statuses_after_cancel, 0,
        "no SetTaskStatus for a canceled task: {audit:?}"
    );
    assert_eq!(audit.stale_statuses, 0, "{audit:?}");
    assert_eq!(audit.statuses_accepted, 0, "{audit:?}");
    service.shutdown().await;
}
