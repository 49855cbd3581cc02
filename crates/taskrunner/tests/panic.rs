//! A handler that panics: FAILED with errorId ActivityPanicked, and the
//! runner carries on with the next task.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::{Outcome, TaskContext};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_the_task_and_the_runner_runs_the_next_one() {
    let Bench { service, client } = bench().await;
    let runner = runner_for(&client, "panics")
        .concurrency(1)
        .activity_for_field("myActivity", "boom", |ctx: TaskContext| async move {
            if ctx.field("myActivity").is_some() {
                panic!("the handler hit a bug");
            }
        })
        .activity_for_field("myActivity", "fine", |_ctx: TaskContext| async {
            Outcome::Finished
        })
        .build()
        .unwrap();
    let running = Running::start(runner);

    let first = submit(
        &client,
        "boom",
        vec![
            on_demand_default("panics"),
            activity(
                "Boom",
                vec![string("myActivity", "boom"), string("maximumRetries", "0")],
            ),
        ],
    )
    .await;
    assert_eq!(
        wait_for_status(
            &client,
            &first,
            "Boom",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FAILED"
    );
    assert_eq!(
        attempt_field(&client, &first, "Boom", "errorId")
            .await
            .as_deref(),
        Some("ActivityPanicked")
    );
    let message = attempt_field(&client, &first, "Boom", "errorMessage")
        .await
        .unwrap_or_default();
    assert!(
        message.contains("the handler hit a bug"),
        "the panic message is reported: {message}"
    );

    // The same runner, with its only slot, takes the next task.
    let second = submit(
        &client,
        "fine",
        vec![
            on_demand_default("panics"),
            activity("Fine", vec![string("myActivity", "fine")]),
        ],
    )
    .await;
    assert_eq!(
        wait_for_status(
            &client,
            &second,
            "Fine",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FINISHED"
    );
    assert!(!running.is_finished());

    let summary = running.stop().await;
    assert_eq!((summary.failed, summary.finished), (1, 1), "{summary:?}");
    service.shutdown().await;
}
