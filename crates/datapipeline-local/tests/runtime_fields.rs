//! The `@`-runtime and system fields of the SQL and copy object types, as
//! each object page of the Developer Guide lists them in its "Runtime
//! Fields" and "System Fields" tables, are in DescribeObjects where the
//! service would have them: on the component, its instances or their
//! attempts. Test code acts as the runner.

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_datapipeline::types::{PipelineObject, TaskStatus};
use support::*;

/// Where a field must be present in this test's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    /// On the component, the instances and the attempts.
    Everywhere,
    /// On the component once an instance has ended.
    Component,
    /// On the component while an instance is active.
    ComponentWhileActive,
    /// On every instance and attempt.
    Run,
    /// On the instances and attempts that have ended.
    Ended,
    /// On an attempt a runner picked up (and reported on).
    Picked,
    /// On an instance that waits for another.
    Waiting,
    /// On the attempt the runner ended FAILED.
    Failed,
    /// Not in this run; the text says when the service sets it.
    Not(&'static str),
}

use Where::*;

/// The runtime and system fields of the runnable types, identical on the
/// pages dp-object-sqlactivity.md, dp-object-copyactivity.md,
/// dp-object-sqldatanode.md, dp-object-mysqldatanode.md and
/// dp-object-s3datanode.md (CI has no Guide, so the list is here).
const RUNNABLE_FIELDS: &[(&str, Where)] = &[
    ("@activeInstances", ComponentWhileActive),
    ("@actualEndTime", Ended),
    ("@actualStartTime", Run),
    ("cancellationReason", Not("only on a canceled object")),
    ("@cascadeFailedOn", Not("only after a cascade failure")),
    ("emrStepLog", Not("EMR activities only")),
    ("errorId", Failed),
    ("errorMessage", Failed),
    ("errorStackTrace", Failed),
    ("@finishedTime", Ended),
    ("hadoopJobLog", Not("EMR activities only")),
    ("@healthStatus", Component),
    ("@healthStatusFromInstanceId", Component),
    ("@healthStatusUpdatedTime", Component),
    ("hostname", Picked),
    (
        "@lastDeactivatedTime",
        Not("after a deactivation: the next test"),
    ),
    ("@latestCompletedRunTime", Component),
    ("@latestRunTime", Component),
    (
        "@nextRunTime",
        Not("scheduled pipelines only; this one is on demand"),
    ),
    ("reportProgressTime", Picked),
    ("@scheduledEndTime", Run),
    ("@scheduledStartTime", Run),
    ("@status", Run),
    ("@version", Everywhere),
    ("@waitingOn", Waiting),
    // System fields.
    ("@error", Not("only on an ill-formed object")),
    ("@pipelineId", Everywhere),
    ("@sphere", Everywhere),
];

/// The runtime and system fields of dp-object-jdbcdatabase.md and
/// dp-object-rdsdatabase.md: a database is a component only.
const DATABASE_FIELDS: &[(&str, Where)] = &[
    ("@version", Everywhere),
    ("@error", Not("only on an ill-formed object")),
    ("@pipelineId", Everywhere),
    ("@sphere", Everywhere),
];

/// `In` (S3) is copied into `Table` (SQL, on `Db`); `Script` (a
/// SqlActivity on `Rds`, failing once) then runs, and `Export` copies
/// `MyTable` (MySQL) back to S3.
fn definition() -> Vec<PipelineObject> {
    vec![
        on_demand_default("fields"),
        object(
            "Db",
            vec![
                string("type", "JdbcDatabase"),
                string("connectionString", "jdbc:postgresql://db.example:5432/app"),
                string("jdbcDriverClass", "org.postgresql.Driver"),
                string("username", "app"),
                string("*password", "secret"),
            ],
        ),
        object(
            "Rds",
            vec![
                string("type", "RdsDatabase"),
                string("rdsInstanceId", "my-instance"),
                string("username", "app"),
                string("*password", "secret"),
            ],
        ),
        object(
            "In",
            vec![
                string("type", "S3DataNode"),
                string("filePath", "s3://bucket/in.csv"),
            ],
        ),
        object(
            "Out",
            vec![
                string("type", "S3DataNode"),
                string("directoryPath", "s3://bucket/out"),
            ],
        ),
        object(
            "Table",
            vec![
                string("type", "SqlDataNode"),
                string("table", "scores"),
                reference("database", "Db"),
            ],
        ),
        object(
            "MyTable",
            vec![
                string("type", "MySqlDataNode"),
                string("table", "scores"),
                reference("database", "Rds"),
            ],
        ),
        object(
            "Import",
            vec![
                string("type", "CopyActivity"),
                reference("input", "In"),
                reference("output", "Table"),
            ],
        ),
        object(
            "Script",
            vec![
                string("type", "SqlActivity"),
                reference("database", "Rds"),
                string("script", "UPDATE scores SET seen = 1"),
                reference("dependsOn", "Import"),
                string("maximumRetries", "1"),
                string("retryDelay", "1 minutes"),
            ],
        ),
        object(
            "Export",
            vec![
                string("type", "CopyActivity"),
                reference("input", "MyTable"),
                reference("output", "Out"),
                reference("dependsOn", "Script"),
            ],
        ),
    ]
}

