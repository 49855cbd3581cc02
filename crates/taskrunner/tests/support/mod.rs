//! What the runner's end-to-end tests share: `datapipeline-local` on
//! 127.0.0.1:0, the real SDK client pointed at it, and helpers to submit
//! pipelines and read their statuses.

#![allow(dead_code, unreachable_pub, unused_imports)]

use std::time::Duration;

use aws_sdk_datapipeline::config::retry::{RetryConfig, RetryPartition, TokenBucket};
use aws_sdk_datapipeline::types::{Field, PipelineObject};
use aws_sdk_datapipeline::Client;
use datapipeline_local::testkit::{self, sdk_config};
pub use datapipeline_local::testkit::{object, reference, string};
use datapipeline_local::{start, Config, ServiceHandle, Timing};
use taskrunner::{
    lease::LeaseConfig, poll::Backoff, service::CallBudget, RunSummary, Runner, RunnerBuilder,
};
use tokio_util::sync::CancellationToken;

/// A running service and a client for it.
pub struct Bench {
    pub service: ServiceHandle,
    pub client: Client,
}

/// Starts a service with `config` and builds an SDK client for it.
pub async fn bench_with(config: Config) -> Bench {
    let service = start(config).await.expect("the service starts");
    let client = client_for(&service.endpoint_url());
    Bench { service, client }
}

/// A service with fast timing.
pub async fn bench() -> Bench {
    bench_with(Config {
        timing: fast_timing(),
        ..Config::default()
    })
    .await
}

/// Timing that compresses the service's minutes into seconds.
pub fn fast_timing() -> Timing {
    Timing {
        long_poll_wait: Duration::from_millis(300),
        ..Timing::fast()
    }
}

/// An SDK client for `endpoint` with static credentials.
pub fn client_for(endpoint: &str) -> Client {
    Client::from_conf(config_for(endpoint).build())
}

/// The SDK configuration the test clients share.
fn config_for(endpoint: &str) -> aws_sdk_datapipeline::config::Builder {
    sdk_config(endpoint)
}

/// An on-demand `Default` object for `worker_group`.
pub fn on_demand_default(worker_group: &str) -> PipelineObject {
    object(
        "Default",
        vec![
            string("scheduleType", "ondemand"),
            string("workerGroup", worker_group),
        ],
    )
}

/// A ShellCommandActivity with extra fields (the runner routes on `type` or
/// `my…` fields; the command itself is never run by these tests).
pub fn activity(id: &str, extra: Vec<Field>) -> PipelineObject {
    let mut fields = vec![
        string("type", "ShellCommandActivity"),
        string("command", "true"),
    ];
    fields.extend(extra);
    object(id, fields)
}

/// Creates a pipeline, puts `objects` and activates it; answers its id.
pub async fn submit(client: &Client, name: &str, objects: Vec<PipelineObject>) -> String {
    testkit::submit(client, name, objects)
        .await
        .expect("the pipeline is submitted")
}

/// The fields of object `id`.
pub async fn fields_of(client: &Client, pipeline: &str, id: &str) -> Vec<Field> {
    let described = client
        .describe_objects()
        .pipeline_id(pipeline)
        .object_ids(id)
        .send()
        .await
        .expect("describe");
    described
        .pipeline_objects
        .into_iter()
        .next()
        .map(|object| object.fields)
        .unwrap_or_default()
}

/// The first value of `key` on object `id`.
pub async fn field_of(client: &Client, pipeline: &str, id: &str, key: &str) -> Option<String> {
    fields_of(client, pipeline, id)
        .await
        .into_iter()
        .find(|field| field.key == key)
        .and_then(|field| field.string_value)
}

/// The instance ids of a pipeline.
pub async fn instances(client: &Client, pipeline: &str) -> Vec<String> {
    let query = client
        .query_objects()
        .pipeline_id(pipeline)
        .sphere("INSTANCE")
        .send()
        .await
        .expect("query");
    query.ids.unwrap_or_default()
}

