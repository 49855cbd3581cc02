//! What the runner's end-to-end tests share: `datapipeline-local` on
//! 127.0.0.1:0, the real SDK client pointed at it, and helpers to submit
//! pipelines and read their statuses.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use aws_sdk_datapipeline::types::{Field, PipelineObject};
use aws_sdk_datapipeline::Client;
use datapipeline_local::{start, Config, ServiceHandle, Timing};

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
    bench_with(Config { timing: fast_timing(), ..Config::default() }).await
}

/// Timing that compresses the service's minutes into seconds.
pub fn fast_timing() -> Timing {
    Timing { long_poll_wait: Duration::from_millis(300), ..Timing::fast() }
}

/// An SDK client for `endpoint` with static credentials.
pub fn client_for(endpoint: &str) -> Client {
    let credentials = aws_credential_types::Credentials::new("AKIDLOCAL", "local-secret", None, None, "tests");
    let config = aws_sdk_datapipeline::Config::builder()
        .behavior_version(aws_sdk_datapipeline::config::BehaviorVersion::latest())
        .region(aws_sdk_datapipeline::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .build();
    Client::from_conf(config)
}

/// A string field.
pub fn string(key: &str, value: &str) -> Field {
    Field::builder().key(key).string_value(value).build().expect("key is set")
}

/// A reference field.
pub fn reference(key: &str, id: &str) -> Field {
    Field::builder().key(key).ref_value(id).build().expect("key is set")
}

/// An object with `fields`; its name is its id.
pub fn object(id: &str, fields: Vec<Field>) -> PipelineObject {
    PipelineObject::builder().id(id).name(id).set_fields(Some(fields)).build().expect("id, name and fields are set")
}

/// An on-demand `Default` object for `worker_group`.
pub fn on_demand_default(worker_group: &str) -> PipelineObject {
    object("Default", vec![string("scheduleType", "ondemand"), string("workerGroup", worker_group)])
}

/// A ShellCommandActivity with extra fields (the runner routes on `type` or
/// `my…` fields; the command itself is never run by these tests).
pub fn activity(id: &str, extra: Vec<Field>) -> PipelineObject {
    let mut fields = vec![string("type", "ShellCommandActivity"), string("command", "true")];
    fields.extend(extra);
    object(id, fields)
}

/// Creates a pipeline, puts `objects` and activates it; answers its id.
pub async fn submit(client: &Client, name: &str, objects: Vec<PipelineObject>) -> String {
    let id = client.create_pipeline().name(name).unique_id(name).send().await.expect("create").pipeline_id;
    let put =
        client.put_pipeline_definition().pipeline_id(&id).set_pipeline_objects(Some(objects)).send().await.expect("put");
    assert!(!put.errored, "the definition is valid: {put:?}");
    client.activate_pipeline().pipeline_id(&id).send().await.expect("activate");
    id
}

/// The fields of object `id`.
pub async fn fields_of(client: &Client, pipeline: &str, id: &str) -> Vec<Field> {
    let described = client.describe_objects().pipeline_id(pipeline).object_ids(id).send().await.expect("describe");
    described.pipeline_objects.into_iter().next().map(|object| object.fields).unwrap_or_default()
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
    let query = client.query_objects().pipeline_id(pipeline).sphere("INSTANCE").send().await.expect("query");
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
pub async fn wait_for_status(client: &Client, pipeline: &str, component: &str, statuses: &[&str], limit: Duration) -> String {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let instance = instance_of(client, pipeline, component).await;
        let status = field_of(client, pipeline, &instance, "@status").await.unwrap_or_default();
        if statuses.contains(&status.as_str()) {
            return status;
        }
        assert!(tokio::time::Instant::now() < deadline, "{component} is still {status}, not one of {statuses:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
