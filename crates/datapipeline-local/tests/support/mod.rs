//! What the end-to-end tests share: a service on 127.0.0.1:0 and the real
//! SDK client pointed at it.

#![allow(dead_code, unreachable_pub, unused_imports)]

use std::time::Duration;

use aws_sdk_datapipeline::types::{Field, PipelineObject};
use aws_sdk_datapipeline::Client;
pub use datapipeline_local::testkit::{object, reference, sdk_config, string, submit};
use datapipeline_local::{start, Config, ServiceHandle, Timing};

/// A running service and a client for it.
pub struct Bench {
    pub service: ServiceHandle,
    pub client: Client,
}

/// Starts a service with `config` and builds an SDK client for it.
pub async fn bench_with(config: Config) -> Bench {
    let service = start(config).await.expect("the service starts");
    let client = client_for(&service.endpoint_url(), "AKIDLOCAL", "local-secret");
    Bench { service, client }
}

/// A service with fast timing.
pub async fn bench() -> Bench {
    bench_with(Config {
        timing: Timing::fast(),
        ..Config::default()
    })
    .await
}

/// An SDK client for `endpoint` with these credentials and no retries, so
/// tests see every error the service answers.
pub fn client_for(endpoint: &str, access_key_id: &str, secret_access_key: &str) -> Client {
    let credentials = aws_credential_types::Credentials::new(
        access_key_id,
        secret_access_key,
        None,
        None,
        "tests",
    );
    let config = sdk_config(endpoint)
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

/// Creates a pipeline, puts `objects` and activates it; answers its id.
pub async fn activate(client: &Client, name: &str, objects: Vec<PipelineObject>) -> String {
    submit(client, name, objects)
        .await
        .expect("the pipeline is submitted")
}

/// An on-demand `Default` object for worker group `worker_group`.
pub fn on_demand_default(worker_group: &str) -> PipelineObject {
    object(
        "Default",
        vec![
            string("scheduleType", "ondemand"),
            string("workerGroup", worker_group),
            string("failureAndRerunMode", "cascade"),
        ],
    )
}

/// A shell activity.
pub fn shell(id: &str, command: &str, extra: Vec<Field>) -> PipelineObject {
    let mut fields = vec![
        string("type", "ShellCommandActivity"),
        string("command", command),
    ];
    fields.extend(extra);
    object(id, fields)
}

/// The `@status` of object `id`.
pub async fn status_of(client: &Client, pipeline: &str, id: &str) -> String {
    let described = client
        .describe_objects()
        .pipeline_id(pipeline)
        .object_ids(id)
        .send()
        .await
        .expect("describe");
    let object = described
        .pipeline_objects
        .first()
        .unwrap_or_else(|| panic!("{id} exists"));
    object
        .fields
        .iter()
        .find(|field| field.key == "@status")
        .and_then(|field| field.string_value.clone())
        .unwrap_or_default()
}

/// A service with `timing` and the default limits.
pub async fn bench_timing(timing: Timing) -> Bench {
    bench_with(Config {
        timing,
        ..Config::default()
    })
    .await
}

/// Timing for lease tests: short acknowledgement and progress deadlines, no
/// retry floor, pipeline time at 600×.
pub fn lease_timing() -> Timing {
    Timing {
        long_poll_wait: Duration::from_millis(200),
        ack_timeout: Duration::from_millis(300),
        default_report_progress_timeout: Duration::from_millis(400),
        retry_delay_floor: Duration::ZERO,
        time_scale: 600.0,
        work_time_scale: 600.0,
    }
}

/// The first value of `key` on `object`, string or reference.
pub fn field<'a>(object: &'a PipelineObject, key: &str) -> Option<&'a str> {
    object
        .fields
        .iter()
        .find(|field| field.key == key)
        .and_then(|field| field.string_value.as_deref().or(field.ref_value.as_deref()))
}

/// Creates a pipeline named `name` (uniqueId = name) and puts `objects`.
pub async fn define(client: &Client, name: &str, objects: Vec<PipelineObject>) -> String {
    let id = client
        .create_pipeline()
        .name(name)
        .unique_id(name)
        .send()
        .await
        .expect("create")
        .pipeline_id;
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(objects))
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "the definition is valid: {put:?}");
    id
}

/// A polled task: its id, attempt id and the attempt object.
#[derive(Debug, Clone)]
pub struct Task {
    pub task_id: String,
    pub pipeline_id: String,
    pub attempt_id: String,
    pub attempt: PipelineObject,
    pub objects: std::collections::HashMap<String, PipelineObject>,
}

