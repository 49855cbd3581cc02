//! What a user moving from the Java Task Runner relies on, through the
//! binary as a process against datapipeline-local and a real local S3
//! (s3s-fs): `Exists` preconditions (dp-object-exists.md), and the files
//! an unchanged Java command line leaves on disk and in S3
//! (dp-how-task-runner-user-managed.md, dp-error-logs.md).

use crate::support;
// The S3 server the taskrunner-s3 tests use.
use crate::s3;

use std::path::Path;
use std::time::Duration;

use aws_sdk_datapipeline::types::PipelineObject;
use support::*;

/// How long a task may take to reach its end here.
const TASK_LIMIT: Duration = Duration::from_secs(20);
/// The secret key the runner is given: no file may hold it.
const SECRET_KEY: &str = "taskrunner-test-secret";

/// The Java runner's flags, as a user would carry them over, for
/// `worker_group` (no `--output`), plus the S3 store's endpoint.
fn java_flags(service: &Service, s3: &s3::S3Server, worker_group: &str) -> Vec<String> {
    let mut arguments: Vec<String> = [
        "--endpoint",
        &service.url(),
        "--workerGroup",
        worker_group,
        // The local Data Pipeline service checks no signature; s3s does.
        "--accessId",
        "AKIDTASKRUNNERTEST",
        "--secretKey",
        SECRET_KEY,
        "--region",
        "us-east-1",
        "--s3-endpoint",
        &s3.endpoint,
    ]
    .iter()
    .map(|argument| (*argument).to_owned())
    .collect();
    arguments.extend(fast_flags());
    arguments
}

