//! The runner takes a task from the local service to FINISHED.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::{Outcome, Runner, TaskContext};

#[tokio::test]
async fn a_custom_activity_finishes_a_task() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "smoke",
        vec![
            on_demand_default("smoke"),
            activity("Hello", vec![string("myActivity", "hello")]),
        ],
    )
    .await;
    let runner = Runner::builder(client.clone())
        .worker_group("smoke")
        .activity_for_field("myActivity", "hello", |_ctx: TaskContext| async {
            Outcome::Finished
        })
        .build()
        .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let run = tokio::spawn(runner.run_until({
        let stop = stop.clone();
        async move { stop.cancelled().await }
    }));
    let status = wait_for_status(
        &client,
        &pipeline,
        "Hello",
        &["FINISHED", "FAILED"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(status, "FINISHED");
    stop.cancel();
    let summary = run.await.unwrap();
    assert_eq!(summary.finished, 1, "{summary:?}");
    service.shutdown().await;
}
