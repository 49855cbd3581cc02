//! `--logUri` through the binary as a process, against a real local S3
//! (s3s-fs): each attempt's output lands under
//! `PREFIX/PIPELINE/COMPONENT/INSTANCE/ATTEMPT/`, and the runner's own log
//! files under `PREFIX/<taskrunnerId>/` at exit.

use crate::support;
// The S3 server the taskrunner-s3 tests use.
use crate::s3;

use std::time::Duration;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_output_and_runner_logs_are_uploaded_under_the_log_uri() {
    let s3 = s3::S3Server::start().await;
    let service = service().await;
    let pipeline = submit(
        &service.client,
        "log-uri",
        vec![
            on_demand_default("logs"),
            shell(
                "Say",
                "echo said-to-stdout; echo said-to-stderr >&2",
                vec![],
            ),
        ],
    )
    .await;
    let output = tempfile::tempdir().expect("an output dir");
    let log_uri = format!("s3://{}/logs", s3::BUCKET);
    let output_dir = output.path().display().to_string();
    let mut arguments: Vec<String> = [
        "--endpoint",
        &service.url(),
        "--workerGroup",
        "logs",
        // The local Data Pipeline service checks no signature; s3s does.
        "--accessId",
        "AKIDTASKRUNNERTEST",
        "--secretKey",
        "taskrunner-test-secret",
        "--region",
        "us-east-1",
        "--taskrunnerId",
        "runner-with-logs",
        "--logUri",
        &log_uri,
        "--s3-endpoint",
        &s3.endpoint,
        "--output",
        &output_dir,
    ]
    .iter()
    .map(|argument| (*argument).to_owned())
    .collect();
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Say",
        &["FINISHED", "FAILED"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let attempt = head_attempt(&service.client, &pipeline, "Say").await;
    let instance = instance_of(&service.client, &pipeline, "Say")
        .await
        .expect("an instance");
    let prefix = format!("logs/{pipeline}/Say/{instance}/{attempt}");
    assert_eq!(
        s3.get_text(&format!("{prefix}/StdOutput")).await.as_deref(),
        Some("said-to-stdout\n"),
        "{}",
        runner.output()
    );
    assert_eq!(
        s3.get_text(&format!("{prefix}/StdError")).await.as_deref(),
        Some("said-to-stderr\n")
    );

    runner.signal("TERM");
    let exit = runner.wait(Duration::from_secs(30)).await;
    assert!(exit.success(), "{exit:?}: {}", runner.output());
    let uploaded = s3.keys("logs/runner-with-logs/").await;
    assert!(
        uploaded
            .iter()
            .any(|key| key.starts_with("logs/runner-with-logs/Task Runner.log")),
        "the runner's log file is uploaded at exit: {uploaded:?}\n{}",
        runner.output()
    );
}
