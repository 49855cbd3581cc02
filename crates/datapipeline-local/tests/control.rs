//! Controlling running pipelines: cancellation, deletion, SetStatus, retries,
//! failure cascades and precondition timeouts.

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::operation::report_task_progress::ReportTaskProgressError;
use aws_sdk_datapipeline::operation::set_task_status::SetTaskStatusError;
use aws_sdk_datapipeline::types::TaskStatus;
use aws_sdk_datapipeline::Client;
use support::*;

/// The `@status` of the instance of `component`.
async fn instance_status(client: &Client, pipeline: &str, component: &str) -> String {
    let all = statuses(client, pipeline, "INSTANCE").await;
    let prefix = format!("@{component}_");
    let found: Vec<_> = all
        .iter()
        .filter(|(id, _)| id.starts_with(&prefix))
        .collect();
    assert_eq!(found.len(), 1, "one instance of {component}: {all:?}");
    found[0].1.clone()
}

async fn object_field(client: &Client, pipeline: &str, id: &str, key: &str) -> Option<String> {
    let described = client
        .describe_objects()
        .pipeline_id(pipeline)
        .object_ids(id)
        .send()
        .await
        .expect("describe");
    described
        .pipeline_objects
        .first()
        .and_then(|object| field(object, key))
        .map(str::to_owned)
}

