//! The command line as the Java runner's users type it: flag spellings,
//! refusals with exit code 2, the Java flags we accept but do not act on,
//! and the `--config` credentials file.

mod support;

use std::time::Duration;

use datapipeline_local::{Config, Credentials};
use support::*;

/// Environment variables for the binary.
type Environment<'a> = &'a [(&'a str, &'a str)];

/// A run that should end by itself (a refusal) ends within this.
const REFUSAL_LIMIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_flag_is_refused_by_name_with_exit_2() {
    let mut runner = run_to_end(
        &["--workerGroup", "g", "--workerGroupp", "typo"],
        &[],
        REFUSAL_LIMIT,
    )
    .await;
    let status = runner.wait(REFUSAL_LIMIT).await;
    assert_eq!(status.code(), Some(2), "{}", runner.output());
    assert!(
        runner.stderr().contains("--workerGroupp"),
        "the message names the flag: {}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_worker_group_is_refused_with_exit_2() {
    let mut runner = run_to_end(&["--region", "us-east-1"], &[], REFUSAL_LIMIT).await;
    let status = runner.wait(REFUSAL_LIMIT).await;
    assert_eq!(status.code(), Some(2), "{}", runner.output());
    let stderr = runner.stderr();
    assert!(
        stderr.contains("--workerGroup") && stderr.contains("required"),
        "the message says what is missing: {}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spelling_of_the_worker_group_flag_polls_that_group() {
    let service = service().await;
    // Arguments and environment; the last reads the documented variable.
    let spellings: [(&[&str], Environment<'_>); 4] = [
        (&["--worker-group", "kebab"], &[]),
        (&["--workerGroup=equals"], &[]),
        (&["--workerGroup", "separate"], &[]),
        (&[], &[("TASKRUNNER_WORKER_GROUP", "environment")]),
    ];
    let groups = ["kebab", "equals", "separate", "environment"];
    let mut pipelines = Vec::new();
    for group in groups {
        pipelines.push(
            submit(
                &service.client,
                group,
                vec![on_demand_default(group), shell("Work", "true", vec![])],
            )
            .await,
        );
    }
    let mut runners = Vec::new();
    for (spelling, env) in spellings {
        let mut arguments: Vec<String> = spelling.iter().map(|s| (*s).to_owned()).collect();
        arguments.extend(
            [
                "--endpoint",
                &service.url(),
                "--accessId",
                "x",
                "--secretKey",
                "y",
                "--region",
                "us-east-1",
            ]
            .map(str::to_owned),
        );
        arguments.extend(fast_flags());
        runners.push(Taskrunner::start(&arguments, env));
    }

    for ((group, pipeline), runner) in groups.iter().zip(&pipelines).zip(&mut runners) {
        let status = wait_for_status(
            &service.client,
            pipeline,
            "Work",
            &["FINISHED", "FAILED"],
            Duration::from_secs(20),
        )
        .await;
        assert_eq!(status, "FINISHED", "{group}: {}", runner.output());
        assert!(
            runner
                .stdout()
                .contains(&format!("taskrunner: worker group {group},")),
            "{}",
            runner.output()
        );
    }
    for mut runner in runners {
        runner.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_java_runners_unsupported_flags_are_accepted_with_a_warning() {
    let service = service().await;
    // --logUri works (with the default --output): no warning. S3 on a
    // closed local port: nothing leaves the machine, and the attempt logs
    // that cannot be uploaded leave the outcome alone.
    let log_uri = [
        "--logUri",
        "s3://bucket/logs",
        "--s3-endpoint",
        "http://127.0.0.1:9",
    ];
    let flags: [&[&str]; 8] = [
        &["--proxyHost", "proxy.example"],
        &["--proxyPort", "3128"],
        &["--proxyUsername", "user"],
        &["--proxyPassword", "proxy-password-value"],
        &["--proxyDomain", "DOMAIN"],
        &["--proxyWorkstation", "WORKSTATION"],
        &["--s3NoProxy"],
        &["--jdbcDriverS3Path", "s3://bucket/driver.jar"],
    ];
    let pipeline = submit(
        &service.client,
        "java-flags",
        vec![on_demand_default("java"), shell("Work", "true", vec![])],
    )
    .await;
    let extra: Vec<&str> = flags
        .iter()
        .flat_map(|flag| flag.iter().copied())
        .chain(log_uri)
        .collect();
    let mut runner = Taskrunner::against(&service, "java", &extra);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Work",
        &["FINISHED", "FAILED"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let stderr = runner.stderr();
    for flag in flags {
        assert!(
            stderr
                .lines()
                .any(|line| line.contains("WARN") && line.contains(flag[0])),
            "a warning names {}: {}",
            flag[0],
            runner.output()
        );
    }
    assert!(
        !stderr.contains("proxy-password-value"),
        "the proxy password is not logged"
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_credentials_file_alone_configures_key_region_and_endpoint() {
    // The service checks signatures: only the file's key pair gets in.
    let service = service_with(Config {
        timing: binary_timing(),
        credentials: Some(Credentials {
            access_key_id: "AKIDFROMFILE".to_owned(),
            secret_access_key: "secret-from-file".to_owned(),
        }),
        ..Config::default()
    })
    .await;
    let client = client_for(&service.url(), "AKIDFROMFILE", "secret-from-file");
    let pipeline = submit(
        &client,
        "credentials-file",
        vec![
            on_demand_default("from-file"),
            shell("Work", "true", vec![]),
        ],
    )
    .await;
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("credentials.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "access-id": "AKIDFROMFILE",
            "private-key": "secret-from-file",
            "region": "eu-west-1",
            "endpoint": service.url(),
        })
        .to_string(),
    )
    .unwrap();
    let mut arguments = vec![
        "--config".to_owned(),
        display(&file),
        "--workerGroup".to_owned(),
        "from-file".to_owned(),
    ];
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, &[]);

    let status = wait_for_status(
        &client,
        &pipeline,
        "Work",
        &["FINISHED", "FAILED"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let stdout = runner.stdout();
    assert!(
        stdout.contains("region eu-west-1") && stdout.contains(&service.url()),
        "the region and endpoint come from the file: {stdout}"
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_credentials_file_is_named_in_the_error_and_exits_non_zero() {
    let scratch = tempfile::tempdir().unwrap();
    // Each with a part of the message that must appear exactly once.
    let cases = [
        (
            "not-json.json",
            Some("{\"access-id\": "),
            "EOF while parsing",
        ),
        (
            "half-key.json",
            Some(r#"{"access-id": "AKID"}"#),
            "private-key",
        ),
        ("missing.json", None, "No such file"),
    ];
    for (name, content, detail) in cases {
        let file = scratch.path().join(name);
        if let Some(content) = content {
            std::fs::write(&file, content).unwrap();
        }
        let mut runner = run_to_end(
            &[
                "--config",
                &display(&file),
                "--workerGroup",
                "g",
                "--endpoint",
                "http://127.0.0.1:9",
            ],
            &[],
            REFUSAL_LIMIT,
        )
        .await;
        let status = runner.wait(REFUSAL_LIMIT).await;
        assert!(
            !status.success() && status.code().is_some(),
            "{name}: {status}\n{}",
            runner.output()
        );
        let stderr = runner.stderr();
        assert!(
            stderr.contains(&display(&file)),
            "{name}: the error names the file: {}",
            runner.output()
        );
        assert_eq!(
            stderr.matches(detail).count(),
            1,
            "{name}: the cause is said once: {}",
            runner.output()
        );
        assert!(
            !runner.stdout().contains("taskrunner: worker group"),
            "{name}: the runner did not start"
        );
    }
}