/// The Guide's `Exists` example: a data node guarded by `Ready`, read by
/// an activity.
fn guarded_node(node: &str, check: &str, path_field: &str, path: &str) -> Vec<PipelineObject> {
    vec![
        object(
            node,
            vec![
                string("type", "S3DataNode"),
                string(path_field, path),
                reference("precondition", check),
            ],
        ),
        object(
            check,
            vec![
                string("type", "Exists"),
                // No preconditionTimeout: the runner checks once per
                // attempt, and the service retries a FALSE after
                // retryDelay (1 s at 600×) while maximumRetries allows.
                // (With one, the runner re-checks inside the attempt
                // every retryDelay of wall-clock time: tests/preconditions.rs.)
                string("retryDelay", "10 minutes"),
                string("maximumRetries", "5"),
            ],
        ),
        shell(
            &format!("Read{node}"),
            "true",
            vec![reference("input", node)],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exists_holds_when_the_data_node_is_there_and_is_false_until_it_is() {
    let s3 = s3::S3Server::start().await;
    s3.put("in/2026-01-01.csv", "a,b\n").await;
    let service = service().await;
    let mut objects = vec![on_demand_default("exists")];
    objects.extend(guarded_node(
        "Present",
        "PresentReady",
        "filePath",
        &format!("s3://{}/in/2026-01-01.csv", s3::BUCKET),
    ));
    objects.extend(guarded_node(
        "Later",
        "LaterReady",
        "directoryPath",
        &format!("s3://{}/later", s3::BUCKET),
    ));
    let pipeline = submit(&service.client, "exists", objects).await;
    let mut runner = Taskrunner::start(&java_flags(&service, &s3, "exists"), &[]);
    let client = &service.client;

    let status = wait_for_status(
        client,
        &pipeline,
        "ReadPresent",
        &["FINISHED", "FAILED", "CASCADE_FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    assert_eq!(
        status_of(client, &pipeline, "PresentReady").await,
        "FINISHED"
    );

    // Nothing under later/ yet: the check answers FALSE, which the service
    // records as PreconditionNotMet and retries after retryDelay.
    let instance = loop {
        if let Some(instance) = instance_of(client, &pipeline, "LaterReady").await {
            break instance;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let first = format!("{instance}_Attempt=1");
    let deadline = tokio::time::Instant::now() + TASK_LIMIT;
    while field_of(client, &pipeline, &first, "@status")
        .await
        .as_deref()
        != Some("FAILED")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first check never came back false\n{}",
            runner.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        field_of(client, &pipeline, &first, "errorId")
            .await
            .as_deref(),
        Some("PreconditionNotMet")
    );
    assert_ne!(status_of(client, &pipeline, "ReadLater").await, "FINISHED");

    s3.put("later/part-0", "x").await;
    let status = wait_for_status(
        client,
        &pipeline,
        "ReadLater",
        &["FINISHED", "FAILED", "CASCADE_FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    runner.stop().await;
}

/// The Guide's example (dp-object-exists.md) on a daily schedule: the
/// path's expression is evaluated for the period, and Exists looks there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_exists_example_checks_the_periods_file() {
    let s3 = s3::S3Server::start().await;
    s3.put("InputData/2026-01-01-12:00.csv", "a,b\n").await;
    let service = service().await;
    let pipeline = submit(
        &service.client,
        "exists-guide",
        vec![
            object(
                "Default",
                vec![
                    string("scheduleType", "cron"),
                    string("failureAndRerunMode", "CASCADE"),
                    string("workerGroup", "exists-guide"),
                    string("maximumRetries", "0"),
                    reference("schedule", "CopyPeriod"),
                ],
            ),
            object(
                "CopyPeriod",
                vec![
                    string("type", "Schedule"),
                    string("period", "1 day"),
                    string("startDateTime", "2026-01-01T00:00:00"),
                    string("occurrences", "1"),
                ],
            ),
            object(
                "InputData",
                vec![
                    string("type", "S3DataNode"),
                    reference("schedule", "CopyPeriod"),
                    string(
                        "filePath",
                        &format!(
                            "s3://{}/InputData/#{{@scheduledStartTime.format('YYYY-MM-dd-hh:mm')}}.csv",
                            s3::BUCKET
                        ),
                    ),
                    reference("precondition", "Ready"),
                ],
            ),
            object("Ready", vec![string("type", "Exists")]),
            shell("Copy", "true", vec![reference("input", "InputData")]),
        ],
    )
    .await;
    let mut runner = Taskrunner::start(&java_flags(&service, &s3, "exists-guide"), &[]);
    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Copy",
        &["FINISHED", "FAILED", "CASCADE_FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    assert_eq!(
        status_of(&service.client, &pipeline, "Ready").await,
        "FINISHED"
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_java_command_line_leaves_the_java_runners_files() {
    let s3 = s3::S3Server::start().await;
    let service = service().await;
    let mut default = on_demand_default("java-files");
    default.fields.push(string(
        "pipelineLogUri",
        &format!("s3://{}/pipeline-logs/", s3::BUCKET),
    ));
    let pipeline = submit(
        &service.client,
        "java-files",
        vec![
            default,
            shell(
                "Say",
                "echo said-to-stdout; echo said-to-stderr >&2",
                vec![],
            ),
        ],
    )
    .await;
    let mut arguments = java_flags(&service, &s3, "java-files");
    arguments.extend([
        "--taskrunnerId".to_owned(),
        "java-files-runner".to_owned(),
        "--logUri".to_owned(),
        format!("s3://{}/runner-logs", s3::BUCKET),
    ]);
    let mut runner = Taskrunner::start(&arguments, &[]);
    let client = &service.client;
    let status = wait_for_status(
        client,
        &pipeline,
        "Say",
        &["FINISHED", "FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let attempt = head_attempt(client, &pipeline, "Say").await;
    let instance = instance_of(client, &pipeline, "Say")
        .await
        .expect("an instance");

    // Kept locally under ./output/logs, the Java runner's default.
    let output = runner.dir.path().join("output/logs");
    let attempt_dir = output
        .join(&pipeline)
        .join("Say")
        .join(&instance)
        .join(&attempt);
    assert_eq!(
        std::fs::read_to_string(attempt_dir.join("StdOutput"))
            .ok()
            .as_deref(),
        Some("said-to-stdout\n"),
        "{}",
        runner.output()
    );
    assert_eq!(
        std::fs::read_to_string(attempt_dir.join("StdError"))
            .ok()
            .as_deref(),
        Some("said-to-stderr\n")
    );
    // Copied under the pipeline's pipelineLogUri and under --logUri.
    for prefix in ["pipeline-logs", "runner-logs"] {
        let key = format!("{prefix}/{pipeline}/Say/{instance}/{attempt}");
        assert_eq!(
            s3.get_text(&format!("{key}/StdOutput")).await.as_deref(),
            Some("said-to-stdout\n"),
            "{key}\n{}",
            runner.output()
        );
        assert_eq!(
            s3.get_text(&format!("{key}/StdError")).await.as_deref(),
            Some("said-to-stderr\n")
        );
    }

    runner.signal("TERM");
    let exit = runner.wait(Duration::from_secs(30)).await;
    assert!(exit.success(), "{exit:?}: {}", runner.output());
    let absolute = std::fs::canonicalize(&output).expect("the output directory");
    assert!(
        runner
            .stdout()
            .contains(&format!("Logging to {}", absolute.display())),
        "{}",
        runner.stdout()
    );
    let hourly: Vec<_> = files_under(&output)
        .into_iter()
        .filter(|file| {
            file.parent() == Some(output.as_path())
                && file
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("Task Runner.log."))
        })
        .collect();
    assert_eq!(hourly.len(), 1, "one hourly log file: {hourly:?}");
    for file in files_under(&output) {
        assert_no_secret(&file);
    }
    for key in s3.keys("").await {
        let text = s3.get_text(&key).await.unwrap_or_default();
        assert!(
            !text.contains(SECRET_KEY),
            "s3://{}/{key} holds the secret key",
            s3::BUCKET
        );
    }
}

fn assert_no_secret(file: &Path) {
    let bytes = std::fs::read(file).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&bytes).contains(SECRET_KEY),
        "{} holds the secret key",
        file.display()
    );
}