/// The instance of `component`.
pub async fn instance_of(client: &Client, pipeline: &str, component: &str) -> String {
    let prefix = format!("@{component}_");
    instances(client, pipeline)
        .await
        .into_iter()
        .find(|id| id.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{component} has an instance"))
}

/// Waits, polling the service, until the instance of `component` has one
/// of `statuses`; answers the status. Gives up after `limit`.
pub async fn wait_for_status(
    client: &Client,
    pipeline: &str,
    component: &str,
    statuses: &[&str],
    limit: Duration,
) -> String {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let instance = instance_of(client, pipeline, component).await;
        let status = field_of(client, pipeline, &instance, "@status")
            .await
            .unwrap_or_default();
        if statuses.contains(&status.as_str()) {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{component} is still {status}, not one of {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

// ---------------------------------------------------------------------------
// Runner-side helpers: timing that matches the compressed service, a runner
// running in the background, and bounded waits.
// ---------------------------------------------------------------------------

/// Lease timing for a service on [`fast_timing`]: the runner assumes the
/// service's 3 s default `reportProgressTimeout` and 2 s acknowledgement
/// deadline, and reports every 200 ms.
pub fn fast_lease() -> LeaseConfig {
    lease_for(Duration::from_secs(3))
}

/// Lease timing for a service whose default `reportProgressTimeout` is
/// `report_timeout`.
pub fn lease_for(report_timeout: Duration) -> LeaseConfig {
    LeaseConfig {
        progress_interval: Duration::from_millis(200),
        jitter: 0.0,
        default_report_timeout: report_timeout,
        acknowledgement_timeout: Duration::from_secs(2),
        deadline_margin: Duration::from_millis(250),
        minimum_report_spacing: Duration::from_millis(50),
        retry_initial_backoff: Duration::from_millis(40),
        retry_max_backoff: Duration::from_millis(300),
        jitter_seed: Some(7),
        ..LeaseConfig::default()
    }
}

/// Retry delays in milliseconds rather than seconds.
pub fn fast_backoff() -> Backoff {
    Backoff {
        base: Duration::from_millis(20),
        throttled_base: Duration::from_millis(50),
        cap: Duration::from_millis(300),
    }
}

/// A runner builder for `worker_group` with test timing: fast lease
/// reports, fast backoff, no call budget, a 1 s cancel grace. The client is
/// used as the binary uses it (`Runner::builder` wraps it in `SdkTaskService`).
pub fn runner_for(client: &Client, worker_group: &str) -> RunnerBuilder {
    Runner::builder(client.clone())
        .worker_group(worker_group)
        .lease_config(fast_lease())
        .budget(CallBudget::unlimited())
        .backoff(fast_backoff())
        .cancel_grace(Duration::from_secs(1))
        .drain_timeout(Duration::from_secs(10))
        .scratch_root(std::env::temp_dir().join("taskrunner-tests"))
}

/// A runner running in the background until [`Running::stop`].
pub struct Running {
    stop: CancellationToken,
    run: tokio::task::JoinHandle<RunSummary>,
}

impl Running {
    /// Spawns `runner.run_until(…)`.
    pub fn start(runner: Runner) -> Self {
        let stop = CancellationToken::new();
        let run = tokio::spawn(runner.run_until(stop.clone().cancelled_owned()));
        Self { stop, run }
    }

    /// Asks the runner to shut down and waits (at most 20 s) for its summary.
    pub async fn stop(self) -> RunSummary {
        self.stop.cancel();
        self.join().await
    }

    /// Waits (at most 20 s) for the runner to stop on its own.
    pub async fn join(self) -> RunSummary {
        tokio::time::timeout(Duration::from_secs(20), self.run)
            .await
            .expect("the runner stops within 20 s")
            .expect("the runner does not panic")
    }

    /// Whether the runner has stopped.
    pub fn is_finished(&self) -> bool {
        self.run.is_finished()
    }
}

/// Polls `condition` every 25 ms until it holds; panics naming `what` after
/// `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The first reference `key` of object `id`.
pub async fn ref_of(client: &Client, pipeline: &str, id: &str, key: &str) -> Option<String> {
    fields_of(client, pipeline, id)
        .await
        .into_iter()
        .find(|field| field.key == key)
        .and_then(|field| field.ref_value)
}

/// The latest attempt of `component`'s instance.
pub async fn head_attempt(client: &Client, pipeline: &str, component: &str) -> String {
    let instance = instance_of(client, pipeline, component).await;
    ref_of(client, pipeline, &instance, "@headAttempt")
        .await
        .unwrap_or_else(|| panic!("{component} has an attempt"))
}

/// Field `key` of the latest attempt of `component`.
pub async fn attempt_field(
    client: &Client,
    pipeline: &str,
    component: &str,
    key: &str,
) -> Option<String> {
    let attempt = head_attempt(client, pipeline, component).await;
    field_of(client, pipeline, &attempt, key).await
}

/// The pipeline's `@pipelineState`.
pub async fn pipeline_state(client: &Client, pipeline: &str) -> String {
    let described = client
        .describe_pipelines()
        .pipeline_ids(pipeline)
        .send()
        .await
        .expect("describe pipelines");
    described
        .pipeline_description_list
        .into_iter()
        .next()
        .and_then(|description| {
            description
                .fields
                .into_iter()
                .find(|field| field.key == "@pipelineState")
        })
        .and_then(|field| field.string_value)
        .unwrap_or_default()
}

/// An SDK client whose own retries are fast, many and free of the SDK's
/// retry quota: for tests against a service that injects faults, so that the
/// test's own calls (create, describe, …) get through.
pub fn patient_client_for(endpoint: &str) -> Client {
    retrying_client_for(endpoint, "taskrunner-tests-patient", 12)
}

/// An SDK client that retries once, quickly: the runner's own retries and
/// backoff then see most of the injected faults.
pub fn hasty_client_for(endpoint: &str) -> Client {
    retrying_client_for(endpoint, "taskrunner-tests-hasty", 2)
}

/// A client making up to `attempts` attempts per call, 10–100 ms apart, with
/// a retry partition of its own whose token bucket never runs dry (the
/// SDK's default bucket is shared process-wide and empties under chaos).
fn retrying_client_for(endpoint: &str, partition: &'static str, attempts: u32) -> Client {
    let retry = RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(100));
    let partition = RetryPartition::custom(partition)
        .token_bucket(TokenBucket::unlimited())
        .build();
    Client::from_conf(
        config_for(endpoint)
            .retry_config(retry)
            .retry_partition(partition)
            .build(),
    )
}
