//! System-managed preconditions are checked by the service itself, as AWS
//! does (dp-concepts-preconditions.md): `S3KeyExists` and
//! `S3PrefixNotEmpty` against a real S3 store (s3s-fs over a temporary
//! directory, on 127.0.0.1:0), the DynamoDB ones fail with a clear error,
//! and no runner is ever handed any of them.

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::types::PipelineObject;
use aws_sdk_datapipeline::Client;
use datapipeline_local::{Config, Credentials, S3Access, Timing};
use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use support::*;
use tokio::net::TcpListener;

const ACCESS_KEY: &str = "AKIDPRECONDITIONS";
const SECRET_KEY: &str = "preconditions-secret";
const BUCKET: &str = "inputs";
const WORKER_GROUP: &str = "checks";

/// An S3 store over a temporary directory with the bucket [`BUCKET`].
struct Store {
    root: tempfile::TempDir,
    endpoint: String,
    accept: tokio::task::JoinHandle<()>,
}

impl Store {
    async fn start() -> Self {
        let root = tempfile::tempdir().expect("a store root");
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket");
        let filesystem = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let service = {
            let mut builder = S3ServiceBuilder::new(filesystem);
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            builder.build()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            root,
            endpoint,
            accept,
        }
    }

    /// Writes an object straight into the store's directory.
    fn write(&self, key: &str, contents: &str) {
        let path = self.root.path().join(BUCKET).join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("the key's directories");
        }
        std::fs::write(path, contents).expect("the object");
    }

    fn access(&self) -> S3Access {
        S3Access::new(&self.endpoint).with_credentials(Credentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
        })
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A service with fast timing that checks preconditions against `s3`.
async fn service_with(s3: Option<S3Access>) -> Bench {
    bench_with(Config {
        timing: Timing::fast(),
        s3,
        ..Config::default()
    })
    .await
}

/// An on-demand pipeline: `Work` guarded by precondition `Ready`, whose
/// fields are `ready` (a `retryDelay` of one pipeline minute, 0.1 s here).
fn guarded(ready: Vec<aws_sdk_datapipeline::types::Field>) -> Vec<PipelineObject> {
    let mut fields = vec![string("role", "DataPipelineDefaultRole")];
    fields.push(string("retryDelay", "1 minutes"));
    fields.extend(ready);
    vec![
        on_demand_default(WORKER_GROUP),
        object("Ready", fields),
        shell("Work", "true", vec![reference("precondition", "Ready")]),
    ]
}

/// The `(status, errorId, errorMessage)` of the instance of `component`
/// once it has ended.
async fn ended(client: &Client, pipeline: &str, component: &str) -> (String, String, String) {
    let prefix = format!("@{component}_");
    let instance = eventually("the instance ends", Duration::from_secs(20), || async {
        statuses(client, pipeline, "INSTANCE")
            .await
            .into_iter()
            .find(|(id, status)| {
                id.starts_with(&prefix)
                    && matches!(status.as_str(), "FINISHED" | "FAILED" | "CASCADE_FAILED")
            })
            .map(|(id, _)| id)
    })
    .await;
    let described = client
        .describe_objects()
        .pipeline_id(pipeline)
        .object_ids(&instance)
        .send()
        .await
        .expect("describe");
    let object = described.pipeline_objects.first().expect("the instance");
    let value = |key| field(object, key).unwrap_or_default().to_owned();
    (value("@status"), value("errorId"), value("errorMessage"))
}

/// The statuses of the attempts of `component`, oldest first.
async fn attempts_of(client: &Client, pipeline: &str, component: &str) -> Vec<String> {
    let prefix = format!("@{component}_");
    statuses(client, pipeline, "ATTEMPT")
        .await
        .into_iter()
        .filter(|(id, _)| id.starts_with(&prefix))
        .map(|(_, status)| status)
        .collect()
}