/// Which list applies to each component of [`definition`].
const COMPONENTS: &[(&str, &[(&str, Where)])] = &[
    ("Db", DATABASE_FIELDS),
    ("Rds", DATABASE_FIELDS),
    ("In", RUNNABLE_FIELDS),
    ("Out", RUNNABLE_FIELDS),
    ("Table", RUNNABLE_FIELDS),
    ("MyTable", RUNNABLE_FIELDS),
    ("Import", RUNNABLE_FIELDS),
    ("Script", RUNNABLE_FIELDS),
    ("Export", RUNNABLE_FIELDS),
];

/// The component an instance or attempt belongs to.
fn component_of(object: &PipelineObject) -> &str {
    field(object, "@componentParent").unwrap_or(&object.id)
}

fn has(object: &PipelineObject, key: &str) -> bool {
    object.fields.iter().any(|field| field.key == key)
}

/// Fields the page lists that `object` lacks, of those `applies` selects.
fn missing(
    object: &PipelineObject,
    list: &[(&str, Where)],
    applies: impl Fn(Where) -> bool,
) -> Vec<String> {
    list.iter()
        .filter(|(key, place)| applies(*place) && !has(object, key))
        .map(|(key, _)| format!("{}: {key}", object.id))
        .collect()
}

fn list_of(component: &str) -> &'static [(&'static str, Where)] {
    COMPONENTS
        .iter()
        .find(|(id, _)| *id == component)
        .map(|(_, list)| *list)
        .unwrap_or_else(|| panic!("{component} is in COMPONENTS"))
}

