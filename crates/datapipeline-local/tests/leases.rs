//! Leases: acknowledgement and progress deadlines, reassignment under a new
//! taskId, fencing of the old one, and attemptTimeout.

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::operation::report_task_progress::ReportTaskProgressError;
use aws_sdk_datapipeline::operation::set_task_status::SetTaskStatusError;
use aws_sdk_datapipeline::types::TaskStatus;
use aws_sdk_datapipeline::Client;
use support::*;

async fn report_is_task_not_found(client: &Client, task: &Task) {
    let error = client
        .report_task_progress()
        .task_id(&task.task_id)
        .send()
        .await
        .expect_err("a stale taskId")
        .into_service_error();
    assert!(
        matches!(error, ReportTaskProgressError::TaskNotFoundException(_)),
        "{error:?}"
    );
}

async fn status_is_task_not_found(client: &Client, task: &Task) {
    let error = client
        .set_task_status()
        .task_id(&task.task_id)
        .task_status(TaskStatus::Finished)
        .send()
        .await
        .expect_err("a stale taskId")
        .into_service_error();
    assert!(
        matches!(error, SetTaskStatusError::TaskNotFoundException(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unacknowledged_task_is_handed_out_again_under_a_new_task_id() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    let pipeline = activate(
        &client,
        "unacked",
        vec![on_demand_default("unacked"), shell("Act", "echo", vec![])],
    )
    .await;
    let first = poll(&client, "unacked").await.expect("task");
    let polled_at = tokio::time::Instant::now();
    let second = poll_until_task(&client, "unacked", Duration::from_secs(3)).await;
    assert!(
        polled_at.elapsed() >= Duration::from_millis(250),
        "not before ack_timeout: {:?}",
        polled_at.elapsed()
    );
    assert_eq!(
        second.attempt_id, first.attempt_id,
        "the same attempt comes back"
    );
    assert_ne!(second.task_id, first.task_id, "under a new taskId");
    report_is_task_not_found(&client, &first).await;
    status_is_task_not_found(&client, &first).await;
    assert!(!ack(&client, &second).await);
    finish(&client, &second, TaskStatus::Finished).await;
    let instance = field(&second.attempt, "@instanceParent")
        .expect("instance")
        .to_owned();
    assert_eq!(status_of(&client, &pipeline, &instance).await, "FINISHED");
    let audit = service.audit();
    assert_eq!(audit.leases_expired, 1);
    assert_eq!(audit.tasks_polled, 2);
    assert_eq!(
        (
            audit.stale_reports,
            audit.stale_statuses,
            audit.statuses_accepted
        ),
        (1, 1, 1)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn a_task_without_progress_within_report_progress_timeout_is_handed_out_again() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    activate(
        &client,
        "silent",
        vec![on_demand_default("silent"), shell("Act", "echo", vec![])],
    )
    .await;
    let first = poll(&client, "silent").await.expect("task");
    assert!(!ack(&client, &first).await);
    let acked_at = tokio::time::Instant::now();
    let second = poll_until_task(&client, "silent", Duration::from_secs(3)).await;
    assert!(
        acked_at.elapsed() >= Duration::from_millis(350),
        "not before the 400 ms default: {:?}",
        acked_at.elapsed()
    );
    assert_eq!(second.attempt_id, first.attempt_id);
    assert_ne!(second.task_id, first.task_id);
    report_is_task_not_found(&client, &first).await;
    let audit = service.audit();
    assert_eq!((audit.acknowledgements, audit.leases_expired), (1, 1));
    service.shutdown().await;
}

#[tokio::test]
async fn an_activity_report_progress_timeout_replaces_the_default() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    // 8 minutes at 600× is 800 ms of wall-clock time, twice the default.
    let act = shell(
        "Act",
        "echo",
        vec![string("reportProgressTimeout", "8 minutes")],
    );
    activate(&client, "patient", vec![on_demand_default("patient"), act]).await;
    let first = poll(&client, "patient").await.expect("task");
    assert!(!ack(&client, &first).await);
    let acked_at = tokio::time::Instant::now();
    // Past the 400 ms default, the lease still holds.
    assert!(poll(&client, "patient").await.is_none());
    assert!(poll(&client, "patient").await.is_none());
    assert!(acked_at.elapsed() >= Duration::from_millis(400));
    let second = poll_until_task(&client, "patient", Duration::from_secs(3)).await;
    assert!(
        acked_at.elapsed() >= Duration::from_millis(750),
        "{:?}",
        acked_at.elapsed()
    );
    assert_eq!(second.attempt_id, first.attempt_id);
    report_is_task_not_found(&client, &first).await;
    service.shutdown().await;
}

#[tokio::test]
async fn the_holder_of_a_live_lease_keeps_it_while_it_reports() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    let pipeline = activate(
        &client,
        "busy",
        vec![on_demand_default("busy"), shell("Act", "echo", vec![])],
    )
    .await;
    let task = poll(&client, "busy").await.expect("task");
    let reporter = tokio::spawn({
        let client = client.clone();
        let task = task.clone();
        async move {
            // 1.2 s of reports every 100 ms: four times the ack and three
            // times the progress deadline.
            for _ in 0..12 {
                assert!(!ack(&client, &task).await, "a live lease is not canceled");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let mut stolen = Vec::new();
    while !reporter.is_finished() {
        if let Some(other) = poll(&client, "busy").await {
            stolen.push(other.attempt_id);
        }
    }
    reporter.await.expect("the reporter");
    assert!(
        stolen.is_empty(),
        "a reported lease is never handed out: {stolen:?}"
    );
    finish(&client, &task, TaskStatus::Finished).await;
    let instance = field(&task.attempt, "@instanceParent")
        .expect("instance")
        .to_owned();
    assert_eq!(status_of(&client, &pipeline, &instance).await, "FINISHED");
    let audit = service.audit();
    assert_eq!(
        (
            audit.leases_expired,
            audit.tasks_polled,
            audit.progress_reports
        ),
        (0, 1, 12)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn an_attempt_past_its_attempt_timeout_is_canceled_and_retried_then_timed_out() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    // 3 minutes at 600× is 300 ms; one retry after 1 minute (100 ms).
    let act = shell(
        "Act",
        "sleep 1000",
        vec![
            string("attemptTimeout", "3 minutes"),
            string("maximumRetries", "1"),
            string("retryDelay", "1 minute"),
        ],
    );
    let pipeline = activate(&client, "slow", vec![on_demand_default("slow"), act]).await;
    let mut attempts = Vec::new();
    for _ in 0..2 {
        let task = poll_until_task(&client, "slow", Duration::from_secs(3)).await;
        let started = tokio::time::Instant::now();
        // The holder reports until it is told to stop.
        let canceled_after = eventually("canceled: true", Duration::from_secs(3), || {
            let client = client.clone();
            let task = task.clone();
            async move { ack(&client, &task).await.then(|| started.elapsed()) }
        })
        .await;
        assert!(
            canceled_after >= Duration::from_millis(250),
            "not before attemptTimeout: {canceled_after:?}"
        );
        // A status after the timeout is accepted and changes nothing.
        finish(&client, &task, TaskStatus::Finished).await;
        attempts.push(task.attempt_id);
    }
    assert!(
        attempts[0].ends_with("_Attempt=1") && attempts[1].ends_with("_Attempt=2"),
        "{attempts:?}"
    );
    for attempt in &attempts {
        assert_eq!(
            status_of(&client, &pipeline, attempt).await,
            "TIMEDOUT",
            "{attempt}"
        );
    }
    let instance = attempts[0].trim_end_matches("_Attempt=1").to_owned();
    assert_eq!(status_of(&client, &pipeline, &instance).await, "TIMEDOUT");
    assert!(poll(&client, "slow").await.is_none(), "no third attempt");
    let audit = service.audit();
    assert_eq!(
        (
            audit.statuses_after_cancel,
            audit.attempts_failed,
            audit.attempts_finished
        ),
        (2, 2, 0)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn a_lease_that_lapses_while_the_pipeline_is_inactive_waits_for_the_next_activation() {
    let Bench { service, client } = bench_timing(lease_timing()).await;
    let id = activate(
        &client,
        "lapse-inactive",
        vec![on_demand_default("lapse"), shell("A", "echo a", vec![])],
    )
    .await;
    let first = poll(&client, "lapse").await.expect("a task");
    client
        .deactivate_pipeline()
        .pipeline_id(&id)
        .cancel_active(false)
        .send()
        .await
        .expect("deactivate");
    // The holder never acknowledges: its lease lapses while the pipeline is
    // inactive, and nothing may be handed out until it is activated again.
    eventually("the lease lapses", Duration::from_secs(5), || async {
        (service.audit().leases_expired == 1).then_some(())
    })
    .await;
    assert!(
        poll(&client, "lapse").await.is_none(),
        "nothing is handed out while inactive"
    );
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("activate again");
    let second = poll_until_task(&client, "lapse", Duration::from_secs(5)).await;
    assert_ne!(second.task_id, first.task_id, "a new lease");
    assert!(
        second.attempt_id.ends_with("_Attempt=2"),
        "a new attempt: {}",
        second.attempt_id
    );
    service.shutdown().await;
}