#[tokio::test]
async fn a_key_that_exists_finishes_the_precondition_without_a_runner() {
    let store = Store::start().await;
    store.write("day/1/_SUCCESS", "");
    let bench = service_with(Some(store.access())).await;
    let pipeline = activate(
        &bench.client,
        "key-exists",
        guarded(vec![
            string("type", "S3KeyExists"),
            string("s3Key", &format!("s3://{BUCKET}/day/1/_SUCCESS")),
        ]),
    )
    .await;
    let (status, _, _) = ended(&bench.client, &pipeline, "Ready").await;
    assert_eq!(status, "FINISHED");
    // The only task a runner ever sees is the guarded work.
    let task = poll_until_task(&bench.client, WORKER_GROUP, Duration::from_secs(10)).await;
    assert!(instance_of(&task).starts_with("@Work_"), "{task:?}");
    // The check ran as an attempt of the service's own.
    let attempt = statuses(&bench.client, &pipeline, "ATTEMPT")
        .await
        .into_iter()
        .find(|(id, _)| id.starts_with("@Ready_"))
        .expect("an attempt of Ready");
    assert_eq!(attempt.1, "FINISHED");
    let described = bench
        .client
        .describe_objects()
        .pipeline_id(&pipeline)
        .object_ids(&attempt.0)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        field(&described.pipeline_objects[0], "hostname"),
        Some("datapipeline-local")
    );
}

#[tokio::test]
async fn a_key_written_during_the_retry_window_finishes_the_precondition() {
    let store = Store::start().await;
    let bench = service_with(Some(store.access())).await;
    let pipeline = activate(
        &bench.client,
        "key-written-later",
        guarded(vec![
            string("type", "S3KeyExists"),
            string("s3Key", &format!("s3://{BUCKET}/late/_SUCCESS")),
            string("preconditionTimeout", "1 hours"),
        ]),
    )
    .await;
    eventually("a first FALSE", Duration::from_secs(10), || async {
        let attempts = attempts_of(&bench.client, &pipeline, "Ready").await;
        attempts
            .iter()
            .any(|status| status == "FAILED")
            .then_some(())
    })
    .await;
    store.write("late/_SUCCESS", "done");
    let (status, _, _) = ended(&bench.client, &pipeline, "Ready").await;
    assert_eq!(status, "FINISHED");
    let attempts = attempts_of(&bench.client, &pipeline, "Ready").await;
    assert!(attempts.len() >= 2, "{attempts:?}");
    assert_eq!(attempts.iter().filter(|s| *s == "FINISHED").count(), 1);
}

#[tokio::test]
async fn a_key_never_written_fails_at_the_precondition_timeout() {
    let store = Store::start().await;
    let bench = service_with(Some(store.access())).await;
    let pipeline = activate(
        &bench.client,
        "key-never-written",
        guarded(vec![
            string("type", "S3KeyExists"),
            string("s3Key", &format!("s3://{BUCKET}/never")),
            // Half a second at 600×: several checks, then the end.
            string("preconditionTimeout", "5 minutes"),
        ]),
    )
    .await;
    let (status, error_id, _) = ended(&bench.client, &pipeline, "Ready").await;
    assert_eq!(
        (status.as_str(), error_id.as_str()),
        ("FAILED", "PreconditionTimeout")
    );
    let (work, _, _) = ended(&bench.client, &pipeline, "Work").await;
    assert_eq!(work, "CASCADE_FAILED");
    let attempts = attempts_of(&bench.client, &pipeline, "Ready").await;
    assert!(attempts.len() >= 2, "{attempts:?}");
    assert!(
        attempts.iter().all(|status| status == "FAILED"),
        "{attempts:?}"
    );
}

