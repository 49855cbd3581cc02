//! The setup every example shares, kept out of the way of the activity
//! code: an embedded `datapipeline-local` on 127.0.0.1:0, a tiny on-demand
//! pipeline put and activated through the real SDK, a runner builder for
//! it, and a report of how each instance ended. No AWS account is needed.
//!
//! Against AWS, build the client from `aws_config::load_defaults(…)` and
//! drop the local service; the runner is the same.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_datapipeline::Client;
use datapipeline_local::testkit::{self, reference, string};
use datapipeline_local::ServiceHandle;
use taskrunner::{RunSummary, Runner, RunnerBuilder};

/// The worker group every example pipeline's objects are declared in.
pub const WORKER_GROUP: &str = "examples";

/// A pipeline object: its id and its fields (a repeated key is a list;
/// `dependsOn` and `precondition` are references). Custom work is declared
/// as a `ShellCommandActivity` (a type the service knows) with a field the
/// runner routes on, such as `myActivity`.
pub type Object<'a> = (&'a str, &'a [(&'a str, &'a str)]);

/// A local service with one active pipeline.
pub struct Local {
    service: ServiceHandle,
    client: Client,
    pipeline: String,
}

impl Local {
    /// Starts the service and submits `objects` (plus an on-demand `Default`
    /// in [`WORKER_GROUP`]) as an active pipeline.
    pub async fn start(objects: &[Object<'_>]) -> anyhow::Result<Self> {
        // Real AWS timing, except that empty long polls return after a second.
        let timing = datapipeline_local::Timing {
            long_poll_wait: Duration::from_secs(1),
            ..Default::default()
        };
        let config = datapipeline_local::Config {
            timing,
            ..Default::default()
        };
        let service = datapipeline_local::start(config).await?;
        let client = Client::from_conf(testkit::sdk_config(&service.endpoint_url()).build());
        let default = (
            "Default",
            &[("scheduleType", "ondemand"), ("workerGroup", WORKER_GROUP)][..],
        );
        let definition = std::iter::once(&default)
            .chain(objects)
            .map(|(id, fields)| {
                let fields = fields.iter().map(|&(key, value)| match key {
                    "dependsOn" | "precondition" => reference(key, value),
                    _ => string(key, value),
                });
                testkit::object(id, fields.collect())
            })
            .collect();
        let pipeline = testkit::submit(&client, "example", definition).await?;
        Ok(Self {
            service,
            client,
            pipeline,
        })
    }

    /// A runner builder on this service, polling [`WORKER_GROUP`].
    pub fn runner(&self) -> RunnerBuilder {
        Runner::builder(self.client.clone()).worker_group(WORKER_GROUP)
    }

    /// Completes once the pipeline is FINISHED.
    pub async fn finished(&self) {
        while testkit::pipeline_state(&self.client, &self.pipeline)
            .await
            .ok()
            .flatten()
            .as_deref()
            != Some("FINISHED")
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Prints the run's summary and every instance's status, stops the
    /// service, and fails unless every instance FINISHED.
    pub async fn report(self, summary: RunSummary) -> anyhow::Result<()> {
        println!(
            "the runner finished {} task(s), failed {}",
            summary.finished, summary.failed
        );
        let instances = self
            .client
            .query_objects()
            .pipeline_id(&self.pipeline)
            .sphere("INSTANCE")
            .send()
            .await?
            .ids
            .unwrap_or_default();
        let described = self
            .client
            .describe_objects()
            .pipeline_id(&self.pipeline)
            .set_object_ids(Some(instances))
            .send()
            .await?;
        let mut all_finished = true;
        for instance in described.pipeline_objects {
            let status = instance
                .fields
                .iter()
                .find(|field| field.key == "@status")
                .and_then(|field| field.string_value.as_deref())
                .unwrap_or("?");
            all_finished &= status == "FINISHED";
            println!("{:<40} {status}", instance.id);
        }
        self.service.shutdown().await;
        anyhow::ensure!(all_finished, "not every instance finished");
        Ok(())
    }
}

/// Runs one example: starts [`Local`] with `objects`, builds the runner
/// that `register` configures, runs it until the pipeline is done (at most a
/// minute), and reports.
pub async fn run(
    objects: &[Object<'_>],
    register: impl FnOnce(RunnerBuilder) -> RunnerBuilder,
) -> anyhow::Result<()> {
    let local = Local::start(objects).await?;
    let runner = register(local.runner()).build()?;
    let summary = tokio::time::timeout(Duration::from_secs(60), runner.run_until(local.finished()))
        .await
        .context("the pipeline did not finish within a minute")?;
    local.report(summary).await
}
