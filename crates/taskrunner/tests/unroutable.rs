//! A task no route matches: FAILED NoActivityForTask, naming what was
//! looked for and what routes exist; the runner carries on.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::{Outcome, TaskContext};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unroutable_task_fails_with_no_activity_for_task() {
    let Bench { service, client } = bench().await;
    let runner = runner_for(&client, "routes")
        .concurrency(1)
        .activity_for_field("myActivity", "known", |_ctx: TaskContext| async {
            Outcome::Finished
        })
        .activity_for_type("HiveActivity", |_ctx: TaskContext| async {
            Outcome::Finished
        })
        .build()
        .unwrap();
    let running = Running::start(runner);

    let lost = submit(
        &client,
        "lost",
        vec![
            on_demand_default("routes"),
            activity(
                "Lost",
                vec![
                    string("myActivity", "unheard-of"),
                    string("maximumRetries", "0"),
                ],
            ),
        ],
    )
    .await;
    assert_eq!(
        wait_for_status(
            &client,
            &lost,
            "Lost",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FAILED"
    );
    assert_eq!(
        attempt_field(&client, &lost, "Lost", "errorId")
            .await
            .as_deref(),
        Some("NoActivityForTask")
    );
    let message = attempt_field(&client, &lost, "Lost", "errorMessage")
        .await
        .unwrap_or_default();
    for part in [
        "ShellCommandActivity",
        "myActivity",
        "unheard-of",
        "myActivity=known",
        "HiveActivity",
    ] {
        assert!(
            message.contains(part),
            "the message names {part}: {message}"
        );
    }

    let found = submit(
        &client,
        "found",
        vec![
            on_demand_default("routes"),
            activity("Found", vec![string("myActivity", "known")]),
        ],
    )
    .await;
    assert_eq!(
        wait_for_status(
            &client,
            &found,
            "Found",
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
