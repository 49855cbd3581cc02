//! Queuing tasks for the suites: pipelines of on-demand shell activities,
//! activated through the SDK, and the SDK client every suite builds.

use std::time::Duration;

use anyhow::{ensure, Context as _};
use aws_sdk_datapipeline::types::{Field, PipelineObject};
use aws_sdk_datapipeline::Client;

/// The worker group every queued task waits in.
pub(crate) const WORKER_GROUP: &str = "bench";

/// Activities per pipeline: 99 plus `Default` make the 100 objects a
/// definition may hold. The service checks that limit in validation
/// whatever `Limits::objects_per_pipeline` says, so 10,000 tasks take 102
/// pipelines, past the 100-pipeline limit that `Limits::unlimited()` does
/// lift.
pub(crate) const ACTIVITIES_PER_PIPELINE: usize = 99;

/// An SDK client for `endpoint` as a runner would build it: static
/// credentials (the service checks none, but the SDK still signs every
/// request), no retries so that every error surfaces, and an operation
/// timeout longer than a long poll.
pub(crate) fn sdk_client(endpoint: &str) -> Client {
    let credentials =
        aws_credential_types::Credentials::new("AKIDBENCH", "bench-secret", None, None, "bench");
    let config = aws_sdk_datapipeline::Config::builder()
        .behavior_version(aws_sdk_datapipeline::config::BehaviorVersion::latest())
        .region(aws_sdk_datapipeline::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .retry_config(aws_sdk_datapipeline::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_datapipeline::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(120))
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// Queues `tasks` tasks in worker group [`WORKER_GROUP`]: pipelines of up
/// to [`ACTIVITIES_PER_PIPELINE`] on-demand activities, each activated once.
/// Activation queues the activities at once (they depend on nothing), so
/// every task waits for a runner when this returns.
pub(crate) async fn queue_tasks(client: &Client, tasks: usize) -> anyhow::Result<()> {
    queue_commands(client, tasks, "true", "bench")
        .await
        .map(drop)
}

/// Queues `tasks` tasks as [`queue_tasks`] does, each running `command`,
/// in pipelines whose names and unique ids start with `prefix` (so that a
/// suite may queue several batches on one service). Answers the pipeline
/// ids.
pub(crate) async fn queue_commands(
    client: &Client,
    tasks: usize,
    command: &str,
    prefix: &str,
) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut pipeline = 0;
    let mut queued = 0;
    while queued < tasks {
        let activities = ACTIVITIES_PER_PIPELINE.min(tasks - queued);
        let name = format!("{prefix}-{pipeline}");
        let id = client
            .create_pipeline()
            .name(&name)
            .unique_id(&name)
            .send()
            .await
            .with_context(|| format!("CreatePipeline {name}"))?
            .pipeline_id;
        let put = client
            .put_pipeline_definition()
            .pipeline_id(&id)
            .set_pipeline_objects(Some(definition(activities, command)?))
            .send()
            .await
            .with_context(|| format!("PutPipelineDefinition {id}"))?;
        ensure!(
            !put.errored,
            "the service refused the definition of {id}: {:?}",
            put.validation_errors
        );
        client
            .activate_pipeline()
            .pipeline_id(&id)
            .send()
            .await
            .with_context(|| format!("ActivatePipeline {id}"))?;
        queued += activities;
        pipeline += 1;
        ids.push(id);
    }
    Ok(ids)
}

/// `Default` (on demand, worker group [`WORKER_GROUP`]) and `activities`
/// shell activities running `command` that depend on nothing.
fn definition(activities: usize, command: &str) -> anyhow::Result<Vec<PipelineObject>> {
    let mut objects = Vec::with_capacity(activities + 1);
    objects.push(object(
        "Default",
        vec![
            field("scheduleType", "ondemand")?,
            field("workerGroup", WORKER_GROUP)?,
            field("failureAndRerunMode", "cascade")?,
        ],
    )?);
    for index in 0..activities {
        objects.push(object(
            &format!("Activity{index}"),
            vec![
                field("type", "ShellCommandActivity")?,
                field("command", command)?,
            ],
        )?);
    }
    Ok(objects)
}

fn field(key: &str, value: &str) -> anyhow::Result<Field> {
    Ok(Field::builder().key(key).string_value(value).build()?)
}

fn object(id: &str, fields: Vec<Field>) -> anyhow::Result<PipelineObject> {
    Ok(PipelineObject::builder()
        .id(id)
        .name(id)
        .set_fields(Some(fields))
        .build()?)
}
