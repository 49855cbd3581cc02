//! A task that succeeds: acknowledged, run with a full context, reported
//! FINISHED, and recorded by the service.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::TaskContext;
use tokio::sync::mpsc;

/// What the handler saw of its context.
#[derive(Debug)]
struct Seen {
    pipeline_id: String,
    attempt_id: String,
    command: Option<String>,
    has_deadline: bool,
    scratch_is_dir: bool,
    cancelled: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_with_its_context_and_finishes() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "success",
        vec![
            on_demand_default("success"),
            activity("Hello", vec![string("myActivity", "hello")]),
        ],
    )
    .await;
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let hello = move |ctx: TaskContext| {
        let seen_tx = seen_tx.clone();
        async move {
            let scratch = ctx.ensure_scratch_dir().await?;
            ctx.progress().set("myStep", "done");
            let seen = Seen {
                pipeline_id: ctx.pipeline_id().to_owned(),
                attempt_id: ctx.attempt_id().to_owned(),
                command: ctx.field("command").map(str::to_owned),
                has_deadline: ctx.deadline().is_some(),
                scratch_is_dir: scratch.is_dir(),
                cancelled: ctx.is_cancelled(),
            };
            let _ = seen_tx.send(seen);
            Ok::<(), std::io::Error>(())
        }
    };
    let running = Running::start(
        runner_for(&client, "success")
            .hostname("test-host")
            .activity_for_field("myActivity", "hello", hello)
            .build()
            .unwrap(),
    );

    let status = wait_for_status(
        &client,
        &pipeline,
        "Hello",
        &["FINISHED", "FAILED"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(status, "FINISHED");
    let seen = seen_rx.recv().await.expect("the handler ran");
    let attempt = head_attempt(&client, &pipeline, "Hello").await;
    assert_eq!(seen.pipeline_id, pipeline);
    assert_eq!(seen.attempt_id, attempt);
    assert_eq!(seen.command.as_deref(), Some("true"));
    assert!(seen.has_deadline, "a leased task has a deadline");
    assert!(seen.scratch_is_dir, "the scratch directory was created");
    assert!(!seen.cancelled);
    assert_eq!(
        field_of(&client, &pipeline, &attempt, "@status")
            .await
            .as_deref(),
        Some("FINISHED")
    );
    assert_eq!(
        field_of(&client, &pipeline, &attempt, "hostname")
            .await
            .as_deref(),
        Some("test-host")
    );
    assert_eq!(
        field_of(&client, &pipeline, &attempt, "errorId").await,
        None
    );
    wait_until(
        "the pipeline is FINISHED",
        Duration::from_secs(5),
        || async { pipeline_state(&client, &pipeline).await == "FINISHED" },
    )
    .await;

    let summary = running.stop().await;
    assert_eq!(
        (summary.polled, summary.finished, summary.failed),
        (1, 1, 0),
        "{summary:?}"
    );
    let audit = service.audit();
    assert_eq!(
        (
            audit.acknowledgements,
            audit.statuses_accepted,
            audit.stale_statuses
        ),
        (1, 1, 0),
        "{audit:?}"
    );
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_route_by_type_when_no_field_route_matches() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "by-type",
        vec![
            on_demand_default("by-type"),
            activity("Plain", vec![]),
            activity("Custom", vec![string("myActivity", "custom")]),
        ],
    )
    .await;
    let (ran_tx, mut ran_rx) = mpsc::unbounded_channel();
    let record = move |route: &'static str| {
        let ran_tx = ran_tx.clone();
        move |ctx: TaskContext| {
            let _ = ran_tx.send((route, ctx.field("myActivity").map(str::to_owned)));
            async {}
        }
    };
    let running = Running::start(
        runner_for(&client, "by-type")
            .activity_for_type("ShellCommandActivity", record("type"))
            .activity_for_field("myActivity", "custom", record("field"))
            .build()
            .unwrap(),
    );
    for component in ["Plain", "Custom"] {
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
    }
    let mut ran = vec![ran_rx.recv().await.unwrap(), ran_rx.recv().await.unwrap()];
    ran.sort();
    assert_eq!(ran, [("field", Some("custom".to_owned())), ("type", None)]);
    assert_eq!(running.stop().await.finished, 2);
    service.shutdown().await;
}
