//! Tower layers: a runner-wide `TimeoutLayer` turns a slow handler into
//! FAILED; a layer on one activity (registered as a tower service) leaves the others
//! alone.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::activity::{into_service, Handler};
use taskrunner::TaskContext;
use tower::timeout::TimeoutLayer;
use tower::ServiceBuilder;

fn sleeps(duration: Duration) -> impl Handler<fn(TaskContext)> {
    move |_ctx: TaskContext| tokio::time::sleep(duration)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_wide_timeout_layer_fails_a_slow_handler() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "layered",
        vec![
            on_demand_default("layered"),
            activity(
                "Slow",
                vec![string("myActivity", "slow"), string("maximumRetries", "0")],
            ),
            activity("Quick", vec![string("myActivity", "quick")]),
        ],
    )
    .await;
    let runner = runner_for(&client, "layered")
        .activity_for_field("myActivity", "slow", sleeps(Duration::from_secs(30)))
        .activity_for_field("myActivity", "quick", sleeps(Duration::from_millis(10)))
        .layer(TimeoutLayer::new(Duration::from_millis(300)))
        .build()
        .unwrap();
    let running = Running::start(runner);

    // FAILED with errorId AttemptTimeout: the service shows the instance TIMEDOUT.
    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Slow",
            &["FINISHED", "FAILED", "TIMEDOUT"],
            Duration::from_secs(10)
        )
        .await,
        "TIMEDOUT"
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Slow", "@status")
            .await
            .as_deref(),
        Some("FAILED")
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Slow", "errorId")
            .await
            .as_deref(),
        Some("AttemptTimeout")
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Slow", "errorMessage")
            .await
            .as_deref(),
        Some("activity timed out")
    );
    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Quick",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FINISHED"
    );
    let summary = running.stop().await;
    assert_eq!((summary.failed, summary.finished), (1, 1), "{summary:?}");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_on_one_activity_applies_to_that_activity_only() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "one-layer",
        vec![
            on_demand_default("one-layer"),
            activity(
                "Limited",
                vec![
                    string("myActivity", "limited"),
                    string("maximumRetries", "0"),
                ],
            ),
            activity("Free", vec![string("myActivity", "free")]),
        ],
    )
    .await;
    let limited = ServiceBuilder::new()
        .timeout(Duration::from_millis(200))
        .service(into_service(sleeps(Duration::from_secs(30))));
    let runner = runner_for(&client, "one-layer")
        .activity_for_field("myActivity", "limited", limited)
        .activity_for_field("myActivity", "free", sleeps(Duration::from_millis(600)))
        .build()
        .unwrap();
    let running = Running::start(runner);

    // FAILED with errorId AttemptTimeout: the service shows the instance TIMEDOUT.
    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Limited",
            &["FINISHED", "FAILED", "TIMEDOUT"],
            Duration::from_secs(10)
        )
        .await,
        "TIMEDOUT"
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Limited", "@status")
            .await
            .as_deref(),
        Some("FAILED")
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Limited", "errorId")
            .await
            .as_deref(),
        Some("AttemptTimeout")
    );
    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Free",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FINISHED"
    );
    running.stop().await;
    service.shutdown().await;
}
