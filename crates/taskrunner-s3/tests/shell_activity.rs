//! ShellCommandActivity with `S3Storage`, end to end against a real S3
//! server: an `s3://` scriptUri, `s3://` stdout and stderr, and staged
//! S3DataNode inputs and outputs.

use crate::support;

use std::sync::Arc;

use support::{S3Server, BUCKET};
use taskrunner_activity::{Activity, Failure, Outcome, TaskContext};
use taskrunner_api::{Field, Task, TaskObject};
use taskrunner_shell::{error_id, ShellCommandActivity, ShellConfig};

const ATTEMPT_ID: &str = "@Transform_2024-01-01T00:00:00_Attempt=1";

fn uri(key: &str) -> String {
    format!("s3://{BUCKET}/{key}")
}

fn data_node(id: &str, key: &str, value: &str) -> TaskObject {
    TaskObject::new(id, id)
        .with_field(Field::string("type", "S3DataNode"))
        .with_field(Field::string(key, value))
}

/// Runs a ShellCommandActivity on the attempt with `fields` (plus
/// references), carrying `nodes`, with the server's storage.
async fn run(
    server: &S3Server,
    attempt: TaskObject,
    nodes: Vec<TaskObject>,
) -> Result<Outcome, Failure> {
    let task = nodes.into_iter().fold(
        Task::new("task-s3-e2e", "df-S3TEST", ATTEMPT_ID).with_object(attempt),
        Task::with_object,
    );
    let scratch = tempfile::tempdir().expect("scratch");
    let activity = ShellCommandActivity::new(ShellConfig {
        storage: Some(server.storage() as Arc<_>),
        ..ShellConfig::default()
    });
    let context = TaskContext::builder(task)
        .scratch_root(scratch.path())
        .build();
    activity.run(context).await.map_err(Failure::from_error)
}

fn attempt(fields: &[(&str, &str)]) -> TaskObject {
    fields.iter().fold(
        TaskObject::new(ATTEMPT_ID, "Transform")
            .with_field(Field::string("type", "ShellCommandActivity"))
            .with_field(Field::reference("@componentParent", "Transform")),
        |object, (key, value)| object.with_field(Field::string(*key, *value)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_from_s3_stages_s3_data_in_and_out_and_writes_stdout_to_s3() {
    let server = S3Server::start().await;
    server
        .put(
            "scripts/transform.sh",
            r#"set -eu
echo "transforming with $1"
cat "$INPUT1_STAGING_DIR/part-1.csv" "$INPUT1_STAGING_DIR/more/part-2.csv" | tr a-z A-Z > "$OUTPUT1_STAGING_DIR/upper.csv"
mkdir -p "$OUTPUT1_STAGING_DIR/report"
wc -l < "$OUTPUT1_STAGING_DIR/upper.csv" | tr -d ' ' > "$OUTPUT1_STAGING_DIR/report/lines.txt"
cp "$INPUT2_STAGING_DIR/lookup.txt" "$OUTPUT2_STAGING_DIR/lookup-copy.txt"
echo "a warning" >&2
"#,
        )
        .await;
    server.put("input/part-1.csv", "a,b\n").await;
    server.put("input/more/part-2.csv", "c,d\n").await;
    server.put("lookups/lookup.txt", "lookup\n").await;

    let object = attempt(&[
        ("scriptUri", &uri("scripts/transform.sh")),
        ("scriptArgument", "fast"),
        ("stdout", &uri("logs/stdout.txt")),
        ("stderr", &uri("logs/stderr.txt")),
        ("stage", "true"),
    ])
    .with_field(Field::reference("input", "In"))
    .with_field(Field::reference("input", "Lookup"))
    .with_field(Field::reference("output", "Out"))
    .with_field(Field::reference("output", "Copy"));
    let nodes = vec![
        data_node("In", "directoryPath", &uri("input")),
        data_node("Lookup", "filePath", &uri("lookups/lookup.txt")),
        data_node("Out", "directoryPath", &uri("output/")),
        data_node("Copy", "filePath", &uri("copies/lookup-copy.txt")),
    ];

    let outcome = run(&server, object, nodes).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    assert_eq!(
        server.get_text("logs/stdout.txt").await.as_deref(),
        Some("transforming with fast\n")
    );
    assert_eq!(
        server.get_text("logs/stderr.txt").await.as_deref(),
        Some("a warning\n")
    );
    assert_eq!(
        server.get_text("output/upper.csv").await.as_deref(),
        Some("A,B\nC,D\n")
    );
    assert_eq!(
        server.get_text("output/report/lines.txt").await.as_deref(),
        Some("2\n")
    );
    assert_eq!(
        server.get_text("copies/lookup-copy.txt").await.as_deref(),
        Some("lookup\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_s3_script_fails_the_task_naming_it() {
    let server = S3Server::start().await;
    let outcome = run(
        &server,
        attempt(&[("scriptUri", &uri("scripts/absent.sh"))]),
        Vec::new(),
    )
    .await;
    match outcome {
        Err(failure) => {
            assert_eq!(failure.error_id, error_id::SCRIPT_FETCH_FAILED);
            let message = failure.message;
            assert!(message.contains(&uri("scripts/absent.sh")), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
