//! Typed fields: `ctx.fields::<T>()` reads scalars, numbers, repeated keys
//! and references into the objects a task carries; a missing field fails
//! the task with InvalidTaskFields naming the field.

use crate::support;

use std::time::Duration;

use serde::Deserialize;
use support::*;
use taskrunner::activity::{FieldsError, Handler};
use taskrunner::TaskContext;
use tokio::sync::mpsc;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Copy {
    my_table: String,
    /// A repeated key (a list in the definition).
    #[serde(default)]
    my_column: Vec<String>,
    my_batch_size: u32,
    my_dry_run: Option<bool>,
    /// A reference, read as the referenced object's fields.
    input: Node,
    #[serde(rename = "@scheduledStartTime")]
    scheduled_start: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Node {
    directory_path: String,
}

/// Just the reference, as an id.
#[derive(Debug, Deserialize)]
struct InputId {
    input: String,
}

fn copy_activity(seen: mpsc::UnboundedSender<(Copy, String)>) -> impl Handler<fn(TaskContext)> {
    move |ctx: TaskContext| {
        let seen = seen.clone();
        async move {
            let params: Copy = ctx.fields()?;
            let InputId { input } = ctx.fields()?;
            let _ = seen.send((params, input));
            Ok::<(), FieldsError>(())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_fields_read_scalars_lists_and_references() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "typed",
        vec![
            on_demand_default("typed"),
            object(
                "Events",
                vec![
                    string("type", "S3DataNode"),
                    string("directoryPath", "s3://bucket/events"),
                ],
            ),
            activity(
                "Copy",
                vec![
                    string("myActivity", "copy"),
                    string("myTable", "events"),
                    string("myColumn", "id"),
                    string("myColumn", "ts"),
                    string("myBatchSize", "500"),
                    reference("input", "Events"),
                ],
            ),
        ],
    )
    .await;
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let running = Running::start(
        runner_for(&client, "typed")
            .activity_for_field("myActivity", "copy", copy_activity(seen_tx))
            .build()
            .unwrap(),
    );

    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Copy",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FINISHED"
    );
    let (params, input) = seen_rx.recv().await.expect("the handler ran");
    assert_eq!(params.my_table, "events");
    assert_eq!(params.my_column, ["id", "ts"]);
    assert_eq!(params.my_batch_size, 500);
    assert_eq!(params.my_dry_run, None);
    assert_eq!(
        params.input,
        Node {
            directory_path: "s3://bucket/events".into()
        }
    );
    assert!(!params.scheduled_start.is_empty());
    assert_eq!(input, "Events");
    running.stop().await;
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_field_fails_with_invalid_task_fields_naming_it() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "untyped",
        vec![
            on_demand_default("untyped"),
            object(
                "Events",
                vec![
                    string("type", "S3DataNode"),
                    string("directoryPath", "s3://bucket/events"),
                ],
            ),
            // No myBatchSize.
            activity(
                "Copy",
                vec![
                    string("myActivity", "copy"),
                    string("myTable", "events"),
                    reference("input", "Events"),
                    string("maximumRetries", "0"),
                ],
            ),
            // A value that does not parse.
            activity(
                "BadSize",
                vec![
                    string("myActivity", "copy"),
                    string("myTable", "events"),
                    string("myBatchSize", "lots"),
                    reference("input", "Events"),
                    string("maximumRetries", "0"),
                ],
            ),
        ],
    )
    .await;
    let (seen_tx, _seen_rx) = mpsc::unbounded_channel();
    let running = Running::start(
        runner_for(&client, "untyped")
            .activity_for_field("myActivity", "copy", copy_activity(seen_tx))
            .build()
            .unwrap(),
    );

    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Copy",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FAILED"
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Copy", "errorId")
            .await
            .as_deref(),
        Some("InvalidTaskFields")
    );
    let message = attempt_field(&client, &pipeline, "Copy", "errorMessage")
        .await
        .unwrap_or_default();
    assert!(message.contains("missing field `myBatchSize`"), "{message}");

    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "BadSize",
            &["FINISHED", "FAILED"],
            Duration::from_secs(10)
        )
        .await,
        "FAILED"
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "BadSize", "errorId")
            .await
            .as_deref(),
        Some("InvalidTaskFields")
    );
    let message = attempt_field(&client, &pipeline, "BadSize", "errorMessage")
        .await
        .unwrap_or_default();
    assert!(
        message.contains("myBatchSize") && message.contains("lots"),
        "{message}"
    );

    assert_eq!(running.stop().await.failed, 2);
    service.shutdown().await;
}
