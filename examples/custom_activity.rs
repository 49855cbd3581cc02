//! A custom activity with typed fields, progress reports and cooperative
//! cancellation, run by a `Runner` against the local Data Pipeline service.
//!
//! ```sh
//! cargo run --example custom_activity
//! ```
//!
//! No AWS account is needed: the example starts `datapipeline-local` in
//! process, submits a one-activity pipeline, and runs the task with the
//! real SDK over HTTP.

use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_datapipeline::types::PipelineObject;
use aws_sdk_datapipeline::Client;
use datapipeline_local::testkit::{self, string};
use serde::Deserialize;
use taskrunner::{async_trait, Activity, ActivityError, Outcome, Runner, TaskContext};

/// The activity's parameters, read from the pipeline object's `my…` fields.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResizeParams {
    /// `myImage` is repeated in the definition (a list), so it is a `Vec`.
    my_image: Vec<String>,
    /// Fields arrive as strings; serde parses them into numbers.
    my_width: u32,
}

/// Resizes images (here: pretends to, 200 ms per image).
struct ResizeImages;

#[async_trait]
impl Activity for ResizeImages {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
        // A field that is missing or does not parse fails the task with
        // errorId InvalidTaskFields, naming the field.
        let params: ResizeParams = ctx.fields()?;
        for (done, image) in params.my_image.iter().enumerate() {
            // Stop promptly when asked (service cancel, lost lease, shutdown,
            // attemptTimeout); after a grace period the future is dropped.
            tokio::select! {
                () = ctx.cancelled() => {
                    let reason = ctx.cancel_reason().unwrap_or(taskrunner::CancelReason::Shutdown);
                    return Err(ActivityError::cancelled(reason));
                }
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
            println!("resized {image} to {} px", params.my_width);
            // Rides on the next ReportTaskProgress.
            ctx.progress().set("myResized", (done + 1).to_string());
        }
        Ok(Outcome::Finished)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
    // Any credentials will do: the local service checks none by default.
    let client = Client::from_conf(testkit::sdk_config(&service.endpoint_url()).build());

    // Custom work is declared as a ShellCommandActivity (a type the service
    // knows) plus a `myActivity` field the runner routes on.
    let pipeline = testkit::submit(
        &client,
        "resize",
        vec![
            object(
                "Default",
                &[("scheduleType", "ondemand"), ("workerGroup", "images")],
            ),
            object(
                "Resize",
                &[
                    ("type", "ShellCommandActivity"),
                    ("command", "true"),
                    ("myActivity", "resize"),
                    ("myImage", "cat.png"),
                    ("myImage", "dog.png"),
                    ("myImage", "owl.png"),
                    ("myWidth", "640"),
                ],
            ),
        ],
    )
    .await?;

    let runner = Runner::builder(client.clone())
        .worker_group("images")
        .activity_for_field("myActivity", "resize", ResizeImages)
        .build()?;
    // Run until the pipeline is done, then shut down gracefully.
    let summary = runner
        .run_until(pipeline_finished(&client, &pipeline))
        .await;

    let status = instance_status(&client, &pipeline, "Resize").await?;
    println!(
        "Resize is {status}; the runner finished {} task(s)",
        summary.finished
    );
    service.shutdown().await;
    anyhow::ensure!(status == "FINISHED", "Resize ended {status}");
    Ok(())
}

/// A pipeline object with string fields; a repeated key is a list.
fn object(id: &str, fields: &[(&str, &str)]) -> PipelineObject {
    let fields = fields
        .iter()
        .map(|(key, value)| string(key, value))
        .collect();
    testkit::object(id, fields)
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

/// The `@status` of `component`'s (only) instance.
async fn instance_status(
    client: &Client,
    pipeline: &str,
    component: &str,
) -> anyhow::Result<String> {
    let instances = client
        .query_objects()
        .pipeline_id(pipeline)
        .sphere("INSTANCE")
        .send()
        .await?
        .ids
        .unwrap_or_default();
    let prefix = format!("@{component}_");
    let instance = instances
        .into_iter()
        .find(|id| id.starts_with(&prefix))
        .context("no instance")?;
    let described = client
        .describe_objects()
        .pipeline_id(pipeline)
        .object_ids(instance)
        .send()
        .await?;
    let fields = described
        .pipeline_objects
        .into_iter()
        .next()
        .context("no object")?
        .fields;
    fields
        .into_iter()
        .find(|field| field.key == "@status")
        .and_then(|field| field.string_value)
        .context("no @status")
}
