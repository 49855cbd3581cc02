//! Embedding: the local Data Pipeline service and a task runner in one
//! process, running a two-step pipeline (`Load` dependsOn `Extract`) to the
//! end.
//!
//! ```sh
//! cargo run --example embed
//! ```
//!
//! Against AWS, drop the local service and build the client from
//! `aws_config::load_defaults(…)`; the runner is the same.

use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_datapipeline::types::PipelineObject;
use aws_sdk_datapipeline::Client;
use datapipeline_local::testkit::{self, object, reference, string};
use serde::Deserialize;
use taskrunner::{async_trait, Activity, ActivityError, Outcome, Runner, TaskContext};

/// One step of the pipeline: says what it does.
struct Step;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StepParams {
    my_message: String,
}

#[async_trait]
impl Activity for Step {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
        let params: StepParams = ctx.fields()?;
        println!("{}: {}", ctx.attempt_id(), params.my_message);
        Ok(Outcome::Finished)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // RUST_LOG=info shows the runner's and the service's logs.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();

    // Real AWS timing, except that empty long polls return after a second.
    let timing = datapipeline_local::Timing {
        long_poll_wait: Duration::from_secs(1),
        ..Default::default()
    };
    let service = datapipeline_local::start(datapipeline_local::Config {
        timing,
        ..Default::default()
    })
    .await?;
    let credentials =
        aws_credential_types::Credentials::new("local", "local", None, None, "example");
    let config = aws_sdk_datapipeline::Config::builder()
        .behavior_version(aws_sdk_datapipeline::config::BehaviorVersion::latest())
        .region(aws_sdk_datapipeline::config::Region::new("us-east-1"))
        .endpoint_url(service.endpoint_url())
        .credentials_provider(credentials)
        .build();
    let client = Client::from_conf(config);

    // Submit the pipeline: create, put the definition, activate.
    let objects = vec![
        object(
            "Default",
            vec![
                string("scheduleType", "ondemand"),
                string("workerGroup", "embedded"),
            ],
        ),
        step("Extract", "extracting rows", None),
        step("Load", "loading rows", Some("Extract")),
    ];
    let pipeline = client
        .create_pipeline()
        .name("embed")
        .unique_id("embed")
        .send()
        .await?
        .pipeline_id;
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&pipeline)
        .set_pipeline_objects(Some(objects))
        .send()
        .await?;
    anyhow::ensure!(
        !put.errored,
        "invalid definition: {:?}",
        put.validation_errors
    );
    client
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await?;

    // Run the tasks until the pipeline is done.
    let runner = Runner::builder(client.clone())
        .worker_group("embedded")
        .activity_for_field("myActivity", "step", Step)
        .build()?;
    let finished = pipeline_finished(&client, &pipeline);
    let summary = tokio::time::timeout(Duration::from_secs(60), runner.run_until(finished))
        .await
        .context("the pipeline did not finish in 60 s")?;
    println!("runner: {summary:?}");

    // Every instance and its final status.
    let instances = client
        .query_objects()
        .pipeline_id(&pipeline)
        .sphere("INSTANCE")
        .send()
        .await?
        .ids
        .unwrap_or_default();
    let described = client
        .describe_objects()
        .pipeline_id(&pipeline)
        .set_object_ids(Some(instances))
        .send()
        .await?;
    let mut all_finished = true;
    for instance in described.pipeline_objects {
        let status = instance
            .fields
            .iter()
            .find(|field| field.key == "@status")
            .and_then(|field| field.string_value.clone())
            .unwrap_or_default();
        all_finished &= status == "FINISHED";
        println!("{:<40} {status}", instance.id);
    }
    service.shutdown().await;
    anyhow::ensure!(all_finished, "not every instance finished");
    Ok(())
}

/// A step: custom work is a ShellCommandActivity plus `my…` fields.
fn step(id: &str, message: &str, depends_on: Option<&str>) -> PipelineObject {
    let mut fields = vec![
        string("type", "ShellCommandActivity"),
        string("command", "true"),
        string("myActivity", "step"),
        string("myMessage", message),
    ];
    if let Some(other) = depends_on {
        fields.push(reference("dependsOn", other));
    }
    object(id, fields)
}

/// Completes once the pipeline's `@pipelineState` is FINISHED.
async fn pipeline_finished(client: &Client, pipeline: &str) {
    while testkit::pipeline_state(client, pipeline)
        .await
        .ok()
        .flatten()
        .as_deref()
        != Some("FINISHED")
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