#[tokio::test]
async fn deactivating_with_cancel_active_tells_the_holder_to_stop() {
    let Bench { service, client } = bench().await;
    let pipeline = activate(
        &client,
        "stop",
        vec![
            on_demand_default("stop"),
            shell("A", "echo a", vec![]),
            shell("B", "echo b", vec![]),
        ],
    )
    .await;
    let task = poll(&client, "stop").await.expect("task");
    assert!(!ack(&client, &task).await);
    // cancelActive defaults to true.
    client
        .deactivate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("deactivate");
    assert!(
        ack(&client, &task).await,
        "the holder's next report answers canceled: true"
    );
    assert!(
        poll(&client, "stop").await.is_none(),
        "the other queued task was canceled too"
    );
    assert_eq!(instance_status(&client, &pipeline, "A").await, "CANCELED");
    assert_eq!(instance_status(&client, &pipeline, "B").await, "CANCELED");
    finish(&client, &task, TaskStatus::Finished).await;
    assert_eq!(service.audit().statuses_after_cancel, 1);
    assert_eq!(
        instance_status(&client, &pipeline, "A").await,
        "CANCELED",
        "a status after cancel changes nothing"
    );
    // Activating again runs what was canceled.
    client
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("activate");
    let mut again: Vec<String> = Vec::new();
    while let Some(task) = poll(&client, "stop").await {
        again.push(task.attempt_id);
    }
    again.sort();
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(
        again.iter().all(|attempt| attempt.ends_with("_Attempt=2")),
        "{again:?}"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn reactivation_reruns_what_the_deactivation_canceled_but_not_what_an_operator_canceled() {
    let Bench { service, client } = bench().await;
    let pipeline = activate(
        &client,
        "resume",
        vec![
            on_demand_default("resume"),
            shell("Kept", "sleep 100", vec![]),
            shell("Resumed", "sleep 100", vec![]),
        ],
    )
    .await;
    let first = poll(&client, "resume").await.expect("a task");
    let second = poll(&client, "resume").await.expect("another task");
    let (kept, resumed) = if first.attempt_id.starts_with("@Kept_") {
        (first, second)
    } else {
        (second, first)
    };
    set_status(&client, &pipeline, &instance_of(&kept), "TRY_CANCEL").await;
    client
        .deactivate_pipeline()
        .pipeline_id(&pipeline)
        .cancel_active(true)
        .send()
        .await
        .expect("deactivate");
    assert!(ack(&client, &resumed).await, "canceled: true");
    assert_eq!(
        instance_status(&client, &pipeline, "Kept").await,
        "CANCELED"
    );
    assert_eq!(
        instance_status(&client, &pipeline, "Resumed").await,
        "CANCELED"
    );
    client
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("activate");
    let again = poll(&client, "resume").await.expect("the resumed task");
    assert!(
        again.attempt_id.starts_with("@Resumed_"),
        "{}",
        again.attempt_id
    );
    assert!(
        poll(&client, "resume").await.is_none(),
        "what TRY_CANCEL canceled stays canceled"
    );
    assert_eq!(
        instance_status(&client, &pipeline, "Kept").await,
        "CANCELED"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn try_cancel_tells_the_holder_to_stop() {
    let Bench { service, client } = bench().await;
    let pipeline = activate(
        &client,
        "cancel",
        vec![on_demand_default("cancel"), shell("A", "sleep 100", vec![])],
    )
    .await;
    let task = poll(&client, "cancel").await.expect("task");
    assert!(!ack(&client, &task).await);
    set_status(&client, &pipeline, &instance_of(&task), "TRY_CANCEL").await;
    assert!(ack(&client, &task).await);
    assert!(ack(&client, &task).await, "every later report says so too");
    assert_eq!(
        status_of(&client, &pipeline, &instance_of(&task)).await,
        "CANCELED"
    );
    assert_eq!(
        status_of(&client, &pipeline, &task.attempt_id).await,
        "CANCELED"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn deleting_a_pipeline_fences_its_leases_and_its_queue() {
    let Bench { service, client } = bench().await;
    let pipeline = activate(
        &client,
        "gone",
        vec![
            on_demand_default("gone"),
            shell("A", "echo a", vec![]),
            shell("B", "echo b", vec![]),
        ],
    )
    .await;
    let task = poll(&client, "gone").await.expect("task");
    assert!(!ack(&client, &task).await);
    client
        .delete_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("delete");
    let error = client
        .report_task_progress()
        .task_id(&task.task_id)
        .send()
        .await
        .expect_err("deleted")
        .into_service_error();
    assert!(
        matches!(error, ReportTaskProgressError::PipelineDeletedException(_)),
        "{error:?}"
    );
    let error = client
        .set_task_status()
        .task_id(&task.task_id)
        .task_status(TaskStatus::Finished)
        .send()
        .await
        .expect_err("deleted")
        .into_service_error();
    assert!(
        matches!(error, SetTaskStatusError::PipelineDeletedException(_)),
        "{error:?}"
    );
    assert!(
        poll(&client, "gone").await.is_none(),
        "the deleted pipeline's queued task is not handed out"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn failed_attempts_are_retried_maximum_retries_times_after_retry_delay() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    // 2 minutes at 600× is 200 ms.
    let act = shell(
        "A",
        "false",
        vec![
            string("maximumRetries", "2"),
            string("retryDelay", "2 minutes"),
        ],
    );
    let pipeline = activate(&client, "retry", vec![on_demand_default("retry"), act]).await;
    let mut attempts = Vec::new();
    let mut failed_at = None;
    for _ in 0..3 {
        let task = poll_until_task(&client, "retry", Duration::from_secs(3)).await;
        if let Some(failed_at) = failed_at {
            let waited = tokio::time::Instant::now().duration_since(failed_at);
            assert!(
                waited >= Duration::from_millis(180),
                "retryDelay is honoured: {waited:?}"
            );
        }
        assert!(!ack(&client, &task).await);
        finish(&client, &task, TaskStatus::Failed).await;
        failed_at = Some(tokio::time::Instant::now());
        attempts.push(task.attempt_id);
    }
    assert_eq!(
        attempts
            .iter()
            .map(|attempt| attempt.rsplit('=').next().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    assert!(poll(&client, "retry").await.is_none(), "no fourth attempt");
    let instance = attempts[0].trim_end_matches("_Attempt=1");
    assert_eq!(status_of(&client, &pipeline, instance).await, "FAILED");
    assert_eq!(
        object_field(&client, &pipeline, instance, "@attemptCount")
            .await
            .as_deref(),
        Some("3")
    );
    assert_eq!(
        object_field(&client, &pipeline, instance, "@triesLeft")
            .await
            .as_deref(),
        Some("0")
    );
    let audit = service.audit();
    assert_eq!((audit.attempts_failed, audit.tasks_polled), (3, 3));
    service.shutdown().await;
}

/// A fails (no retries), B depends on A, C on B.
fn chain(mode: &str) -> Vec<aws_sdk_datapipeline::types::PipelineObject> {
    vec![
        object(
            "Default",
            vec![
                string("scheduleType", "ondemand"),
                string("workerGroup", "chain"),
                string("failureAndRerunMode", mode),
            ],
        ),
        shell("A", "false", vec![string("maximumRetries", "0")]),
        shell("B", "echo b", vec![reference("dependsOn", "A")]),
        shell("C", "echo c", vec![reference("dependsOn", "B")]),
    ]
}

#[tokio::test]
async fn with_cascade_dependents_of_a_failure_cascade_fail_and_rerun_with_it() {
    let Bench { service, client } = bench().await;
    let pipeline = define(&client, "cascade", chain("cascade")).await;
    client
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("activate");
    let task = poll(&client, "chain").await.expect("A");
    finish(&client, &task, TaskStatus::Failed).await;
    let a = instance_of(&task);
    assert_eq!(status_of(&client, &pipeline, &a).await, "FAILED");
    assert_eq!(
        instance_status(&client, &pipeline, "B").await,
        "CASCADE_FAILED"
    );
    assert_eq!(
        instance_status(&client, &pipeline, "C").await,
        "CASCADE_FAILED"
    );
    let b = statuses(&client, &pipeline, "INSTANCE")
        .await
        .into_iter()
        .find(|(id, _)| id.starts_with("@B_"))
        .expect("B")
        .0;
    assert_eq!(
        object_field(&client, &pipeline, &b, "@cascadeFailedOn")
            .await
            .as_deref(),
        Some(a.as_str())
    );
    assert!(poll(&client, "chain").await.is_none());

    // RERUN of the failure reruns what cascaded from it.
    set_status(&client, &pipeline, &a, "RERUN").await;
    assert_eq!(
        instance_status(&client, &pipeline, "B").await,
        "WAITING_ON_DEPENDENCIES"
    );
    for expected in ["A", "B", "C"] {
        let task = poll(&client, "chain")
            .await
            .unwrap_or_else(|| panic!("{expected} runs"));
        assert!(
            task.attempt_id.starts_with(&format!("@{expected}_")),
            "{expected}: {}",
            task.attempt_id
        );
        finish(&client, &task, TaskStatus::Finished).await;
    }
    for component in ["A", "B", "C"] {
        assert_eq!(
            instance_status(&client, &pipeline, component).await,
            "FINISHED",
            "{component}"
        );
    }
    assert_eq!(service.audit().reruns, 0, "A had failed, not finished");
    service.shutdown().await;
}

#[tokio::test]
async fn without_cascade_dependents_of_a_failure_keep_waiting() {
    let Bench { service, client } = bench().await;
    let pipeline = define(&client, "none", chain("none")).await;
    client
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("activate");
    let task = poll(&client, "chain").await.expect("A");
    finish(&client, &task, TaskStatus::Failed).await;
    assert_eq!(instance_status(&client, &pipeline, "A").await, "FAILED");
    assert_eq!(
        instance_status(&client, &pipeline, "B").await,
        "WAITING_ON_DEPENDENCIES"
    );
    assert_eq!(
        instance_status(&client, &pipeline, "C").await,
        "WAITING_ON_DEPENDENCIES"
    );
    assert!(poll(&client, "chain").await.is_none());
    // MARK_FINISHED on the failure releases its dependents.
    set_status(&client, &pipeline, &instance_of(&task), "MARK_FINISHED").await;
    let b = poll(&client, "chain").await.expect("B runs");
    assert!(b.attempt_id.starts_with("@B_"), "{}", b.attempt_id);
    service.shutdown().await;
}

/// A runner that retries inside one attempt, as `taskrunner` and the Java
/// runner do, reports FALSE only once the precondition's timeout is spent:
/// the service then fails the instance at once and does not retry it, so
/// the pair never retries twice over (docs/ARCHITECTURE.md, "Preconditions:
/// who retries").
#[tokio::test]
async fn a_false_after_the_precondition_timeout_fails_without_another_attempt() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    // 5 minutes at 600× is 500 ms.
    let objects = vec![
        on_demand_default("inside"),
        object(
            "Ready",
            vec![
                string("type", "ShellCommandPrecondition"),
                string("command", "test -f ready"),
                string("preconditionTimeout", "5 minutes"),
                string("retryDelay", "1 minute"),
                string("maximumRetries", "3"),
            ],
        ),
        shell("Act", "echo", vec![reference("precondition", "Ready")]),
    ];
    let pipeline = activate(&client, "inside", objects).await;
    let task = poll_until_task(&client, "inside", Duration::from_secs(5)).await;
    assert!(
        task.attempt_id.starts_with("@Ready_"),
        "{}",
        task.attempt_id
    );
    // The runner's own checks: the lease is kept alive past the timeout.
    let held_until = tokio::time::Instant::now() + Duration::from_millis(600);
    while tokio::time::Instant::now() < held_until {
        client
            .report_task_progress()
            .task_id(&task.task_id)
            .send()
            .await
            .expect("the lease is kept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    finish(&client, &task, TaskStatus::False).await;
    assert!(
        poll(&client, "inside").await.is_none(),
        "no second attempt of the precondition"
    );
    let ready = statuses(&client, &pipeline, "INSTANCE")
        .await
        .into_iter()
        .find(|(id, _)| id.starts_with("@Ready_"))
        .expect("Ready");
    assert_eq!(ready.1, "FAILED");
    for (key, expected) in [("errorId", "PreconditionTimeout"), ("@attemptCount", "1")] {
        assert_eq!(
            object_field(&client, &pipeline, &ready.0, key)
                .await
                .as_deref(),
            Some(expected),
            "{key}"
        );
    }
    assert_eq!(
        instance_status(&client, &pipeline, "Act").await,
        "CASCADE_FAILED"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn a_precondition_that_never_holds_fails_at_its_precondition_timeout() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    // 5 minutes at 600× is 500 ms; checks every minute (100 ms).
    let objects = vec![
        on_demand_default("pre"),
        object(
            "Ready",
            vec![
                string("type", "ShellCommandPrecondition"),
                string("command", "test -f ready"),
                string("preconditionTimeout", "5 minutes"),
                string("retryDelay", "1 minute"),
            ],
        ),
        shell("Act", "echo", vec![reference("precondition", "Ready")]),
    ];
    let pipeline = activate(&client, "pre", objects).await;
    let started = tokio::time::Instant::now();
    let mut checks = 0;
    while let Some(task) = poll(&client, "pre").await {
        assert!(
            task.attempt_id.starts_with("@Ready_"),
            "{}",
            task.attempt_id
        );
        finish(&client, &task, TaskStatus::False).await;
        checks += 1;
        assert!(checks < 20, "the checks stop");
    }
    assert!(
        checks >= 3,
        "FALSE is retried after retryDelay, beyond maximumRetries: {checks}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    let ready = statuses(&client, &pipeline, "INSTANCE")
        .await
        .into_iter()
        .find(|(id, _)| id.starts_with("@Ready_"))
        .expect("Ready");
    assert_eq!(ready.1, "FAILED");
    assert_eq!(
        object_field(&client, &pipeline, &ready.0, "errorId")
            .await
            .as_deref(),
        Some("PreconditionTimeout")
    );
    assert_eq!(
        instance_status(&client, &pipeline, "Act").await,
        "CASCADE_FAILED"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn pause_holds_a_component_until_resume() {
    let Bench { service, client } = bench().await;
    let pipeline = define(
        &client,
        "pause",
        vec![
            on_demand_default("pause"),
            shell("A", "echo a", vec![]),
            shell("B", "echo b", vec![reference("dependsOn", "A")]),
        ],
    )
    .await;
    client
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("activate");
    set_status(&client, &pipeline, "A", "PAUSE").await;
    set_status(&client, &pipeline, "B", "PAUSE").await;
    assert!(
        poll(&client, "pause").await.is_none(),
        "a paused component's queued attempt is not handed out"
    );
    set_status(&client, &pipeline, "A", "RESUME").await;
    let a = poll(&client, "pause").await.expect("A runs after RESUME");
    assert!(a.attempt_id.starts_with("@A_"), "{}", a.attempt_id);
    finish(&client, &a, TaskStatus::Finished).await;
    assert!(poll(&client, "pause").await.is_none(), "B is still paused");
    set_status(&client, &pipeline, "B", "RESUME").await;
    let b = poll(&client, "pause").await.expect("B runs after RESUME");
    assert!(b.attempt_id.starts_with("@B_"), "{}", b.attempt_id);
    service.shutdown().await;
}

#[tokio::test]
async fn rerun_runs_a_finished_instance_again_and_mark_finished_cancels_a_running_one() {
    let Bench { service, client } = bench().await;
    let pipeline = activate(
        &client,
        "again",
        vec![
            on_demand_default("again"),
            shell("A", "echo a", vec![]),
            shell("B", "echo b", vec![]),
        ],
    )
    .await;
    let first = poll(&client, "again").await.expect("task");
    finish(&client, &first, TaskStatus::Finished).await;
    set_status(&client, &pipeline, &instance_of(&first), "RERUN").await;
    assert_eq!(service.audit().reruns, 1);
    let mut next = Vec::new();
    while let Some(task) = poll(&client, "again").await {
        next.push(task);
    }
    let rerun = next
        .iter()
        .find(|task| task.attempt_id.starts_with(&instance_of(&first)))
        .expect("the rerun attempt");
    assert!(
        rerun.attempt_id.ends_with("_Attempt=2"),
        "{}",
        rerun.attempt_id
    );
    let other = next
        .iter()
        .find(|task| task.attempt_id != rerun.attempt_id)
        .expect("the other task");
    set_status(&client, &pipeline, &instance_of(other), "MARK_FINISHED").await;
    assert!(ack(&client, other).await, "its holder is told to stop");
    assert_eq!(
        status_of(&client, &pipeline, &instance_of(other)).await,
        "FINISHED"
    );
    // SetStatus checks every id before changing anything.
    let error = client
        .set_status()
        .pipeline_id(&pipeline)
        .object_ids(instance_of(rerun))
        .object_ids("A")
        .status("TRY_CANCEL")
        .send()
        .await
        .expect_err("A is a component");
    assert!(
        format!("{error:?}").contains("InvalidRequestException"),
        "{error:?}"
    );
    assert!(!ack(&client, rerun).await, "nothing was canceled");
    service.shutdown().await;
}