#[tokio::test]
async fn a_prefix_holds_once_something_is_under_it() {
    let store = Store::start().await;
    store.write("logs/2026/part-0000", "row");
    let bench = service_with(Some(store.access())).await;
    let pipeline = activate(
        &bench.client,
        "prefix",
        vec![
            on_demand_default(WORKER_GROUP),
            object(
                "Full",
                vec![
                    string("type", "S3PrefixNotEmpty"),
                    string("role", "DataPipelineDefaultRole"),
                    string("s3Prefix", &format!("s3://{BUCKET}/logs/2026/")),
                ],
            ),
            object(
                "Empty",
                vec![
                    string("type", "S3PrefixNotEmpty"),
                    string("role", "DataPipelineDefaultRole"),
                    string("s3Prefix", &format!("s3://{BUCKET}/logs/2027/")),
                    string("retryDelay", "1 minutes"),
                    string("preconditionTimeout", "3 minutes"),
                ],
            ),
            shell("First", "true", vec![reference("precondition", "Full")]),
            shell("Second", "true", vec![reference("precondition", "Empty")]),
        ],
    )
    .await;
    let (full, _, _) = ended(&bench.client, &pipeline, "Full").await;
    assert_eq!(full, "FINISHED");
    let (empty, error_id, _) = ended(&bench.client, &pipeline, "Empty").await;
    assert_eq!(
        (empty.as_str(), error_id.as_str()),
        ("FAILED", "PreconditionTimeout")
    );
}

#[tokio::test]
async fn without_an_s3_store_the_precondition_fails_saying_how_to_give_one() {
    let bench = service_with(None).await;
    let pipeline = activate(
        &bench.client,
        "no-store",
        guarded(vec![
            string("type", "S3KeyExists"),
            string("s3Key", "s3://anywhere/key"),
        ]),
    )
    .await;
    let (status, error_id, message) = ended(&bench.client, &pipeline, "Ready").await;
    assert_eq!(
        (status.as_str(), error_id.as_str()),
        ("FAILED", "NoS3Store")
    );
    assert!(message.contains("--s3-endpoint"), "{message}");
    // Failed for good at once: no retries spent on a missing store.
    assert_eq!(
        attempts_of(&bench.client, &pipeline, "Ready").await.len(),
        1
    );
    let (work, _, _) = ended(&bench.client, &pipeline, "Work").await;
    assert_eq!(work, "CASCADE_FAILED");
}

#[tokio::test]
async fn dynamodb_preconditions_fail_naming_the_type() {
    let store = Store::start().await;
    let bench = service_with(Some(store.access())).await;
    let pipeline = activate(
        &bench.client,
        "dynamodb",
        guarded(vec![
            string("type", "DynamoDBTableExists"),
            string("tableName", "orders"),
        ]),
    )
    .await;
    let (status, error_id, message) = ended(&bench.client, &pipeline, "Ready").await;
    assert_eq!(
        (status.as_str(), error_id.as_str()),
        ("FAILED", "DynamoDBNotEmulated")
    );
    assert!(message.contains("DynamoDBTableExists"), "{message}");
}

#[tokio::test]
async fn a_check_in_flight_at_a_restart_runs_again_after_it() {
    let directory = tempfile::tempdir().expect("a state directory");
    let path = directory.path().join("state.db");
    // A store that takes connections and never answers: the first
    // service's check is still in flight when it stops.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_endpoint = format!("http://{}", silent.local_addr().expect("address"));
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let config = |s3| Config {
        timing: Timing::fast(),
        state: Some(path.clone()),
        s3: Some(s3),
        ..Config::default()
    };
    let first = bench_with(config(S3Access::new(&silent_endpoint))).await;
    let pipeline = activate(
        &first.client,
        "restarted-check",
        guarded(vec![
            string("type", "S3KeyExists"),
            string("s3Key", &format!("s3://{BUCKET}/day/_SUCCESS")),
        ]),
    )
    .await;
    eventually(
        "the check is in flight",
        Duration::from_secs(10),
        || async {
            let attempts = attempts_of(&first.client, &pipeline, "Ready").await;
            (attempts == ["RUNNING"]).then_some(())
        },
    )
    .await;
    first.service.shutdown().await;
    hold.abort();

    let store = Store::start().await;
    store.write("day/_SUCCESS", "");
    let second = bench_with(config(store.access())).await;
    let (status, _, _) = ended(&second.client, &pipeline, "Ready").await;
    assert_eq!(status, "FINISHED");
    assert_eq!(
        attempts_of(&second.client, &pipeline, "Ready").await,
        ["FINISHED"]
    );
}