#[tokio::test]
async fn every_runtime_field_the_guide_lists_is_where_the_service_would_have_it() {
    let Bench {
        service: _service,
        client,
    } = bench().await;
    let pipeline = activate(&client, "runtime-fields", definition()).await;
    let mut gaps = Vec::new();

    // Import runs: while its lease is held, the component lists the active
    // instance and Script's instance waits on it.
    let import = poll_until_task(&client, "fields", Duration::from_secs(20)).await;
    assert_eq!(
        field(&import.attempt, "@componentParent"),
        Some("Import"),
        "the first task is the import"
    );
    assert!(!ack(&client, &import).await, "not canceled");
    for object in describe_sphere(&client, &pipeline, "COMPONENT").await {
        if object.id == "Import" {
            gaps.extend(missing(&object, RUNNABLE_FIELDS, |place| {
                place == ComponentWhileActive
            }));
        }
    }
    for object in describe_sphere(&client, &pipeline, "INSTANCE").await {
        if component_of(&object) == "Script" {
            gaps.extend(missing(&object, RUNNABLE_FIELDS, |place| place == Waiting));
        }
    }
    finish(&client, &import, TaskStatus::Finished).await;

    // Script fails once (errorId, errorMessage, errorStackTrace on that
    // attempt), then finishes; Export finishes.
    let mut failed_attempt = None;
    let mut finished = 0;
    while finished < 2 {
        let task = poll_until_task(&client, "fields", Duration::from_secs(20)).await;
        assert!(!ack(&client, &task).await, "not canceled");
        if field(&task.attempt, "@componentParent") == Some("Script") && failed_attempt.is_none() {
            client
                .set_task_status()
                .task_id(&task.task_id)
                .task_status(TaskStatus::Failed)
                .error_id("SqlStatementFailed")
                .error_message("statement 1 of 1 failed")
                .error_stack_trace("at the first statement")
                .send()
                .await
                .expect("set task status");
            failed_attempt = Some(task.attempt_id.clone());
        } else {
            finish(&client, &task, TaskStatus::Finished).await;
            finished += 1;
        }
    }
    let failed_attempt = failed_attempt.expect("Script failed once");
    eventually("every instance ends", Duration::from_secs(20), || async {
        let statuses = statuses(&client, &pipeline, "INSTANCE").await;
        statuses
            .iter()
            .all(|(_, status)| status == "FINISHED")
            .then_some(())
    })
    .await;

    // This service makes instances of activities and of the data nodes
    // they read (an output-only data node has none: docs/LOCAL.md).
    let instances = describe_sphere(&client, &pipeline, "INSTANCE").await;
    let mut instance_parents: Vec<&str> = instances.iter().map(component_of).collect();
    instance_parents.sort_unstable();
    assert_eq!(
        instance_parents,
        ["Export", "Import", "In", "MyTable", "Script"],
        "an instance per activity and input data node"
    );
    for object in &instances {
        let list = list_of(component_of(object));
        gaps.extend(missing(object, list, |place| {
            matches!(place, Everywhere | Run | Ended)
        }));
    }
    let components = describe_sphere(&client, &pipeline, "COMPONENT").await;
    let described: HashMap<&str, &PipelineObject> = components
        .iter()
        .map(|object| (object.id.as_str(), object))
        .collect();
    for (id, list) in COMPONENTS {
        let object = described
            .get(id)
            .unwrap_or_else(|| panic!("component {id} is described"));
        let ran = instance_parents.contains(id);
        gaps.extend(missing(object, list, |place| {
            place == Everywhere || (ran && place == Component)
        }));
    }
    let attempts = describe_sphere(&client, &pipeline, "ATTEMPT").await;
    let picked = ["Import", "Script", "Export"];
    for object in &attempts {
        let component = component_of(object);
        let list = list_of(component);
        gaps.extend(missing(object, list, |place| {
            matches!(place, Everywhere | Run | Ended)
                || (place == Picked && picked.contains(&component))
                || (place == Failed && object.id == failed_attempt)
        }));
    }
    for component in picked {
        assert!(
            attempts
                .iter()
                .any(|object| component_of(object) == component),
            "{component} has attempts"
        );
    }
    assert!(
        gaps.is_empty(),
        "fields the Guide lists that the service does not set:\n{}",
        gaps.join("\n")
    );
    let import = described["Import"];
    assert!(
        !has(import, "@nextRunTime") && !has(import, "@lastDeactivatedTime"),
        "an on-demand run that was never deactivated: {import:?}"
    );
}

/// A component on a daily schedule names its next run (`@nextRunTime`, a
/// day after the first) while the pipeline is active; once deactivated it
/// carries `@lastDeactivatedTime` and no next run.
#[tokio::test]
async fn a_scheduled_component_names_its_next_run_and_its_deactivation() {
    let Bench {
        service: _service,
        client,
    } = bench().await;
    let pipeline = activate(
        &client,
        "daily",
        vec![
            object(
                "Default",
                vec![
                    string("scheduleType", "cron"),
                    string("workerGroup", "daily"),
                    reference("schedule", "Daily"),
                ],
            ),
            object(
                "Daily",
                vec![
                    string("type", "Schedule"),
                    string("period", "1 days"),
                    string("startAt", "FIRST_ACTIVATION_DATE_TIME"),
                ],
            ),
            shell("Nightly", "echo nightly", vec![]),
        ],
    )
    .await;
    let describe = || async {
        client
            .describe_objects()
            .pipeline_id(&pipeline)
            .object_ids("Nightly")
            .send()
            .await
            .expect("describe")
            .pipeline_objects
            .remove(0)
    };
    let nightly = eventually("the first instance", Duration::from_secs(10), || async {
        let nightly = describe().await;
        has(&nightly, "@activeInstances").then_some(nightly)
    })
    .await;
    let instance = field(&nightly, "@activeInstances").expect("an active instance");
    let first = instance
        .strip_prefix("@Nightly_")
        .expect("an instance of Nightly");
    let first = chrono::NaiveDateTime::parse_from_str(first, "%Y-%m-%dT%H:%M:%S")
        .expect("an instance id ends in its scheduled start");
    let next = field(&nightly, "@nextRunTime").expect("@nextRunTime");
    assert_eq!(
        next,
        (first + chrono::TimeDelta::days(1))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
        "{nightly:?}"
    );
    assert!(!has(&nightly, "@lastDeactivatedTime"), "{nightly:?}");

    client
        .deactivate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("deactivate");
    let nightly = describe().await;
    assert!(has(&nightly, "@lastDeactivatedTime"), "{nightly:?}");
    assert!(!has(&nightly, "@nextRunTime"), "{nightly:?}");
}