impl Task {
    /// The first value of `key` on the attempt object.
    pub fn field(&self, key: &str) -> Option<&str> {
        field(&self.attempt, key)
    }
}

/// The id of the instance `task` is an attempt of (`@instanceParent`).
pub fn instance_of(task: &Task) -> String {
    task.field("@instanceParent")
        .expect("@instanceParent")
        .to_owned()
}

/// SetStatus `status` (TRY_CANCEL, RERUN, PAUSE, …) for object `id`.
pub async fn set_status(client: &Client, pipeline: &str, id: &str, status: &str) {
    client
        .set_status()
        .pipeline_id(pipeline)
        .object_ids(id)
        .status(status)
        .send()
        .await
        .expect("set status");
}

/// One PollForTask on `worker_group`: the task, or `None` after the long poll.
pub async fn poll(client: &Client, worker_group: &str) -> Option<Task> {
    let output = client
        .poll_for_task()
        .worker_group(worker_group)
        .hostname("test-host")
        .send()
        .await
        .expect("poll");
    let task = output.task_object?;
    let attempt_id = task.attempt_id.expect("attemptId");
    let objects = task.objects.expect("objects");
    Some(Task {
        task_id: task.task_id.expect("taskId"),
        pipeline_id: task.pipeline_id.expect("pipelineId"),
        attempt: objects
            .get(&attempt_id)
            .cloned()
            .expect("the attempt object is keyed by its id"),
        attempt_id,
        objects,
    })
}

/// Polls `worker_group` until a task arrives or `within` passes.
pub async fn poll_until_task(client: &Client, worker_group: &str, within: Duration) -> Task {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(task) = poll(client, worker_group).await {
            return task;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no task for {worker_group} within {within:?}"
        );
    }
}

/// Acknowledges `task`; answers `canceled`.
pub async fn ack(client: &Client, task: &Task) -> bool {
    client
        .report_task_progress()
        .task_id(&task.task_id)
        .send()
        .await
        .expect("report")
        .canceled
}

/// Ends `task` with `status`.
pub async fn finish(client: &Client, task: &Task, status: aws_sdk_datapipeline::types::TaskStatus) {
    client
        .set_task_status()
        .task_id(&task.task_id)
        .task_status(status)
        .send()
        .await
        .expect("set task status");
}

/// Calls `check` every 10 ms until it answers `Some`, for at most `within`:
/// for state that changes on the service's own timers.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every `(id, @status)` of a sphere, sorted by id.
pub async fn statuses(client: &Client, pipeline: &str, sphere: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = describe_sphere(client, pipeline, sphere)
        .await
        .into_iter()
        .map(|object| {
            let status = field(&object, "@status").unwrap_or_default().to_owned();
            (object.id, status)
        })
        .collect();
    out.sort();
    out
}

/// Every object of a sphere, described (25 ids a call, the service's most).
pub async fn describe_sphere(client: &Client, pipeline: &str, sphere: &str) -> Vec<PipelineObject> {
    let ids = client
        .query_objects()
        .pipeline_id(pipeline)
        .sphere(sphere)
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default();
    let mut objects = Vec::new();
    for chunk in ids.chunks(25) {
        let described = client
            .describe_objects()
            .pipeline_id(pipeline)
            .set_object_ids(Some(chunk.to_vec()))
            .send()
            .await
            .expect("describe");
        objects.extend(described.pipeline_objects);
    }
    objects
}

/// An HTTP client for requests the SDK cannot send.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// POSTs `body` to `endpoint` as operation `target` in AWS JSON 1.1; answers
/// the status and the body as JSON (`Null` for an empty body).
pub async fn raw(
    http: &reqwest::Client,
    endpoint: &str,
    target: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, serde_json::Value) {
    let response = http
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("DataPipeline.{target}"))
        .body(body)
        .send()
        .await
        .expect("the service answers");
    read(response).await
}

/// The status and JSON body of a response.
pub async fn read(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("a body");
    let value = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|error| panic!("the body is JSON ({error}): {bytes:?}"))
    };
    (status, value)
}

/// Asserts that a raw answer is error `code` with a message containing
/// `needle`.
#[track_caller]
pub fn assert_error(answer: &(u16, serde_json::Value), status: u16, code: &str, needle: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["__type"], code, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "the message names '{needle}': {message}"
    );
}
