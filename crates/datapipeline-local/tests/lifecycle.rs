//! A whole pipeline driven to its end states by test code acting as a runner,
//! through the real SDK.

use crate::support;

use aws_sdk_datapipeline::types::TaskStatus;
use support::*;

#[tokio::test]
async fn a_chain_with_a_precondition_and_a_failing_retried_activity_reaches_its_end_states() {
    let Bench { service, client } = bench().await;
    let pipeline = activate(
        &client,
        "chain",
        vec![
            on_demand_default("workers"),
            object(
                "Ready",
                vec![
                    string("type", "ShellCommandPrecondition"),
                    string("command", "test -f ready"),
                    string("preconditionTimeout", "1 hour"),
                    string("retryDelay", "2 minutes"),
                ],
            ),
            shell(
                "Extract",
                "echo extract",
                vec![reference("precondition", "Ready")],
            ),
            shell(
                "Load",
                "echo load",
                vec![
                    reference("dependsOn", "Extract"),
                    string("maximumRetries", "1"),
                    string("retryDelay", "2 minutes"),
                ],
            ),
            shell(
                "Report",
                "echo report",
                vec![reference("dependsOn", "Load")],
            ),
        ],
    )
    .await;

    let mut log = Vec::new();
    let mut precondition_checks = 0;
    let mut load_attempts = 0;
    while log.len() < 20 {
        let polled = client
            .poll_for_task()
            .worker_group("workers")
            .hostname("test-host")
            .send()
            .await
            .expect("poll");
        let Some(task) = polled.task_object else {
            break;
        };
        let task_id = task.task_id.clone().expect("taskId");
        let attempt = task.attempt_id.clone().expect("attemptId");
        let objects = task.objects.clone().expect("objects");
        let attempt_object = &objects[&attempt];
        let command = attempt_object
            .fields
            .iter()
            .find(|field| field.key == "command")
            .and_then(|field| field.string_value.clone())
            .expect("command");
        let progress = client
            .report_task_progress()
            .task_id(&task_id)
            .send()
            .await
            .expect("ack");
        assert!(!progress.canceled);
        let status = match command.as_str() {
            "test -f ready" => {
                precondition_checks += 1;
                if precondition_checks < 2 {
                    TaskStatus::False
                } else {
                    TaskStatus::Finished
                }
            }
            "echo load" => {
                load_attempts += 1;
                if load_attempts < 2 {
                    TaskStatus::Failed
                } else {
                    TaskStatus::Finished
                }
            }
            _ => TaskStatus::Finished,
        };
        client
            .set_task_status()
            .task_id(&task_id)
            .task_status(status.clone())
            .error_id("TestFailure")
            .send()
            .await
            .expect("status");
        log.push((attempt, status));
    }
    let attempts: Vec<&str> = log.iter().map(|(attempt, _)| attempt.as_str()).collect();
    assert_eq!(attempts.len(), 6, "{log:?}");
    assert!(
        attempts[0].starts_with("@Ready_") && attempts[0].ends_with("_Attempt=1"),
        "{attempts:?}"
    );
    assert!(
        attempts[1].starts_with("@Ready_") && attempts[1].ends_with("_Attempt=2"),
        "{attempts:?}"
    );
    assert!(attempts[2].starts_with("@Extract_"), "{attempts:?}");
    assert!(
        attempts[3].starts_with("@Load_")
            && attempts[4].starts_with("@Load_")
            && attempts[4].ends_with("_Attempt=2"),
        "{attempts:?}"
    );
    assert!(attempts[5].starts_with("@Report_"), "{attempts:?}");

    let instances = client
        .query_objects()
        .pipeline_id(&pipeline)
        .sphere("INSTANCE")
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default();
    assert_eq!(instances.len(), 4, "{instances:?}");
    for instance in &instances {
        assert_eq!(
            status_of(&client, &pipeline, instance).await,
            "FINISHED",
            "{instance}"
        );
    }
    let described = client
        .describe_pipelines()
        .pipeline_ids(&pipeline)
        .send()
        .await
        .expect("describe");
    let state = described.pipeline_description_list[0]
        .fields
        .iter()
        .find(|field| field.key == "@pipelineState")
        .and_then(|field| field.string_value.clone());
    assert_eq!(state.as_deref(), Some("FINISHED"));
    let audit = service.audit();
    assert_eq!(audit.tasks_polled, 6);
    assert_eq!(audit.statuses_accepted, 6);
    service.shutdown().await;
}
