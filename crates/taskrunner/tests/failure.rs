//! A handler that fails: FAILED, with its errorId, errorMessage and
//! errorStackTrace stored on the attempt as the runner sent them.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::{Failure, Outcome, TaskContext};

/// An error with a cause, to see the source chain become the stack trace.
#[derive(Debug, thiserror::Error)]
#[error("copy failed")]
struct CopyFailed(#[source] std::io::Error);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_errors_fail_the_attempt_with_their_error_fields() {
    let Bench { service, client } = bench().await;
    let no_retries = || string("maximumRetries", "0");
    let pipeline = submit(
        &client,
        "failure",
        vec![
            on_demand_default("failure"),
            activity(
                "Declared",
                vec![string("myActivity", "declared"), no_retries()],
            ),
            activity(
                "Described",
                vec![string("myActivity", "described"), no_retries()],
            ),
            activity(
                "Wrapped",
                vec![string("myActivity", "wrapped"), no_retries()],
            ),
        ],
    )
    .await;
    let runner = runner_for(&client, "failure")
        .concurrency(3)
        .activity_for_field("myActivity", "declared", |_ctx: TaskContext| async {
            Err::<(), _>(Failure::new("SourceMissing", "no object at s3://bucket/in"))
        })
        .activity_for_field("myActivity", "described", |_ctx: TaskContext| async {
            Outcome::Failed(
                Failure::new("NonZeroExitCode", "exit 2").with_stack_trace("line 1\nline 2"),
            )
        })
        .activity_for_field("myActivity", "wrapped", |_ctx: TaskContext| async {
            Err::<(), _>(CopyFailed(std::io::Error::other("disk full")))
        })
        .build()
        .unwrap();
    let running = Running::start(runner);

    for component in ["Declared", "Described", "Wrapped"] {
        let status = wait_for_status(
            &client,
            &pipeline,
            component,
            &["FINISHED", "FAILED"],
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(status, "FAILED", "{component}");
        assert_eq!(
            attempt_field(&client, &pipeline, component, "@status")
                .await
                .as_deref(),
            Some("FAILED"),
            "{component}"
        );
    }
    let error = |component: &'static str, key: &'static str| {
        let client = client.clone();
        let pipeline = pipeline.clone();
        async move { attempt_field(&client, &pipeline, component, key).await }
    };
    assert_eq!(
        error("Declared", "errorId").await.as_deref(),
        Some("SourceMissing")
    );
    assert_eq!(
        error("Declared", "errorMessage").await.as_deref(),
        Some("no object at s3://bucket/in")
    );
    assert_eq!(error("Declared", "errorStackTrace").await, None);
    assert_eq!(
        error("Described", "errorId").await.as_deref(),
        Some("NonZeroExitCode")
    );
    assert_eq!(
        error("Described", "errorMessage").await.as_deref(),
        Some("exit 2")
    );
    assert_eq!(
        error("Described", "errorStackTrace").await.as_deref(),
        Some("line 1\nline 2")
    );
    assert_eq!(
        error("Wrapped", "errorId").await.as_deref(),
        Some("ActivityError")
    );
    assert_eq!(
        error("Wrapped", "errorMessage").await.as_deref(),
        Some("copy failed: disk full")
    );
    assert_eq!(
        error("Wrapped", "errorStackTrace").await.as_deref(),
        Some("disk full")
    );
    // The instance carries the error of its last attempt too.
    let instance = instance_of(&client, &pipeline, "Declared").await;
    assert_eq!(
        field_of(&client, &pipeline, &instance, "errorId")
            .await
            .as_deref(),
        Some("SourceMissing")
    );

    let summary = running.stop().await;
    assert_eq!((summary.failed, summary.finished), (3, 0), "{summary:?}");
    assert_eq!(service.audit().statuses_accepted, 3);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_is_retried_by_the_service_and_can_then_finish() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "retry",
        vec![
            on_demand_default("retry"),
            activity(
                "Flaky",
                vec![
                    string("myActivity", "flaky"),
                    string("maximumRetries", "2"),
                    string("retryDelay", "2 minutes"),
                ],
            ),
        ],
    )
    .await;
    // Fails on the first attempt only: `@attemptNumber` tells them apart.
    let flaky = |ctx: TaskContext| async move {
        match ctx.field("@attemptNumber") {
            Some("1") => Err(Failure::new("Transient", "first attempt fails")),
            _ => Ok(()),
        }
    };
    let running = Running::start(
        runner_for(&client, "retry")
            .activity_for_field("myActivity", "flaky", flaky)
            .build()
            .unwrap(),
    );
    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Flaky",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FINISHED"
    );
    let instance = instance_of(&client, &pipeline, "Flaky").await;
    assert_eq!(
        field_of(&client, &pipeline, &instance, "@attemptCount")
            .await
            .as_deref(),
        Some("2")
    );
    let first = format!("{instance}_Attempt=1");
    assert_eq!(
        field_of(&client, &pipeline, &first, "errorId")
            .await
            .as_deref(),
        Some("Transient")
    );
    let summary = running.stop().await;
    assert_eq!((summary.failed, summary.finished), (1, 1), "{summary:?}");
    service.shutdown().await;
}
